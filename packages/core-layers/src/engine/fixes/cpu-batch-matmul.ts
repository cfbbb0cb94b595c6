import * as tf from '@tensorflow/tfjs-core';
import { broadcastBatchIndices } from './batch-indices.js';
import { overrideKernel, tensorInput } from './registry.js';
import { BackendError } from '../../core/errors.js';

/** True when `operand`'s batch entry for output entry i is `i mod size` (what cpu's kernel assumes). */
function moduloMatches(operandBatch: number[], outBatch: number[]): boolean {
  const size = operandBatch.reduce((p, d) => p * d, 1);
  return broadcastBatchIndices(operandBatch, outBatch).every((index, i) => index === i % size);
}

/**
 * cpu's BatchMatMul indexes a broadcast operand's batch as `i mod batchSize` and sizes its output
 * by the larger batch, which is right when the batch shapes are equal or one side's batch is a
 * trailing block of the other's, and wrong otherwise (`[2, 1, m, k] · [1, 3, k, n]` returns 36
 * values for a `[2, 3, 4, 3]` result). For those shapes this wrapper broadcasts both operands to
 * the full batch shape first.
 */
export function registerCpuBatchMatMul(): void {
  overrideKernel(
    'BatchMatMul',
    'cpu',
    (original) => {
      if (!original) throw new BackendError('registerCpuBatchMatMul: the cpu backend has no BatchMatMul kernel');
      const originalFunc = original.kernelFunc;
      return (args) => {
        const a = args.inputs.a as tf.TensorInfo;
        const b = args.inputs.b as tf.TensorInfo;
        const batchA = a.shape.slice(0, -2);
        const batchB = b.shape.slice(0, -2);
        const outBatch = tf.broadcast_util.assertAndGetBroadcastShape(batchA, batchB);
        const outSize = outBatch.reduce((p, d) => p * d, 1);
        const sizeA = batchA.reduce((p, d) => p * d, 1);
        const sizeB = batchB.reduce((p, d) => p * d, 1);
        if (Math.max(sizeA, sizeB) === outSize && moduloMatches(batchA, outBatch) && moduloMatches(batchB, outBatch)) {
          return originalFunc(args);
        }
        const ta = tensorInput(a, 'a', 'BatchMatMul');
        const tb = tensorInput(b, 'b', 'BatchMatMul');
        return tf.tidy(() => {
          const fullA = tf.broadcastTo(ta, [...outBatch, ...ta.shape.slice(-2)]);
          const fullB = tf.broadcastTo(tb, [...outBatch, ...tb.shape.slice(-2)]);
          const info = originalFunc({ ...args, inputs: { a: fullA, b: fullB } }) as tf.TensorInfo;
          return tf.engine().makeTensorFromTensorInfo(info);
        });
      };
    },
    true,
  );
}
