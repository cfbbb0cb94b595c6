import type * as tf from '@tensorflow/tfjs-core';
import { overrideKernel } from './registry.js';
import { asWasmHeapBackend } from './wasm-heap.js';

/**
 * Registers UnsortedSegmentSum for wasm, which tfjs-backend-wasm lacks; it is the gradient of
 * `tf.gather` (so of every embedding lookup). Output `[numSegments, ...x.shape[ids.rank:]]`:
 * each row of `x` is added to the row its segment id names; ids outside [0, numSegments) are
 * dropped, as in TensorFlow. A JavaScript loop over the wasm heap (the work is one pass over x).
 */
export function registerWasmUnsortedSegmentSum(): void {
  overrideKernel('UnsortedSegmentSum', 'wasm', () => (args) => {
    const backend = asWasmHeapBackend(args.backend, 'UnsortedSegmentSum');
    const x = args.inputs.x as tf.TensorInfo;
    const ids = args.inputs.segmentIds as tf.TensorInfo;
    const numSegments = (args.attrs as { numSegments: number }).numSegments;
    const rowShape = x.shape.slice(ids.shape.length);
    const rowSize = rowShape.reduce((p, d) => p * d, 1);
    const rows = ids.shape.reduce((p, d) => p * d, 1);
    const out = backend.makeOutput([numSegments, ...rowShape], x.dtype);
    const target = backend.typedArrayFromHeap(out);
    const source = backend.typedArrayFromHeap(x);
    const segment = backend.typedArrayFromHeap(ids);
    target.fill(0);
    for (let r = 0; r < rows; r++) {
      const s = segment[r];
      if (s < 0 || s >= numSegments) continue;
      const from = r * rowSize;
      const to = s * rowSize;
      for (let k = 0; k < rowSize; k++) target[to + k] += source[from + k];
    }
    return out;
  });
}
