import { heapOffset, wasmModuleExports, type WasmModuleBackend } from '../wasm-modules.js';
import { gemmKernels, packedFloats, relaxedSimdSupported, wasmGemmOptions, type GemmOperand } from './wasm-gemm.js';
import { WASM_BASE64 as FMA_BASE64 } from './wasm-sparse-gemm-fma-wasm.js';
import { WASM_BASE64 as PLAIN_BASE64 } from './wasm-sparse-gemm-wasm.js';

/** The zero-skipping product module's exports (wasm-sparse-gemm.wat); pointers are heap byte offsets. */
type SparseExports = {
  rowLists(a: number, m: number, k: number, ars: number, acs: number, lists: number, starts: number): number;
  panelLists(pack: number, k: number, panels: number, lists: number, starts: number): number;
  finite(p: number, count: number): number;
  finiteStrided(a: number, m: number, k: number, ars: number, acs: number): number;
  listedRows(c: number, a: number, pack: number, m: number, k: number, n: number, ars: number, acs: number, lists: number, starts: number, tmp: number): void;
  listedPanels(c: number, a: number, pack: number, m: number, k: number, n: number, ars: number, acs: number, lists: number, starts: number, tmp: number): void;
};

/** Rows per step list of a mostly-zero A (A_LIST_ROWS in scripts/kernels/gemm-blocks.ts). */
const A_LIST_ROWS = 2;

/**
 * When the zero-skipping product is tried (internal; bench/ab-step.ts flips `enabled` to time both
 * paths, tests lower `minElements`): an operand of at least `minElements` values whose sample of
 * `samples` values is at least `minZeroFraction` zeros, or a smaller one whose sample is all zeros
 * (a DEQ's first step from z₀ = 0: the product of W with a zero state, forward and for dW); the
 * listed steps must then be at most `maxSteps` of the dense kernel's. `zeroOperands: false` leaves
 * the smaller operands to the dense kernel.
 */
export const sparseGemmSettings = { enabled: true, zeroOperands: true, minElements: 32768, samples: 256, minZeroFraction: 0.6, maxSteps: 0.6 };

/**
 * C = A · B (C m×n row-major at byte offset `c`) by the dense kernel's blocks, leaving out the steps
 * that only add zeros, for a mostly-zero operand such as MNIST pixels (81 % zeros) or one-hot rows:
 * for a mostly-zero A, each block of rows runs over the columns p where one of its rows is nonzero;
 * for a mostly-zero B, each 8-column panel over the rows p where it is nonzero (wasm-sparse-gemm.wat).
 * Each element is the dense kernel's sum without zero terms, in the same order and with the same
 * multiply-add, so the bits are the dense product's; a non-finite value in the other operand (where
 * 0·∞ would make NaN) leaves the product to the dense kernel. Returns false, having written
 * nothing, when neither operand qualifies (see {@link sparseGemmSettings}): the caller then runs
 * the dense kernel.
 */
export function sparseGemm(backend: WasmModuleBackend, c: number, a: GemmOperand, b: GemmOperand, m: number, k: number, n: number): boolean {
  const { enabled, zeroOperands, minElements } = sparseGemmSettings;
  if (!enabled || m === 0 || n === 0 || k === 0) return false;
  const largeA = m * k >= minElements;
  const largeB = k * n >= minElements;
  if (!zeroOperands && !largeA && !largeB) return false;
  const heap = heapView(backend);
  const sparseA = (largeA || zeroOperands) && mostlyZeros(heap, a, m, k, largeA);
  if (!sparseA && !((largeB || zeroOperands) && mostlyZeros(heap, b, k, n, largeB))) return false;
  const fma = wasmGemmOptions.multiplyAdd === 'auto' && relaxedSimdSupported();
  const kernels = wasmModuleExports<SparseExports>(fma ? FMA_BASE64 : PLAIN_BASE64, backend);
  const panels = Math.ceil(n / 8);
  const units = sparseA ? Math.ceil(m / A_LIST_ROWS) : panels;
  const panelFloats = packedFloats(k, n) - 8;
  // one scratch block: B's panels, 8 floats for partial stores, the units' list starts and the lists
  const scratch = backend.makeOutput([panelFloats + 8 + units + 1 + units * k], 'float32');
  try {
    const pack = heapOffset(backend, scratch);
    const tmp = pack + 4 * panelFloats;
    const starts = tmp + 4 * 8;
    const lists = starts + 4 * (units + 1);
    gemmKernels(backend).pack(pack, b.offset, k, n, b.rowStride, b.colStride);
    const otherFinite = sparseA ? kernels.finite(pack, panelFloats) : kernels.finiteStrided(a.offset, m, k, a.rowStride, a.colStride);
    if (otherFinite !== 1) return false;
    const steps = sparseA ? kernels.rowLists(a.offset, m, k, a.rowStride, a.colStride, lists, starts) : kernels.panelLists(pack, k, panels, lists, starts);
    if (steps > sparseGemmSettings.maxSteps * units * k) return false;
    (sparseA ? kernels.listedRows : kernels.listedPanels)(c, a.offset, pack, m, k, n, a.rowStride, a.colStride, lists, starts, tmp);
    return true;
  } finally {
    backend.disposeData(scratch.dataId);
  }
}

let heapCache: Float32Array = new Float32Array(0);

/** A float view of the backend's memory, made again only when the memory has grown. */
function heapView(backend: WasmModuleBackend): Float32Array {
  const buffer = backend.wasm.asm.memory.buffer;
  if (heapCache.buffer !== buffer) heapCache = new Float32Array(buffer);
  return heapCache;
}

/**
 * Whether a sample of the rows×cols operand, spread over rows and columns, is mostly zeros
 * (`large`: at least `minZeroFraction` of it) or, for a smaller operand, all zeros (stopping at
 * the first nonzero, so a dense small operand costs a read or two).
 */
function mostlyZeros(heap: Float32Array, x: GemmOperand, rows: number, cols: number, large: boolean): boolean {
  const { samples, minZeroFraction } = sparseGemmSettings;
  const total = rows * cols;
  const base = x.offset >> 2;
  const needed = large ? minZeroFraction * samples : samples;
  let zeros = 0;
  // the golden-ratio sequence s·φ mod 1 (an even spacing can fall on one column of every row:
  // MNIST's blank border), kept by adding φ and wrapping (a float remainder costs more than the read)
  let position = 0;
  for (let s = 0; s < samples; s++) {
    const e = Math.floor(position * total);
    const i = Math.floor(e / cols);
    if (heap[base + i * x.rowStride + (e - i * cols) * x.colStride] === 0) zeros++;
    else if (samples - (s + 1 - zeros) < needed) return false; // too few samples left to qualify
    position += 0.6180339887498949;
    if (position >= 1) position -= 1;
  }
  return zeros >= needed;
}
