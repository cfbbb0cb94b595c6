import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '@deqts/core-layers';
import { unpackRows } from '../internal/batch.js';
import { gramSchmidt } from '../internal/fused/krylov-kernels.js';
import { fusedKernelsAvailable } from '../internal/fused/wasm-module.js';
import { solverSwitches } from '../internal/switches.js';

/** Options of {@link orthogonalize}. */
export type OrthogonalizeOptions = {
  /**
   * true: each row of the [B, …] tensors is its own vector, with its own coefficients (B values
   * per coefficient). false (default): the whole tensor is one vector (one value each).
   */
  readonly perSample?: boolean;
};

/**
 * One modified Gram–Schmidt step, the core of GMRES's Arnoldi process: orthogonalises `w` against
 * the (orthonormal) basis vectors in order, wᵢ₊₁ = wᵢ − hᵢ·vᵢ with hᵢ = ⟨wᵢ, vᵢ⟩, and returns the
 * result with `coefficients` = [h₀, …, h_{k−1}, ‖w_k‖₂], each a Float32Array (one value per sample
 * with `perSample`, else one value). On the wasm backend this is one fused kernel (when no gradient
 * is being recorded); elsewhere tfjs ops with one host read per coefficient. `w` is not disposed.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '@deqts/core-layers';
 * import { orthogonalize } from '@deqts/solvers';
 * const v0 = tf.tensor2d([[1, 0]]);
 * const { w, coefficients } = orthogonalize(tf.tensor2d([[3, 4]]), [v0]);
 * // w = [[0, 4]], coefficients = [[3], [4]]
 * ```
 */
export function orthogonalize(w: tf.Tensor, basis: readonly tf.Tensor[], options: OrthogonalizeOptions = {}): { w: tf.Tensor; coefficients: Float32Array[] } {
  for (const v of basis) {
    if (v.size !== w.size) throw new ShapeError(`orthogonalize: every basis vector must have w's ${w.size} values, got one of shape [${v.shape.join(', ')}]`);
  }
  const rows = options.perSample ? w.shape[0] : 1;
  const width = w.size / Math.max(rows, 1);
  if (solverSwitches.fusedGramSchmidt && fusedKernelsAvailable() && w.dtype === 'float32') {
    let coefficients: Float32Array[] = [];
    const out = tf.tidy(() => {
      // No reshapes: the kernel reads the data as [rows, width] whatever the shapes.
      const [orthogonal, h] = gramSchmidt(w, basis, rows, width);
      coefficients = unpackRows(h.dataSync() as Float32Array, rows, basis.length + 1);
      return orthogonal;
    });
    return { w: out, coefficients };
  }
  const coefficients: Float32Array[] = [];
  const read = (t: tf.Tensor): Float32Array => Float32Array.from(t.dataSync());
  const out = tf.tidy(() => {
    let current = w;
    for (const v of basis) {
      const h = options.perSample ? tf.sum(tf.mul(tf.reshape(current, [rows, width]), tf.reshape(v, [rows, width])), 1, true) : tf.sum(tf.mul(current, v));
      coefficients.push(read(h));
      current = tf.sub(current, tf.mul(v, options.perSample ? tf.reshape(h, [rows, ...w.shape.slice(1).map(() => 1)]) : h));
    }
    const flat = tf.reshape(current, [rows, width]);
    coefficients.push(read(tf.sqrt(tf.sum(tf.mul(flat, flat), 1))));
    return current === w ? tf.clone(w) : current;
  });
  return { w: out, coefficients };
}
