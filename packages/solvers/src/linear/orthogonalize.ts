import * as tf from '@tensorflow/tfjs-core';
import { canRunWasmKernels, ShapeError } from '@deqts/core-layers';
import { readColumns, rowDotColumn, unpackRows } from '../internal/batch.js';
import { gramSchmidt } from '../internal/fused/krylov-kernels.js';
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
 * is being recorded); elsewhere tfjs ops and one host read of all the coefficients. `w` is not
 * disposed.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
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
  if (solverSwitches.fusedGramSchmidt && canRunWasmKernels() && w.dtype === 'float32') {
    let coefficients: Float32Array[] = [];
    const out = tf.tidy(() => {
      // No reshapes: the kernel reads the data as [rows, width] whatever the shapes.
      const [orthogonal, h] = gramSchmidt(w, basis, rows, width);
      coefficients = unpackRows(h.dataSync() as Float32Array, rows, basis.length + 1);
      return orthogonal;
    });
    return { w: out, coefficients };
  }
  // tfjs ops; every coefficient stays a tensor until one read of them all at the end (one device
  // sync on GPU backends), as MGS needs hᵢ only as a tensor.
  let coefficients: Float32Array[] = [];
  const out = tf.tidy(() => {
    const asRows = (t: tf.Tensor): tf.Tensor2D => (t.rank === 2 && t.shape[0] === rows ? t : tf.reshape(t, [rows, width])) as tf.Tensor2D;
    let current = asRows(w);
    const blocks: tf.Tensor[] = [];
    for (const v of basis) {
      const vRows = asRows(v);
      const h = rowDotColumn(current, vRows);
      blocks.push(h);
      current = tf.sub(current, tf.mul(vRows, h)) as tf.Tensor2D;
    }
    blocks.push(tf.sqrt(rowDotColumn(current, current)));
    coefficients = readColumns(blocks);
    return current === w ? tf.clone(w) : tf.reshape(current, w.shape);
  });
  return { w: out, coefficients };
}
