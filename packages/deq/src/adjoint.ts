import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { orthogonalize } from '@deqts/solvers';

/** Options of the implicit backward solve (I − Jᵀ) λ = g. */
export type AdjointOptions = {
  /** 'gmres' (restarted, matrix-free) or 'fixedPoint' (λ ← g + Jᵀλ). Default 'gmres'. */
  readonly method: 'gmres' | 'fixedPoint';
  /** Maximum number of VJPs. Default 32. */
  readonly maxiters: number;
  /** Stop when ‖(I − Jᵀ)λ − g‖ ≤ tol · ‖g‖ (RMS norms over the whole batch). Default 1e-5. */
  readonly tol: number;
  /** GMRES only: Krylov vectors kept before a restart (memory: restart + 1 copies of z). Default 20. */
  readonly restart?: number;
};

/** zod schema of {@link AdjointOptions} (all optional, with the defaults above). */
export const AdjointOptionsSchema = z.strictObject({
  method: z.enum(['gmres', 'fixedPoint']).default('gmres'),
  maxiters: z.number().int().positive().default(32),
  tol: z.number().positive().default(1e-5),
  restart: z.number().int().positive().default(20),
});

const rms = (t: tf.Tensor | (() => tf.Tensor)): number => {
  const v = tf.tidy(() => {
    const x = typeof t === 'function' ? t() : t;
    return tf.sqrt(tf.mean(tf.square(x)));
  });
  const out = v.dataSync()[0];
  v.dispose();
  return out;
};

const dot = (a: tf.Tensor, b: tf.Tensor): number => {
  const v = tf.tidy(() => tf.sum(tf.mul(a, b)));
  const out = v.dataSync()[0];
  v.dispose();
  return out;
};

function fixedPointAdjoint(vjp: (v: tf.Tensor) => tf.Tensor, g: tf.Tensor, opts: AdjointOptions): [tf.Tensor, number, number] {
  let lambda = tf.clone(g);
  const gNorm = rms(g) || 1;
  let residual = Infinity;
  let k = 0;
  for (; k < opts.maxiters; k++) {
    const next = tf.tidy(() => tf.add(g, vjp(lambda)));
    residual = rms(() => tf.sub(next, lambda)) / gNorm;
    lambda.dispose();
    lambda = next;
    if (residual <= opts.tol) {
      k++;
      break;
    }
  }
  return [lambda, k, residual];
}

/**
 * GMRES(m) on the whole (flattened) batch for A λ = g with A v = v − Jᵀv. The batch's samples are
 * independent blocks, so one Krylov space over the concatenation converges in at most the sum of
 * the per-sample iterations; for the small adjoint budgets of DEQ training this is cheaper in tfjs
 * than per-sample bookkeeping. Host reads: two scalars per iteration.
 */
