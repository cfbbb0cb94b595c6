/**
 * GMRES's per-step Gram–Schmidt as one fused wasm kernel (internal; see wasm-module.ts), and the
 * final basis combination through Anderson's mixing kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import { andersonMix } from './anderson-kernels.js';
import { heapOffset, registerWasmKernel } from '@deqts/core-layers';
import { kernelsFor, pointerTable } from './wasm-module.js';

const MGS = 'DeqtsGramSchmidt';

/**
 * Modified Gram–Schmidt of `w` against the basis, for `rows` vectors of `width` values each (the
 * tensors' data read as [rows, width], whatever their shapes): returns w orthogonalised (shaped
 * like w) and the [rows, k + 1] block of its coefficients hᵢ = ⟨w⁽ⁱ⁾, vᵢ⟩ followed by the norm of
 * the result.
 */
export function gramSchmidt(w: tf.Tensor, basis: readonly tf.Tensor[], rows: number, width: number): [tf.Tensor, tf.Tensor2D] {
  registerWasmKernel(MGS, (b, inputs, attrs) => {
    const { k, rows: batch, width: n } = attrs as { k: number; rows: number; width: number };
    const out = b.makeOutput([...inputs.w.shape], 'float32');
    const h = b.makeOutput([batch, k + 1], 'float32');
    const block = pointerTable(b, Array.from({ length: k }, (_, i) => inputs[`v${i}`]));
    kernelsFor(b).mgs(heapOffset(b, out), heapOffset(b, inputs.w), heapOffset(b, block), k, heapOffset(b, h), batch, n);
    b.disposeData(block.dataId);
    return [out, h];
  });
  const inputs: Record<string, tf.Tensor> = { w };
  basis.forEach((v, i) => (inputs[`v${i}`] = v));
  return tf.engine().runKernel(MGS, inputs, { k: basis.length, rows, width }) as unknown as [tf.Tensor, tf.Tensor2D];
}

/** base + Σᵢ cᵢ·vᵢ per row, with cᵢ for sample b at c[i·B + b] (one kernel call). */
export function addCombination(base: tf.Tensor2D, vectors: readonly tf.Tensor2D[], coefficients: Float32Array): tf.Tensor2D {
  const batch = base.shape[0];
  // mix computes u + β·r − Σ γᵢ·Mᵢ: with r = u, β = 0 and γ = −c that is base + Σ cᵢ·vᵢ.
  return andersonMix(base, base, vectors, coefficients.map((c) => -c), new Uint8Array(batch).fill(1), 0);
}
