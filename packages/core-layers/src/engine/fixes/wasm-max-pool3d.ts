import * as tf from '@tensorflow/tfjs-core';
import { overrideKernel } from './registry.js';
import { asWasmHeapBackend, heapFloat32 } from './wasm-heap.js';

type Pool3DAttrs = {
  filterSize: number | [number, number, number];
  strides: number | [number, number, number];
  pad: 'valid' | 'same' | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
};

/**
 * Visits every pooling window of an NDHWC input and reports, per output entry, the flat input
 * index of the window's first maximum (padding never wins; −1 for a window with no valid entry)
 * and that maximum. Channels are the innermost loop so the input is read in order.
 */
function forEachWindowArgmax3D(x: Float32Array, info: tf.backend_util.Conv3DInfo, visit: (outIndex: number, inIndex: number, value: number) => void): void {
  const { batchSize, inDepth, inHeight, inWidth, inChannels: c, outDepth, outHeight, outWidth } = info;
  const { front, top, left } = info.padInfo;
  const best = new Float32Array(c);
  const where = new Int32Array(c);
  let o = 0;
  for (let b = 0; b < batchSize; b++) {
    for (let od = 0; od < outDepth; od++) {
      for (let oh = 0; oh < outHeight; oh++) {
        for (let ow = 0; ow < outWidth; ow++, o += c) {
          where.fill(-1);
          for (let i = 0; i < info.filterDepth; i++) {
            const d = od * info.strideDepth - front + i * info.dilationDepth;
            if (d < 0 || d >= inDepth) continue;
            for (let j = 0; j < info.filterHeight; j++) {
              const h = oh * info.strideHeight - top + j * info.dilationHeight;
              if (h < 0 || h >= inHeight) continue;
              for (let l = 0; l < info.filterWidth; l++) {
                const w = ow * info.strideWidth - left + l * info.dilationWidth;
                if (w < 0 || w >= inWidth) continue;
                const base = (((b * inDepth + d) * inHeight + h) * inWidth + w) * c;
                for (let k = 0; k < c; k++) {
                  if (where[k] < 0 || x[base + k] > best[k]) {
                    best[k] = x[base + k];
                    where[k] = base + k;
                  }
                }
              }
            }
          }
          for (let k = 0; k < c; k++) visit(o + k, where[k], where[k] < 0 ? Number.NEGATIVE_INFINITY : best[k]);
        }
      }
    }
  }
}

function pool3DInfo(shape: number[], attrs: Pool3DAttrs): tf.backend_util.Conv3DInfo {
  return tf.backend_util.computePool3DInfo(shape as [number, number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
}

/**
 * Replaces wasm's MaxPool3D and MaxPool3DGrad, which start their running maximum at 0: windows
 * whose values are all negative get a maximum of 0 and no gradient. JavaScript loops on the wasm
 * heap (3-D max pooling is rare enough that their speed does not matter much).
 */
export function registerWasmMaxPool3D(): void {
  overrideKernel('MaxPool3D', 'wasm', (original) => (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    if (x.dtype !== 'float32' && original) return original.kernelFunc(args);
    const backend = asWasmHeapBackend(args.backend, 'MaxPool3D');
    const info = pool3DInfo(x.shape, args.attrs as unknown as Pool3DAttrs);
    const out = backend.makeOutput([...info.outShape], 'float32');
    const y = heapFloat32(backend, out);
    const xv = heapFloat32(backend, x);
    forEachWindowArgmax3D(xv, info, (o, _i, v) => (y[o] = v));
    return out;
  });
  overrideKernel('MaxPool3DGrad', 'wasm', () => (args) => {
    const backend = asWasmHeapBackend(args.backend, 'MaxPool3DGrad');
    const x = args.inputs.input as tf.TensorInfo;
    const dy = args.inputs.dy as tf.TensorInfo;
    const info = pool3DInfo(x.shape, args.attrs as unknown as Pool3DAttrs);
    const out = backend.makeOutput([...x.shape], 'float32');
    const dx = heapFloat32(backend, out);
    const xv = heapFloat32(backend, x);
    const dyv = heapFloat32(backend, dy);
    dx.fill(0);
    forEachWindowArgmax3D(xv, info, (o, i) => {
      if (i >= 0) dx[i] += dyv[o];
    });
    return out;
  });
}
