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
/** What the cache needs of the wasm backend: its data map and disposal (public members of BackendWasm). */
type CacheBackend = { dataIdMap?: { has(dataId: unknown): boolean }; disposeData(dataId: unknown, force?: boolean): boolean };

/**
 * Transposed copies of recently used right operands of `a · bᵀ`, keyed by the operand's dataId.
 * tfjs tensor data are immutable and a dataId is never reused for other data, so a hit is always
 * valid; entries whose source was disposed are dropped at the next miss, and at most `capacity`
 * entries are kept (least recently used out). The copies are backend buffers made by the wasm
 * Transpose kernel, not engine tensors: they do not appear in tf.memory().numTensors. A stable
 * bᵀ also lets XNNPACK reuse its packed weights (its operator cache is keyed by b's dataId), so a
 * repeated 128×128 `z · Wᵀ` drops from ~0.4 to ~0.2 ms.
 */
export const transposedOperands = {
  enabled: true,
  capacity: 8,
  entries: new Map<tf.DataId, { info: tf.TensorInfo; backend: CacheBackend }>(),
  /** bᵀ for a rank-2 float32 b on the wasm backend (owned by the cache). */
  get(b: tf.TensorInfo, backend: unknown): tf.TensorInfo {
    const hit = this.entries.get(b.dataId);
    if (hit && hit.backend === backend) {
      this.entries.delete(b.dataId);
      this.entries.set(b.dataId, hit);
      return hit.info;
    }
    const wasm = backend as CacheBackend;
    for (const [source, entry] of this.entries) {
      if (entry.backend !== backend || (wasm.dataIdMap && !wasm.dataIdMap.has(source))) this.drop(source);
    }
    const transpose = tf.getKernel('Transpose', 'wasm');
    if (!transpose) throw new BackendError('transposedOperands: the wasm backend has no Transpose kernel');
    const info = transpose.kernelFunc({ inputs: { x: b }, attrs: { perm: [1, 0] }, backend: backend as tf.KernelBackend }) as tf.TensorInfo;
    this.entries.set(b.dataId, { info, backend: wasm });
    while (this.entries.size > this.capacity) this.drop(this.entries.keys().next().value as tf.DataId);
    return info;
  },
  drop(source: tf.DataId): void {
    const entry = this.entries.get(source);
    if (!entry) return;
    this.entries.delete(source);
    try {
      entry.backend.disposeData(entry.info.dataId, true);
    } catch {
      // the backend itself was disposed (tf.removeBackend): its buffers went with it
    }
  },
  /** Frees every cached copy. */
  clear(): void {
    for (const source of [...this.entries.keys()]) this.drop(source);
  },
};

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
        if (transposedOperands.enabled && !transposeA && transposeB && a.shape.length === 2 && b.shape.length === 2) {
          // a [m, k] · bᵀ with b [n, k]: when the plan below would transpose b anyway (2nk ≤
          // 2mk + mn), reuse bᵀ from the cache (a DEQ applies the same weight 30+ times a step).
          const [m, k] = a.shape;
          const n = b.shape[0];
          if (2 * n * k <= 2 * m * k + m * n) {
            const bT = transposedOperands.get(b, backend);
            return originalFunc({ inputs: { a, b: bT }, attrs: { transposeA: false, transposeB: false }, backend });
          }
        }
        const ta = tensorInput(a, 'a', 'BatchMatMul');
        const tb = tensorInput(b, 'b', 'BatchMatMul');
        return tf.tidy(() => matMulNoFlags(ta, tb, transposeA, transposeB, batchedKernel));
      };
    },
    true,
  );
}
