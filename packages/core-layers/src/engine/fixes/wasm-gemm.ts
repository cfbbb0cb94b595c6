import type * as tf from '@tensorflow/tfjs-core';
import { heapOffset, wasmBytes, wasmModuleExports, withScratch, type WasmModuleBackend } from '../wasm-modules.js';
import { WASM_BASE64 as FMA_BASE64 } from './wasm-gemm-fma-wasm.js';
import { WASM_BASE64 as PLAIN_BASE64 } from './wasm-gemm-wasm.js';

/** The product module's exports (wasm-gemm.wat); pointers are heap byte offsets. */
export type GemmExports = {
  gemm(c: number, a: number, b: number, pack: number, m: number, k: number, n: number, ars: number, acs: number, brs: number, bcs: number): void;
  pack(pack: number, b: number, k: number, n: number, brs: number, bcs: number): void;
  conv(out: number, xp: number, filter: number, pack: number, batch: number, oh: number, ow: number, cin: number, cout: number, kh: number, kw: number): void;
  pad(dst: number, src: number, batch: number, h: number, w: number, c: number, top: number, bottom: number, left: number, right: number): void;
};

/**
 * Which multiply-add DEQ.ts's wasm matrix product uses: 'auto' (the default) takes the relaxed-SIMD
 * fused multiply-add when the engine accepts relaxed SIMD (browsers since Chrome 114 / Firefox
 * 120, Node ≥ 22, or Node 20 after `enableRelaxedSimd()`), else SIMD128's multiply then add.
 * Set to 'simd128' for results that do not depend on the host's FMA support.
 *
 * @example
 * ```ts
 * import { wasmGemmOptions } from '@deqts/core-layers';
 * wasmGemmOptions.multiplyAdd = 'simd128'; // bit-identical products across machines
 * ```
 */
export const wasmGemmOptions: { multiplyAdd: 'auto' | 'simd128' } = { multiplyAdd: 'auto' };

let fmaValid: boolean | undefined;

/**
 * True when this JavaScript engine accepts relaxed-SIMD wasm (the fused multiply-add variant of
 * the matrix product). Checked once, by validating the kernel module (again after
 * `enableRelaxedSimd()`).
 *
 * @example
 * ```ts
 * import { relaxedSimdSupported } from '@deqts/core-layers';
 * console.log(relaxedSimdSupported() ? 'fused multiply-add' : 'multiply then add');
 * ```
 */
export function relaxedSimdSupported(): boolean {
  if (fmaValid === undefined) fmaValid = WebAssembly.validate(wasmBytes(FMA_BASE64));
  return fmaValid;
}

/**
 * Node 20's V8 (11.3) implements relaxed SIMD but accepts it only behind a flag, which V8 11.4
 * (Chrome 114, Node 22) turned on by default. In Node 20 this sets the flag through `node:v8`
 * (it affects only wasm modules compiled afterwards: our kernels, compiled on first use) and
 * returns whether relaxed SIMD is now accepted; elsewhere it changes nothing. `initBackend`
 * calls it when it picks wasm, unless the environment variable `DEQTS_RELAXED_SIMD` is `0`.
 *
 * @example
 * ```ts
 * import { enableRelaxedSimd } from '@deqts/core-layers';
 * console.log(await enableRelaxedSimd()); // true in Node ≥ 20 and current browsers
 * ```
 */
export async function enableRelaxedSimd(): Promise<boolean> {
  if (relaxedSimdSupported()) return true;
  const nodeVersion = (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node;
  if (!nodeVersion) return false;
  try {
    const specifier = 'node:v8'; // a variable keeps browser bundlers from resolving it
    const v8 = (await import(/* @vite-ignore */ specifier)) as { setFlagsFromString(flags: string): void };
    v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    return false;
  }
  fmaValid = undefined;
  return relaxedSimdSupported();
}

/**
 * Floats of the kernel's packing scratch for a k×n right operand: ceil(n/8) panels of k rows of 8,
 * and 8 more for storing a partial panel's block (the `tmp` the kernel writes past the panels).
 */
export function packedFloats(k: number, n: number): number {
  return Math.ceil(n / 8) * k * 8 + 8;
}

/** The product module for this backend, in the variant `wasmGemmOptions` and the engine allow. */
export function gemmKernels(backend: WasmModuleBackend): GemmExports {
  const fma = wasmGemmOptions.multiplyAdd === 'auto' && relaxedSimdSupported();
  return wasmModuleExports<GemmExports>(fma ? FMA_BASE64 : PLAIN_BASE64, backend);
}

/** Where one operand's matrix starts in the heap and its element strides. */
export type GemmOperand = { offset: number; rowStride: number; colStride: number };

/**
 * C (m×n, row-major at byte offset `c`) = A · B with A m×k and B k×n read through their element
 * strides (a transposed operand is a swap of strides), by DEQ.ts's SIMD kernel (wasm-gemm.wat),
 * in the wasm backend's memory. Packs B in a scratch block kept between calls (withScratch).
 */
export function wasmGemm(backend: WasmModuleBackend, c: number, a: GemmOperand, b: GemmOperand, m: number, k: number, n: number): void {
  if (m === 0 || n === 0) return;
  const kernels = gemmKernels(backend);
  withScratch(backend, 'gemm-pack', 4 * packedFloats(k, n), (pack) =>
    kernels.gemm(c, a.offset, b.offset, pack, m, k, n, a.rowStride, a.colStride, b.rowStride, b.colStride),
  );
}

/** The operand view of a stored matrix `[rows, cols]` at `offset`, transposed or not. */
export function gemmOperand(offset: number, rows: number, cols: number, transposed: boolean): GemmOperand {
  return transposed ? { offset, rowStride: 1, colStride: cols } : { offset, rowStride: cols, colStride: 1 };
}

/** Byte offset of a tensor in the heap (0-size tensors have none: any offset is unused). */
export function operandOffset(backend: WasmModuleBackend, info: tf.TensorInfo): number {
  return info.shape.some((d) => d === 0) ? 0 : heapOffset(backend, info);
}
