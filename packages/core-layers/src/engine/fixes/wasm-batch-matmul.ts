import * as tf from '@tensorflow/tfjs-core';
import { matMulNoFlags } from './matmul-plan.js';
import { overrideKernel, tensorInput } from './registry.js';
import { BackendError } from '../../core/errors.js';

/**
 * wasm's BatchMatMul reaches XNNPACK's fast product (~25 GFLOP/s) only for `a · b` with a batch of
 * one; a transpose flag or a batch > 1 falls back to a plain triple loop (0.4–2 GFLOP/s). The
 * gradient of every product uses transpose flags, and so does `Dense` (x · Wᵀ). This wrapper
 * keeps the original kernel for the fast case and rewrites every other call into fast products
 * with explicit transposes (see matmul-plan.ts), so forward and backward both stay on the fast
 * path whatever calls the kernel (stock gradients, customGrads, fused ops).
 */
export function registerWasmBatchMatMul(): void {
  overrideKernel(
    'BatchMatMul',
    'wasm',
    (original) => {
      if (!original) throw new BackendError('registerWasmBatchMatMul: the wasm backend has no BatchMatMul kernel');
      const originalFunc = original.kernelFunc;
      return (args) => {
        const { inputs, attrs, backend } = args;
        const batchedKernel = (a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D => {
          const info = originalFunc({ inputs: { a, b }, attrs: { transposeA: false, transposeB: false }, backend }) as tf.TensorInfo;
          return tf.engine().makeTensorFromTensorInfo(info) as tf.Tensor3D;
        };
        const transposeA = attrs?.transposeA === true;
        const transposeB = attrs?.transposeB === true;
        const a = inputs.a as tf.TensorInfo;
        const b = inputs.b as tf.TensorInfo;
        const batchOf = (shape: number[]): number => shape.slice(0, -2).reduce((p, d) => p * d, 1);
        const fast = !transposeA && !transposeB && batchOf(a.shape) === 1 && batchOf(b.shape) === 1;
        if (fast || a.dtype !== 'float32' || b.dtype !== 'float32') return originalFunc(args);
        const ta = tensorInput(a, 'a', 'BatchMatMul');
        const tb = tensorInput(b, 'b', 'BatchMatMul');
        return tf.tidy(() => matMulNoFlags(ta, tb, transposeA, transposeB, batchedKernel));
      };
    },
    true,
  );
}
