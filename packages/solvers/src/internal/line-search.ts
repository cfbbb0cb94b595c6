import * as tf from '@tensorflow/tfjs-core';
import { readColumns, rowDot, uploadColumn, uploadMask } from './batch.js';

/** Result of a per-sample backtracking search: the accepted state, f of it, and each sample's step. */
export type LineSearchResult = { u: tf.Tensor2D; fu: tf.Tensor2D; step: tf.Tensor2D; stepHost: Float32Array };

/**
 * Per-sample backtracking (Armijo-type, derivative-free) along `direction` from `u`: tries step
 * λ = `initial`, λ/2, λ/4, … and accepts, for each sample separately, the first λ with
 * ‖g(u + λd)‖₂ ≤ (1 − 10⁻⁴·λ)·‖g(u)‖₂ (g = f(u) − u). A sample that accepts none keeps its
 * lowest-residual trial. Each trial is one batched f-evaluation and one small host read; rows
 * where `active` is false stay at `u`. Internal; must run inside a tf.tidy.
 */
export function backtrackingSearch(
  evaluate: (u: tf.Tensor2D) => tf.Tensor2D,
  u: tf.Tensor2D,
  r: tf.Tensor2D,
  direction: tf.Tensor2D,
  active: tf.Tensor2D,
  activeHost: Uint8Array,
  initial: number,
  maxBacktracks: number,
): LineSearchResult {
  const batch = u.shape[0];
  const [base] = readColumns([rowDot(r, r)]);
  const step = new Float32Array(batch).fill(initial);
  const chosen = new Float32Array(batch).fill(initial);
  const bestMerit = new Float64Array(batch).fill(Infinity);
  const pending = Uint8Array.from(activeHost);
  let bestU: tf.Tensor2D | null = null;
  let bestFu: tf.Tensor2D | null = null;
  for (let trial = 0; trial <= maxBacktracks && pending.some((p) => p === 1); trial++) {
    const stepT = uploadColumn(step);
    const candidate = tf.where(active, tf.add(u, tf.mul(direction, stepT)), u) as tf.Tensor2D;
    const fu = evaluate(candidate);
    const rc = tf.sub(fu, candidate);
    const [merit] = readColumns([rowDot(rc, rc)]);
    const take = new Uint8Array(batch);
    for (let b = 0; b < batch; b++) {
      if (!pending[b]) continue;
      const m = merit[b];
      if (m < bestMerit[b] || bestU === null) {
        bestMerit[b] = Number.isNaN(m) ? bestMerit[b] : m;
        take[b] = 1;
        chosen[b] = step[b];
      }
      const accepted = Math.sqrt(m) <= (1 - 1e-4 * step[b]) * Math.sqrt(base[b]);
      if (accepted) pending[b] = 0;
      else step[b] *= 0.5;
    }
    if (bestU === null || bestFu === null) {
      bestU = candidate;
      bestFu = fu;
    } else {
      const takeT = uploadMask(take, u.shape[1]);
      bestU = tf.where(takeT, candidate, bestU) as tf.Tensor2D;
      bestFu = tf.where(takeT, fu, bestFu) as tf.Tensor2D;
    }
  }
  if (bestU === null || bestFu === null) return { u, fu: evaluate(u), step: uploadColumn(chosen), stepHost: chosen };
  return { u: bestU, fu: bestFu, step: uploadColumn(chosen), stepHost: chosen };
}
