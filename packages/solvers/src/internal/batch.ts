import * as tf from '@tensorflow/tfjs-core';
import { canRunWasmKernels, registerWasmKernel, ShapeError } from '@deqts/core-layers';
import type { ResidualNorm, TerminationSettings } from '../termination.js';
import { checkQuantities, type CheckValues } from '../termination.js';
import { solverSwitches } from './switches.js';

/*
 * Batched helpers. Solvers work on states flattened to [B, n]: row b is sample b. Every
 * reduction here is per row, so no sample's numbers ever reach another's.
 */

/** Reshapes a batched state to [B, n]. */
export function flattenBatch(u: tf.Tensor): tf.Tensor2D {
  const batch = u.shape[0];
  return tf.reshape(u, [batch, u.size / Math.max(batch, 1)]) as tf.Tensor2D;
}

/** Checks that `u0` is a float32 tensor with a leading batch axis. */
export function checkInitialState(u0: unknown, owner: string): asserts u0 is tf.Tensor {
  if (!(u0 instanceof tf.Tensor)) throw new ShapeError(`${owner}: u0 must be a tensor, got ${typeof u0}`);
  if (u0.rank < 1 || u0.shape[0] < 1) {
    throw new ShapeError(`${owner}: u0 must have a leading batch axis of size ≥ 1 (shape [batch, ...]), got [${u0.shape.join(', ')}]`);
  }
  if (u0.dtype !== 'float32') throw new ShapeError(`${owner}: u0 must be float32, got ${u0.dtype}`);
}

/** Wraps a user map on the original shape as a map on [B, n], checking the output shape. */
export function flatMap(f: (u: tf.Tensor) => tf.Tensor, shape: readonly number[], owner: string): (u: tf.Tensor2D) => tf.Tensor2D {
  const full = [...shape];
  // A state that is already [B, n] goes to f as it is (a Reshape op per call otherwise).
  const flat = full.length === 2;
  return (u) => {
    const out = f(flat ? u : tf.reshape(u, full));
    if (!(out instanceof tf.Tensor) || out.shape.length !== full.length || out.shape.some((d, i) => d !== full[i])) {
      const got = out instanceof tf.Tensor ? `[${out.shape.join(', ')}]` : typeof out;
      throw new ShapeError(`${owner}: f must return a tensor shaped like u, [${full.join(', ')}]; got ${got}`);
    }
    // (f may return its argument itself: hand back a distinct tensor, as the reshape did.)
    return (flat ? (out === u ? tf.clone(out) : out) : tf.reshape(out, u.shape)) as tf.Tensor2D;
  };
}

/** Per-sample inner product of two [B, n] tensors → [B]. */
export function rowDot(a: tf.Tensor, b: tf.Tensor): tf.Tensor1D {
  return tf.sum(tf.mul(a, b), 1) as tf.Tensor1D;
}

/** Per-sample inner product of two [B, n] tensors → [B, 1] (a block for {@link readColumns}). */
export function rowDotColumn(a: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  return tf.sum(tf.mul(a, b), 1, true) as tf.Tensor2D;
}

/** Per-sample norm → [B] ([B, 1] with `keepDims`): max-abs (`'inf'`) or RMS (`'l2'`). */
export function rowNorm(x: tf.Tensor, kind: ResidualNorm): tf.Tensor1D;
export function rowNorm(x: tf.Tensor, kind: ResidualNorm, keepDims: true): tf.Tensor2D;
export function rowNorm(x: tf.Tensor, kind: ResidualNorm, keepDims = false): tf.Tensor {
  return kind === 'inf' ? tf.max(tf.abs(x), 1, keepDims) : tf.sqrt(tf.mean(tf.square(x), 1, keepDims));
}

/** [B] → [B, 1], for per-sample scalars that broadcast over a row. */
export function asColumn(v: tf.Tensor): tf.Tensor2D {
  return tf.reshape(v, [v.size, 1]) as tf.Tensor2D;
}

