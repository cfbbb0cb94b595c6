/**
 * The fused solver kernels' wasm module (kernels.wat, compiled to kernels-wasm.ts), instantiated
 * on tfjs's wasm backend memory, and the helpers the kernel wrappers share (internal).
 *
 * Outside f, a solver iteration on a [B, n] state is dozens of small tfjs ops; on wasm each costs
 * 8–20 µs of dispatch however small the tensors, which made them most of a solve at DEQ sizes.
 * The fused kernels do that work in a few calls that run in the backend's own memory, four lanes
 * at a time. Their float32 sums use four partial sums per row, so results differ from the
 * op-by-op path in the last bits (tests bound the difference).
 */
import * as tf from '@tensorflow/tfjs-core';
import { heapOffset, wasmModuleExports, type WasmModuleBackend } from '@deqts/core-layers';
import { WASM_BASE64 } from './kernels-wasm.js';

/** The module's exports; every pointer is a byte offset in the wasm backend's memory. */
export type KernelExports = {
  mix(out: number, u: number, r: number, beta: number, mptrs: number, gamma: number, k: number, active: number, batch: number, n: number): void;
  post(next: number, fu: number, r: number, u: number, beta: number, rOut: number, dgOut: number, mixOut: number, gptrs: number, k: number, stats: number, batch: number, n: number): void;
  mgs(out: number, w: number, vptrs: number, k: number, hcol: number, batch: number, n: number): void;
  lowrank(out: number, x: number, dptrs: number, aptrs: number, k: number, batch: number, n: number): void;
  bstats(d: number, z: number, r: number, fu: number, stats: number, batch: number, n: number): void;
  bupdate(z: number, d: number, coef: number, outA: number, outN: number, outD: number, batch: number, n: number): void;
};

/** The module instance bound to this backend's memory. */
export const kernelsFor = (backend: WasmModuleBackend): KernelExports => wasmModuleExports<KernelExports>(WASM_BASE64, backend);

/**
 * Writes the heap offsets of `tensors` into a new scratch block of at least `words` 32-bit words
 * (the pointer table comes first) and returns it; free it with `backend.disposeData`.
 */
export function pointerTable(backend: WasmModuleBackend, tensors: readonly tf.TensorInfo[], words = tensors.length): tf.TensorInfo {
  const block = backend.makeOutput([Math.max(1, words)], 'int32');
  const offsets = tensors.map((t) => heapOffset(backend, t));
  new Int32Array(backend.wasm.asm.memory.buffer, heapOffset(backend, block), offsets.length).set(offsets);
  return block;
}
