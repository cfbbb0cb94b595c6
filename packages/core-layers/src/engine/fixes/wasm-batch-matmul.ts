import * as tf from '@tensorflow/tfjs-core';
import { isWasmModuleBackend, type WasmModuleBackend } from '../wasm-modules.js';
import { broadcastBatchIndices } from './batch-indices.js';
import { overrideKernel } from './registry.js';
import { gemmOperand, operandOffset, wasmGemm, type GemmOperand } from './wasm-gemm.js';
import { sparseGemm } from './wasm-sparse-gemm.js';
import { BackendError } from '../../core/errors.js';

/**
 * wasm's stock BatchMatMul reaches XNNPACK's product only for `a · b` with a batch of one (and
 * repacks b whenever b is a tensor it has not seen); a transpose flag or a batch > 1 falls back to
 * a plain triple loop (0.4–2 GFLOP/s), and the gradient of every product uses transpose flags.
 * This replacement computes every float32 product with DEQ.ts's own SIMD kernel (wasm-gemm.wat),
 * which reads either operand transposed through its strides at no cost: 1.2–1.8× XNNPACK's time
 * on `a · b` at DEQ sizes with SIMD128, 1.5–3.5× with the relaxed-SIMD multiply-add, and no
 * transposition for flagged products. Broadcast batch dimensions follow tf.matMul; a product whose
 * right operand is shared by the whole batch runs as one tall product. Other dtypes keep the
 * stock kernel.
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
        const a = inputs.a as tf.TensorInfo;
        const b = inputs.b as tf.TensorInfo;
        if (a.dtype !== 'float32' || b.dtype !== 'float32' || !isWasmModuleBackend(backend)) return originalFunc(args);
        const transposeA = attrs?.transposeA === true;
        const transposeB = attrs?.transposeB === true;
        const [aRows, aCols] = a.shape.slice(-2);
        const [bRows, bCols] = b.shape.slice(-2);
        const m = transposeA ? aCols : aRows;
        const k = transposeA ? aRows : aCols;
        const n = transposeB ? bRows : bCols;
        if ((transposeB ? bCols : bRows) !== k) {
          throw new BackendError(`BatchMatMul: inner dimensions differ (${k} and ${transposeB ? bCols : bRows}) for shapes [${a.shape}] and [${b.shape}] with transposeA=${transposeA}, transposeB=${transposeB}`);
        }
        const batchA = a.shape.slice(0, -2);
        const batchB = b.shape.slice(0, -2);
        const outBatch = tf.broadcast_util.assertAndGetBroadcastShape(batchA, batchB);
        const out = backend.makeOutput([...outBatch, m, n], 'float32');
        if (size(outBatch) === 0 || m === 0 || n === 0) return out;
        const aBase = operandOffset(backend, a);
        const bBase = operandOffset(backend, b);
        const cBase = operandOffset(backend, out);
        if (size(batchB) === 1 && !transposeA) {
          // one right operand for every entry of a: a's rows stacked are one tall product
          product(backend, cBase, gemmOperand(aBase, size(outBatch) * m, k, false), gemmOperand(bBase, bRows, bCols, transposeB), size(outBatch) * m, k, n);
          return out;
        }
        const indexA = broadcastBatchIndices(batchA, outBatch);
        const indexB = broadcastBatchIndices(batchB, outBatch);
        for (let i = 0; i < indexA.length; i++) {
          const aOperand = gemmOperand(aBase + 4 * indexA[i] * aRows * aCols, aRows, aCols, transposeA);
          product(backend, cBase + 4 * i * m * n, aOperand, gemmOperand(bBase + 4 * indexB[i] * bRows * bCols, bRows, bCols, transposeB), m, k, n);
        }
        return out;
      };
    },
    true,
  );
}

/** Elements of a shape. */
function size(shape: readonly number[]): number {
  return shape.reduce((p, d) => p * d, 1);
}

/** One product: the zero-skipping kernel when an operand is mostly zeros, else the dense one. */
function product(backend: WasmModuleBackend, c: number, a: GemmOperand, b: GemmOperand, rows: number, k: number, n: number): void {
  if (!sparseGemm(backend, c, a, b, rows, k, n)) wasmGemm(backend, c, a, b, rows, k, n);
}
