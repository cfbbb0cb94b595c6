import * as tf from '@tensorflow/tfjs-core';
import { BackendError } from '../../core/errors.js';
import { heapOffset, isWasmModuleBackend, wasmModuleExports, type WasmModuleBackend } from '../wasm-modules.js';
import { overrideKernel } from './registry.js';
import { WASM_BASE64 } from './wasm-column-sum-wasm.js';

/**
 * wasm's stock Sum reduces only innermost axes: for any other it first transposes the whole input
 * (a copy), then sums. A sum over leading axes is what every bias gradient and every broadcast
 * add's backward does (the batch axis: [128, 128] → [128] took 111 µs). This replacement sums
 * float32 inputs over a leading block of axes (0, 1, …, r − 1) in place by columns
 * (wasm-column-sum.wat), each column from 0 in row order as the stock kernel sums after its
 * transposition, so results are bit-identical; other axes and dtypes keep the stock kernel.
 */
export function registerWasmColumnSum(): void {
  overrideKernel(
    'Sum',
    'wasm',
    (original) => {
      if (!original) throw new BackendError('registerWasmColumnSum: the wasm backend has no Sum kernel');
      const originalFunc = original.kernelFunc;
      return (args) => {
        const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
        const out = isWasmModuleBackend(args.backend) ? columnSumWasm(args.backend, args.inputs.x as tf.TensorInfo, axis, keepDims) : null;
        return out ?? originalFunc(args);
      };
    },
    true,
  );
}

/**
 * The sum of float32 `x` over `axis` when the axes are a leading block (0, 1, …, r − 1) of a
 * non-empty input, by the column-sum kernel; null (nothing allocated) for the sums it leaves to the
 * stock kernel.
 */
export function columnSumWasm(backend: WasmModuleBackend, x: tf.TensorInfo, axis: number | number[], keepDims: boolean): tf.TensorInfo | null {
  const axes = tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
  const leading = axes.length > 0 && axes.length < x.shape.length && axes.every((a, i) => a === i);
  if (!leading || x.dtype !== 'float32' || x.shape.some((d) => d === 0)) return null;
  const rows = x.shape.slice(0, axes.length).reduce((p, d) => p * d, 1);
  const inner = x.shape.slice(axes.length);
  const cols = inner.reduce((p, d) => p * d, 1);
  const out = backend.makeOutput(keepDims ? [...axes.map(() => 1), ...inner] : inner, 'float32');
  wasmModuleExports<{ columnSum(out: number, x: number, rows: number, cols: number): void }>(WASM_BASE64, backend).columnSum(
    heapOffset(backend, out),
    heapOffset(backend, x),
    rows,
    cols,
  );
  return out;
}
