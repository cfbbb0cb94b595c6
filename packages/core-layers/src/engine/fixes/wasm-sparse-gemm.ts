import { wasmModuleExports, withScratch, type WasmModuleBackend } from '../wasm-modules.js';
import { gemmKernels, packedFloats, relaxedSimdSupported, wasmGemmOptions, type GemmOperand } from './wasm-gemm.js';
import { WASM_BASE64 as FMA_BASE64 } from './wasm-sparse-gemm-fma-wasm.js';
import { WASM_BASE64 as PLAIN_BASE64 } from './wasm-sparse-gemm-wasm.js';
import { WASM_BASE64 as LISTS_BASE64 } from './wasm-sparse-lists-wasm.js';

/** The list builders' exports (wasm-sparse-lists.wat); pointers are heap byte offsets. */
type ListExports = {
  rowLists(a: number, m: number, k: number, ars: number, acs: number, lists: number, starts: number): number;
  columnLists(a: number, m: number, k: number, bs: number, lists: number, starts: number, cursor: number): number;
  panelLists(pack: number, k: number, panels: number, lists: number, starts: number): number;
  finite(p: number, count: number): number;
  finiteStrided(a: number, m: number, k: number, ars: number, acs: number): number;
  transpose(dst: number, src: number, rows: number, cols: number): void;
};

/** The listed products' exports (wasm-sparse-gemm.wat, wasm-sparse-gemm-fma.wat). */
type ProductExports = {
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
 * for a mostly-zero A, each block of 2 rows runs over the columns p where one of its rows is
 * nonzero; a mostly-zero row-major B is the transposed case, C = (Bᵀ·Aᵀ)ᵀ; a mostly-zero B stored
 * by columns runs each 8-column panel over the rows p where it is nonzero (wasm-sparse-gemm.wat,
 * lists by wasm-sparse-lists.wat).
 * Each element is the dense kernel's sum without zero terms, in the same order and with the same
 * multiply-add, so the bits are the dense product's; a non-finite value in the other operand (where
 * 0·∞ would make NaN) leaves the product to the dense kernel. Returns false, having written
 * nothing, when neither operand qualifies (see {@link sparseGemmSettings}): the caller then runs
 * the dense kernel.
 */
export function sparseGemm(backend: WasmModuleBackend, c: number, a: GemmOperand, b: GemmOperand, m: number, k: number, n: number): boolean {
  const { enabled, zeroOperands, minElements } = sparseGemmSettings;
  if (!enabled || m === 0 || n === 0 || k === 0) return false;
  // a large operand is tried for mostly zeros; a smaller one (with zeroOperands) for all zeros
  const largeA = m * k >= minElements;
  const largeB = k * n >= minElements;
  const triesA = largeA || zeroOperands;
  const triesB = largeB || zeroOperands;
  if (!triesA && !triesB) return false;
  const heap = heapView(backend);
  const sparseA = triesA && mostlyZeros(heap, a, m, k, largeA);
  if (!sparseA && !(triesB && mostlyZeros(heap, b, k, n, largeB))) return false;
  if (sparseA) return listedByRows(backend, c, a, b, m, k, n);
  // a mostly-zero row-major B: C = (Bᵀ·Aᵀ)ᵀ, where Bᵀ is a mostly-zero A stored by columns, whose
  // 2-row lists are shorter than B's 8-column panels' (MNIST: 22 % of the steps against 38 %)
  if (b.colStride === 1) return listedByRows(backend, c, { offset: b.offset, rowStride: 1, colStride: b.rowStride }, { offset: a.offset, rowStride: a.colStride, colStride: a.rowStride }, n, k, m, true);
  return listedByPanels(backend, c, a, b, m, k, n);
}

/** The product module in the multiply-add variant the engine and `wasmGemmOptions` allow. */
function productKernels(backend: WasmModuleBackend): ProductExports {
  const fma = wasmGemmOptions.multiplyAdd === 'auto' && relaxedSimdSupported();
  return wasmModuleExports<ProductExports>(fma ? FMA_BASE64 : PLAIN_BASE64, backend);
}

/**
 * C = A · B for a mostly-zero A, over per-2-row step lists (columnLists for an A stored by
 * columns, else rowLists); with `transposed`, writes Cᵀ (n×m) to `c` through a scratch C.
 * False, having written nothing, when B is not finite or the lists would not pay.
 */
function listedByRows(backend: WasmModuleBackend, c: number, a: GemmOperand, b: GemmOperand, m: number, k: number, n: number, transposed = false): boolean {
  const lists = wasmModuleExports<ListExports>(LISTS_BASE64, backend);
  const units = Math.ceil(m / A_LIST_ROWS);
  const panelFloats = packedFloats(k, n) - 8;
  // one scratch block: B's panels, 8 floats for partial stores, the list starts, a cursor per unit,
  // the lists, and (transposed) the product before its transposition
  return withScratch(backend, 'sparse-gemm', 4 * (panelFloats + 8 + 2 * units + 1 + units * k + (transposed ? m * n : 0)), (pack) => {
    const tmp = pack + 4 * panelFloats;
    const starts = tmp + 4 * 8;
    const cursor = starts + 4 * (units + 1);
    const listed = cursor + 4 * units;
    const product = listed + 4 * units * k;
    gemmKernels(backend).pack(pack, b.offset, k, n, b.rowStride, b.colStride);
    if (lists.finite(pack, panelFloats) !== 1) return false;
    const byColumns = a.rowStride === 1 && a.colStride !== 1;
    const steps = byColumns ? lists.columnLists(a.offset, m, k, a.colStride, listed, starts, cursor) : lists.rowLists(a.offset, m, k, a.rowStride, a.colStride, listed, starts);
    if (steps > sparseGemmSettings.maxSteps * units * k) return false;
    productKernels(backend).listedRows(transposed ? product : c, a.offset, pack, m, k, n, a.rowStride, a.colStride, listed, starts, tmp);
    if (transposed) lists.transpose(c, product, m, n);
    return true;
  });
}

/** C = A · B for a mostly-zero B, over per-panel step lists (panelLists). False as listedByRows. */
function listedByPanels(backend: WasmModuleBackend, c: number, a: GemmOperand, b: GemmOperand, m: number, k: number, n: number): boolean {
  const lists = wasmModuleExports<ListExports>(LISTS_BASE64, backend);
  const units = Math.ceil(n / 8);
  const panelFloats = packedFloats(k, n) - 8;
  return withScratch(backend, 'sparse-gemm', 4 * (panelFloats + 8 + units + 1 + units * k), (pack) => {
    const tmp = pack + 4 * panelFloats;
    const starts = tmp + 4 * 8;
    const listed = starts + 4 * (units + 1);
    if (lists.finiteStrided(a.offset, m, k, a.rowStride, a.colStride) !== 1) return false;
    gemmKernels(backend).pack(pack, b.offset, k, n, b.rowStride, b.colStride);
    const steps = lists.panelLists(pack, k, units, listed, starts);
    if (steps > sparseGemmSettings.maxSteps * units * k) return false;
    productKernels(backend).listedPanels(c, a.offset, pack, m, k, n, a.rowStride, a.colStride, listed, starts, tmp);
    return true;
  });
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
