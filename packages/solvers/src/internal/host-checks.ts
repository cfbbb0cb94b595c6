import { checkQuantities } from '../termination.js';
import type { TerminationSettings } from '../termination.js';

/**
 * The convergence check's columns (as `checkColumns` in batch.ts computes them on the device)
 * from per-sample sums of squares and maximum magnitudes a fused kernel already produced:
 * norm of r, then the reference norm of f(u) and max |r| where the termination mode uses them.
 * `undefined` for the `'rel'` mode, whose elementwise test needs the full tensors.
 */
export function hostChecks(
  settings: TerminationSettings,
  size: number,
  sumSqR: Float32Array,
  sumSqF: Float32Array,
  maxR: Float32Array,
  maxF: Float32Array,
): Float32Array[] | undefined {
  const q = checkQuantities(settings);
  if (q.relativeExcess) return undefined;
  const norm = (sumSq: Float32Array, max: Float32Array): Float32Array => {
    if (settings.norm === 'inf') return max;
    // A plain loop: Float32Array.from with a map function was 3 % of a config-C training step.
    const out = new Float32Array(sumSq.length);
    for (let i = 0; i < sumSq.length; i++) out[i] = Math.sqrt(sumSq[i] / size);
    return out;
  };
  const columns = [norm(sumSqR, maxR)];
  if (q.reference) columns.push(norm(sumSqF, maxF));
  if (q.maxAbs) columns.push(maxR);
  return columns;
}