/** Host numbers → a [B, 1] float32 column. */
export function uploadColumn(values: ArrayLike<number>): tf.Tensor2D {
  return tf.tensor2d(Float32Array.from(values), [values.length, 1], 'float32');
}

/**
 * Row b of `stepped` where sample b is still running, of `frozen` where it has stopped (per-sample
 * freezing). While every sample runs (most iterations) this is `stepped` itself: no select op and
 * none of the three broadcast copies tf.where makes of equally shaped operands.
 */
export function selectRunning(active: tf.Tensor2D, activeHost: Uint8Array, stepped: tf.Tensor2D, frozen: tf.Tensor2D): tf.Tensor2D {
  if (solverSwitches.skipAllActiveSelect && activeHost.every((a) => a === 1)) return stepped;
  if (canRunWasmKernels()) return selectRows(activeHost, stepped, frozen);
  return tf.where(active, stepped, frozen) as tf.Tensor2D;
}

/**
 * Host row flags → a full [B, width] bool mask for tf.where over rows. Built on the host: on the
 * wasm backend, tf.where with a broadcast [B, 1] condition tiles it in JavaScript (~13 ms for
 * [128, 1024], 15× the select itself), while uploading the full mask costs ~0.25 ms.
 */
export function uploadMask(flags: ArrayLike<boolean | number>, width: number): tf.Tensor2D {
  const data = new Uint8Array(flags.length * width);
  for (let i = 0; i < flags.length; i++) if (flags[i]) data.fill(1, i * width, (i + 1) * width);
  return tf.tensor2d(data, [flags.length, width], 'bool');
}

const SELECT_ROWS = 'DeqtsSelectRows';

/** Registers the wasm row-select kernel once: rows copied within the heap (a memmove per row). */
function registerSelectRows(): void {
  registerWasmKernel(SELECT_ROWS, (backend, inputs, attrs) => {
    const { a, b } = inputs;
    const flags = (attrs as { flags: Uint8Array }).flags;
    const [batch, width] = a.shape;
    const out = backend.makeOutput([batch, width], 'float32');
    // views after the allocation: growing the heap detaches earlier ones
    const heap = new Float32Array(backend.wasm.asm.memory.buffer);
    const [pa, pb, po] = [a, b, out].map((t) => backend.typedArrayFromHeap(t).byteOffset / 4);
    for (let row = 0; row < batch; row++) {
      const from = (flags[row] ? pa : pb) + row * width;
      heap.copyWithin(po + row * width, from, from + width);
    }
    return out;
  });
}

/**
 * Row i of `a` where `flags[i]` is set, of `b` elsewhere (both [B, width] float32). On wasm with no
 * tape recording this is one kernel copying rows in the heap; tf.where on a full mask costs a
 * mask upload plus a select that runs ~5 ms on [128, 12544] (a conv DEQ's state). Elsewhere it is
 * tf.where with a mask built on the host.
 */
export function selectRows(flags: ArrayLike<boolean | number>, a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  if (a.dtype === 'float32' && b.dtype === 'float32' && canRunWasmKernels()) {
    registerSelectRows();
    return tf.engine().runKernel(SELECT_ROWS, { a, b }, { flags: Uint8Array.from(flags as ArrayLike<number>, (f) => (f ? 1 : 0)) }) as tf.Tensor2D;
  }
  return tf.tidy(() => tf.where(uploadMask(flags, a.shape[1]), a, b) as tf.Tensor2D);
}

/** Backends whose reads are plain synchronous copies from host memory (no device to wait for). */
const HOST_BACKENDS = new Set(['cpu', 'wasm']);

/**
 * Reads several per-sample quantities to the host and returns them as [B] Float32Arrays, in
 * order. Each block is a [B] column or a [B, c] group of c columns (what a reduction with keepDims
 * gives). On device backends (webgl, webgpu, tensorflow) the blocks are packed into one tensor and
 * read in one transfer (one device sync); on cpu and wasm, where a read is a plain copy, each
 * block is read on its own: packing would cost a concat op (a JavaScript loop on wasm, ~80 µs
 * per solver iteration for ten [128, 1] blocks) to save nothing.
 */
