import * as tf from '@tensorflow/tfjs-core';
import { overrideGradient } from './registry.js';

/**
 * Sums a gradient computed at the broadcast batch shape back to its operand's shape.
 * `grad` is `[...outBatch, r, c]`; `shape` is the operand's `[...batch, r, c]`.
 */
function reduceToOperand(grad: tf.Tensor, shape: readonly number[]): tf.Tensor {
  const batch = shape.slice(0, -2);
  const outBatch = grad.shape.slice(0, -2);
  const axes = tf.broadcast_util.getReductionAxes(batch, outBatch);
  // Leading axes the operand does not have at all are reduced too.
  const missing = outBatch.length - batch.length;
  const all = [...new Set([...Array.from({ length: missing }, (_, i) => i), ...axes.map((axis) => axis)])];
  const summed = all.length > 0 ? tf.sum(grad, all) : grad;
  return tf.reshape(summed, [...shape]);
}

/**
 * The gradient of BatchMatMul (tf.matMul), for all four transpose-flag combinations and for
 * broadcast batch dimensions (tfjs's stock gradient returns the broadcast shape and throws, e.g.
 * for a `[2, 3, 4] · [4, 5]` product). The products use transpose flags; on wasm the BatchMatMul
 * kernel turns them into explicit transposes (wasm-batch-matmul.ts), on cpu flags are free.
 * With C = op(A)·op(B):
 *   no flags:   dA = dC·Bᵀ,    dB = Aᵀ·dC
 *   transposeB: dA = dC·B,     dB = dCᵀ·A
 *   transposeA: dA = B·dCᵀ,    dB = A·dC
 *   both:       dA = Bᵀ·dCᵀ,   dB = dCᵀ·Aᵀ
 */
export function registerBatchMatMulGradient(): void {
  overrideGradient({
    kernelName: 'BatchMatMul',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved, attrs) => {
      const [a, b] = saved;
      const dc = dy as tf.Tensor;
      const transposeA = attrs.transposeA === true;
      const transposeB = attrs.transposeB === true;
      let da: () => tf.Tensor;
      let db: () => tf.Tensor;
      if (!transposeA && !transposeB) {
        da = () => tf.matMul(dc, b, false, true);
        db = () => tf.matMul(a, dc, true, false);
      } else if (!transposeA && transposeB) {
        da = () => tf.matMul(dc, b, false, false);
        db = () => tf.matMul(dc, a, true, false);
      } else if (transposeA && !transposeB) {
        da = () => tf.matMul(b, dc, false, true);
        db = () => tf.matMul(a, dc, false, false);
      } else {
        da = () => tf.matMul(b, dc, true, true);
        db = () => tf.matMul(dc, a, true, true);
      }
      const batchA = a.shape.slice(0, -2).reduce((p, d) => p * d, 1);
      const batchB = b.shape.slice(0, -2).reduce((p, d) => p * d, 1);
      if (batchB === 1 && batchA > 1 && !transposeA) {
        // b is shared by every batch entry (e.g. a weight applied to [batch, time, features]):
        // its gradient is one product of the flattened rows instead of a batched product + sum.
        const k = a.shape[a.rank - 1];
        const n = dc.shape[dc.rank - 1];
        db = () => {
          const rows = tf.reshape(a, [-1, k]);
          const dRows = tf.reshape(dc, [-1, n]);
          return transposeB ? tf.matMul(dRows, rows, true, false) : tf.matMul(rows, dRows, true, false);
        };
      }
      return { a: () => reduceToOperand(da(), a.shape), b: () => reduceToOperand(db(), b.shape) };
    },
  });
}
