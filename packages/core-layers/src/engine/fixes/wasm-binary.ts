import * as tf from '@tensorflow/tfjs-core';
import { BackendError } from '../../core/errors.js';
import { heapOffset, isWasmModuleBackend, wasmModuleExports, type WasmModuleBackend } from '../wasm-modules.js';
import { overrideKernel } from './registry.js';
import { WASM_BASE64 } from './wasm-binary-wasm.js';

const OPS = { Add: 0, Sub: 1, Multiply: 2 } as const;

/** Internal: bench/ab-step.ts turns `enabled` off to time the stock kernels in the same process. */
export const binaryKernelSettings = { enabled: true };
type BinaryKernel = keyof typeof OPS;

/**
 * wasm's stock Add, Sub and Multiply spend ~14 µs on a 128×128 float32 pair, most of it in the
 * JavaScript wrapper (broadcast shapes marshalled into the heap for every call), ~10× the
 * arithmetic. These replacements (wasm-binary.wat) take float32 pairs of equal shapes, or a
 * second operand repeated along the first's leading axes (a bias row; for Add and Multiply either
 * operand; rows of at least 16 values), in one SIMD pass with the same IEEE operations, so results
 * are bit-identical; every other case (dtypes, scalars and other broadcasts, empty tensors) keeps
 * the stock kernel.
 */
export function registerWasmBinaryKernels(): void {
  for (const name of Object.keys(OPS) as BinaryKernel[]) {
    overrideKernel(
      name,
      'wasm',
      (original) => {
        if (!original) throw new BackendError(`registerWasmBinaryKernels: the wasm backend has no ${name} kernel`);
        const originalFunc = original.kernelFunc;
        return (args) => {
          const out = binaryKernelSettings.enabled && isWasmModuleBackend(args.backend) ? binaryWasm(args.backend, name, args.inputs.a as tf.TensorInfo, args.inputs.b as tf.TensorInfo) : null;
          return out ?? originalFunc(args);
        };
      },
      true,
    );
  }
}

/** The number of values of a shape. */
const size = (shape: readonly number[]): number => shape.reduce((p, d) => p * d, 1);

/**
 * True when `tail` repeats along `shape`'s leading axes with a result shaped like `shape`: no more
 * dimensions, and its dimensions after any leading 1s are `shape`'s trailing ones.
 */
function repeatsAlong(shape: readonly number[], tail: readonly number[]): boolean {
  if (tail.length > shape.length) return false;
  let first = 0;
  while (first < tail.length && tail[first] === 1) first++;
  const core = tail.slice(first);
  return core.every((d, i) => d === shape[shape.length - core.length + i]);
}

/**
 * `a op b` for float32 operands of equal shapes, or with one repeating along the other's leading
 * axes (for Sub only b), by the wasm kernel; null (nothing allocated) for what it leaves to the
 * stock kernel.
 */
export function binaryWasm(backend: WasmModuleBackend, name: BinaryKernel, a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo | null {
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return null;
  let [x, y] = [a, b];
  if (!repeatsAlong(x.shape, y.shape)) {
    if (name === 'Sub' || !repeatsAlong(y.shape, x.shape)) return null;
    [x, y] = [b, a];
  }
  const n = size(x.shape);
  const period = size(y.shape);
  // short repeated rows (a scalar factor) would run the kernel's row loop per value: stock kernel
  if (n === 0 || period === 0 || (period < 16 && period !== n)) return null;
  const out = backend.makeOutput([...x.shape], 'float32');
  binaryKernel(backend).binary(OPS[name], heapOffset(backend, out), heapOffset(backend, x), heapOffset(backend, y), n, period);
  return out;
}

/**
 * target += other in place for two float32 tensors of one shape, by the SIMD kernel (a fused op
 * of a replayed program adds into a product it just made). False, having done nothing, for other
 * dtypes or shapes.
 */
export function addInto(backend: WasmModuleBackend, target: tf.TensorInfo, other: tf.TensorInfo): boolean {
  if (target.dtype !== 'float32' || other.dtype !== 'float32' || target.shape.length !== other.shape.length || target.shape.some((d, i) => d !== other.shape[i])) return false;
  const n = size(target.shape);
  if (n === 0) return true;
  const at = heapOffset(backend, target);
  binaryKernel(backend).binary(OPS.Add, at, at, heapOffset(backend, other), n, n);
  return true;
}

/** wasm-binary.wat: out = a (op) b over n values, b repeating with the given period. */
function binaryKernel(backend: WasmModuleBackend): { binary(op: number, out: number, a: number, b: number, n: number, period: number): void } {
  return wasmModuleExports(WASM_BASE64, backend);
}