export function readColumns(blocks: readonly tf.Tensor[]): Float32Array[] {
  if (blocks.length === 0) return [];
  const batch = blocks[0].shape[0];
  if (solverSwitches.separateReads && HOST_BACKENDS.has(tf.getBackend())) {
    const out: Float32Array[] = [];
    for (const block of blocks) unpackRows(block.dataSync() as Float32Array, batch, block.size / batch, out);
    return out;
  }
  const widths = blocks.map((b) => (b.rank === 1 ? 1 : b.size / batch));
  const total = widths.reduce((a, w) => a + w, 0);
  const packed = tf.tidy(() => {
    const asRows = blocks.map((b) => (b.rank === 2 ? b : tf.reshape(b, [batch, b.size / batch])));
    return asRows.length === 1 ? asRows[0] : tf.concat(asRows, 1);
  });
  const data = packed.dataSync() as Float32Array;
  if (!blocks.includes(packed)) packed.dispose();
  return unpackRows(data, batch, total, []);
}

/** Appends the `width` columns of a row-major [batch, width] array to `out`, each as a new [batch] array. */
export function unpackRows(data: Float32Array, batch: number, width: number, out: Float32Array[] = []): Float32Array[] {
  for (let j = 0; j < width; j++) {
    const col = new Float32Array(batch);
    for (let b = 0; b < batch; b++) col[b] = data[b * width + j];
    out.push(col);
  }
  return out;
}

/**
 * Runs `make` inside a tf.tidy and reads the columns it returns (see {@link readColumns}). Use
 * this rather than returning readColumns' arrays from a tidy: tf.tidy walks whatever its function
 * returns looking for tensors, element by element through typed arrays (~0.25 ms for 8 columns
 * of 128 samples).
 */
export function readColumnsTidy(make: () => readonly tf.Tensor[]): Float32Array[] {
  let out: Float32Array[] = [];
  tf.tidy(() => {
    out = readColumns(make());
  });
  return out;
}

/**
 * The device quantities of a convergence check (see {@link checkQuantities}), as [B, 1] blocks
 * for {@link readColumns}.
 */
export function checkColumns(r: tf.Tensor2D, fu: tf.Tensor2D, settings: TerminationSettings): tf.Tensor2D[] {
  const q = checkQuantities(settings);
  const cols: tf.Tensor2D[] = [rowNorm(r, settings.norm, true)];
  if (q.reference) cols.push(rowNorm(fu, settings.norm, true));
  if (q.maxAbs) cols.push(rowNorm(r, 'inf', true));
  if (q.relativeExcess) cols.push(tf.max(tf.sub(tf.abs(r), tf.mul(tf.abs(fu), settings.reltol)), 1, true) as tf.Tensor2D);
  return cols;
}

/** Unpacks host values read from {@link checkColumns} into one record per sample. */
export function unpackCheck(values: readonly Float32Array[], settings: TerminationSettings): CheckValues[] {
  const q = checkQuantities(settings);
  const batch = values[0].length;
  let j = 1;
  const reference = q.reference ? values[j++] : null;
  const maxAbs = q.maxAbs ? values[j++] : null;
  const relativeExcess = q.relativeExcess ? values[j++] : null;
  const out: CheckValues[] = [];
  for (let b = 0; b < batch; b++) {
    out.push({
      norm: values[0][b],
      reference: reference ? reference[b] : NaN,
      maxAbs: maxAbs ? maxAbs[b] : NaN,
      relativeExcess: relativeExcess ? relativeExcess[b] : NaN,
    });
  }
  return out;
}

/** Replaces a kept tensor: disposes `old` (unless it is `next`) and returns `next`. */
export function replace<T extends tf.Tensor>(old: tf.Tensor | null | undefined, next: T): T {
  if (old && old !== next && !old.isDisposed) old.dispose();
  return next;
}
