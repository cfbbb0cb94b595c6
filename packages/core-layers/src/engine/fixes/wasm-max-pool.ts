import * as tf from '@tensorflow/tfjs-core';
import { overrideKernel } from './registry.js';
import { asWasmHeapBackend, heapFloat32 } from './wasm-heap.js';

type PoolAttrs = {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  includeBatchInIndex?: boolean;
};

/**
 * Visits every pooling window of an NHWC input and reports, per output entry, the flat input
 * index of the window's first maximum (TensorFlow's tie rule). Padding never wins; a window
 * with no valid entry reports −1. Channels are the innermost loop so the input is read in order.
 */
function forEachWindowArgmax(
  x: Float32Array,
  info: tf.backend_util.Conv2DInfo,
  visit: (outIndex: number, inIndex: number, value: number) => void,
): void {
  const { batchSize, inHeight, inWidth, inChannels: c, outHeight, outWidth, strideHeight, strideWidth } = info;
  const { filterHeight, filterWidth, dilationHeight, dilationWidth } = info;
  const { top, left } = info.padInfo;
  const best = new Float32Array(c);
  const where = new Int32Array(c);
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        where.fill(-1);
        for (let i = 0; i < filterHeight; i++) {
          const h = oh * strideHeight - top + i * dilationHeight;
          if (h < 0 || h >= inHeight) continue;
          for (let j = 0; j < filterWidth; j++) {
            const w = ow * strideWidth - left + j * dilationWidth;
            if (w < 0 || w >= inWidth) continue;
            const base = ((b * inHeight + h) * inWidth + w) * c;
            for (let k = 0; k < c; k++) {
              const v = x[base + k];
              if (where[k] < 0 || v > best[k]) {
                best[k] = v;
                where[k] = base + k;
              }
            }
          }
        }
        const outBase = ((b * outHeight + oh) * outWidth + ow) * c;
        for (let k = 0; k < c; k++) visit(outBase + k, where[k], where[k] < 0 ? Number.NEGATIVE_INFINITY : best[k]);
      }
    }
  }
}

function poolInfo(shape: number[], attrs: PoolAttrs): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computePool2DInfo(shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
}

/**
 * Replaces wasm's MaxPoolGrad and MaxPoolWithArgmax, which start their running maximum at 0
 * (FLT_MIN) instead of −∞: a window whose values are all negative gets no gradient (MaxPoolGrad)
 * or a wrong maximum and index (MaxPoolWithArgmax). These JavaScript kernels work directly on the
 * wasm heap; the maximum pooling forward itself (XNNPACK) is correct.
 */
export function registerWasmMaxPool(): void {
  overrideKernel('MaxPoolGrad', 'wasm', () => (args) => {
    const backend = asWasmHeapBackend(args.backend, 'MaxPoolGrad');
    const attrs = args.attrs as unknown as PoolAttrs;
    const x = args.inputs.input as tf.TensorInfo;
    const dy = args.inputs.dy as tf.TensorInfo;
    const info = poolInfo(x.shape, attrs);
    const out = backend.makeOutput([...x.shape], 'float32');
    const dx = heapFloat32(backend, out);
    const xv = heapFloat32(backend, x);
    const dyv = heapFloat32(backend, dy);
    dx.fill(0);
    forEachWindowArgmax(xv, info, (o, i) => {
      if (i >= 0) dx[i] += dyv[o];
    });
    return out;
  });
  overrideKernel('MaxPoolWithArgmax', 'wasm', (original) => (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    if (x.dtype !== 'float32' && original) return original.kernelFunc(args);
    const backend = asWasmHeapBackend(args.backend, 'MaxPoolWithArgmax');
    const attrs = args.attrs as unknown as PoolAttrs;
    const info = poolInfo(x.shape, attrs);
    const pooled = backend.makeOutput([...info.outShape], 'float32');
    const indexes = backend.makeOutput([...info.outShape], 'int32');
    const values = heapFloat32(backend, pooled);
    const positions = backend.typedArrayFromHeap(indexes) as Int32Array;
    const xv = heapFloat32(backend, x);
    const perImage = info.inHeight * info.inWidth * info.inChannels;
    forEachWindowArgmax(xv, info, (o, i, v) => {
      values[o] = v;
      positions[o] = attrs.includeBatchInIndex || i < 0 ? i : i % perImage;
    });
    return [pooled, indexes];
  });
}