function gmresAdjoint(vjp: (v: tf.Tensor) => tf.Tensor, g: tf.Tensor, opts: AdjointOptions): [tf.Tensor, number, number] {
  const apply = (v: tf.Tensor) => tf.tidy(() => tf.sub(v, vjp(v)));
  const gNorm = Math.sqrt(dot(g, g)) || 1;
  let x = tf.zerosLike(g);
  let used = 0;
  let relResidual = 1;
  const restart = Math.min(opts.maxiters, opts.restart ?? 20);
  while (used < opts.maxiters) {
    const r0 = used === 0 ? tf.clone(g) : tf.tidy(() => tf.sub(g, apply(x)));
    const beta = Math.sqrt(dot(r0, r0));
    relResidual = beta / gNorm;
    if (relResidual <= opts.tol) {
      r0.dispose();
      break;
    }
    const basis: tf.Tensor[] = [tf.tidy(() => tf.div(r0, beta))];
    r0.dispose();
    const h: number[][] = [];
    const cs: number[] = [];
    const sn: number[] = [];
    const rhs: number[] = [beta];
    let j = 0;
    for (; j < restart && used < opts.maxiters; j++, used++) {
      // Modified Gram–Schmidt over the whole batch as one vector (one fused kernel on wasm).
      const applied = apply(basis[j]);
      const { w, coefficients } = orthogonalize(applied, basis);
      applied.dispose();
      const column = coefficients.map((c) => c[0]);
      const hNext = column[j + 1];
      for (let i = 0; i < j; i++) {
        const t = cs[i] * column[i] + sn[i] * column[i + 1];
        column[i + 1] = -sn[i] * column[i] + cs[i] * column[i + 1];
        column[i] = t;
      }
      const denom = Math.hypot(column[j], column[j + 1]) || 1e-30;
      cs.push(column[j] / denom);
      sn.push(column[j + 1] / denom);
      column[j] = denom;
      column[j + 1] = 0;
      rhs.push(-sn[j] * rhs[j]);
      rhs[j] = cs[j] * rhs[j];
      h.push(column);
      relResidual = Math.abs(rhs[j + 1]) / gNorm;
      if (hNext > 1e-12 * beta) basis.push(tf.tidy(() => tf.div(w, hNext)));
      w.dispose();
      if (relResidual <= opts.tol || hNext <= 1e-12 * beta) {
        j++;
        used++;
        break;
      }
    }
    const y = new Array<number>(j).fill(0);
    for (let i = j - 1; i >= 0; i--) {
      let s = rhs[i];
      for (let k = i + 1; k < j; k++) s -= h[k][i] * y[k];
      y[i] = s / h[i][i];
    }
    const update = tf.tidy(() => basis.slice(0, j).reduce((acc, b, i) => tf.add(acc, tf.mul(b, y[i])), tf.zerosLike(g)));
    const nextX = tf.add(x, update);
    update.dispose();
    x.dispose();
    x = nextX;
    basis.forEach((b) => b.dispose());
    if (relResidual <= opts.tol) break;
  }
  return [x, used, relResidual];
}

/**
 * Solves the implicit-differentiation system (I − Jᵀ) λ = g, where `vjp(v)` = vᵀJ = Jᵀv.
 * Returns λ (owned by the caller). `onStats` receives the number of VJPs and the final relative
 * residual.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { solveAdjoint } from '@deqts/deq';
 * // J = 0.5 I: λ = g / 0.5
 * const lambda = solveAdjoint((v) => tf.mul(v, 0.5), tf.ones([2, 3]), { method: 'gmres', maxiters: 10, tol: 1e-6 });
 * ```
 */
export function solveAdjoint(
  vjp: (v: tf.Tensor) => tf.Tensor,
  g: tf.Tensor,
  opts: AdjointOptions,
  onStats?: (stats: { iterations: number; residualNorm: number }) => void,
): tf.Tensor {
  const start = observers.size > 0 ? performance.now() : 0;
  const [lambda, iterations, residualNorm] = opts.method === 'gmres' ? gmresAdjoint(vjp, g, opts) : fixedPointAdjoint(vjp, g, opts);
  onStats?.({ iterations, residualNorm });
  if (observers.size > 0) {
    const stats = { iterations, residualNorm, milliseconds: performance.now() - start };
    for (const observer of observers) observer(stats);
  }
  return lambda;
}

/** What {@link observeAdjoint} reports for every adjoint solve. */
export type AdjointObservation = { iterations: number; residualNorm: number; milliseconds: number };

const observers = new Set<(stats: AdjointObservation) => void>();

/**
 * Calls `observer` after every adjoint solve of every implicit DEQ (for benchmarks and
 * diagnostics: the backward pass runs outside the layer call, so its statistics cannot travel in
 * the layer state). Returns a function that removes the observer.
 *
 * @example
 * ```ts
 * import { observeAdjoint } from '@deqts/deq';
 * let vjps = 0;
 * const stop = observeAdjoint((s) => { vjps += s.iterations; });
 * // … train …
 * stop();
 * ```
 */
export function observeAdjoint(observer: (stats: AdjointObservation) => void): () => void {
  observers.add(observer);
  return () => observers.delete(observer);
}
