import * as tf from '@tensorflow/tfjs-core';
import { BackendError } from '../../core/errors.js';
import type { AvgPoolAttrs } from './avg-pool-grad.js';
import { overrideKernel } from './registry.js';
import { asWasmHeapBackend, heapFloat32 } from './wasm-heap.js';

/**
 * wasm's stock AvgPoolGrad takes ~70 ms for a [128, 28, 28, 16] input pooled 7×7 → 4×4 (about
 * 40 ns per input entry). When the windows tile the input exactly (stride = window, no padding:
 * adaptive pooling to a divisor of the size, a conv DEQ's head), every input entry belongs to one
 * window and its gradient is that window's dy times 1/size; this replacement writes it in one pass
 * over the heap, with the float32 factor the stock kernel uses, so the values are bit-identical
 * (tested). Other poolings and dtypes keep the stock kernel.
 */
export function registerWasmAvgPoolGrad(): void {
  overrideKernel(
    'AvgPoolGrad',
    'wasm',
    (original) => {
      if (!original) throw new BackendError('registerWasmAvgPoolGrad: the wasm backend has no AvgPoolGrad kernel');
      const originalFunc = original.kernelFunc;
      return (args) => {
        const { dy, input } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
        return avgPoolGradTiled(args.backend, dy, input, args.attrs as unknown as AvgPoolAttrs) ?? originalFunc(args);
      };
    },
    true,
  );
}

/**
 * AvgPoolGrad of float32 NHWC `x` when the windows tile it exactly, in one pass over the heap; null
 * (nothing allocated) for the poolings it leaves to the stock kernel.
 */
export function avgPoolGradTiled(backendArg: unknown, dy: tf.TensorInfo, x: tf.TensorInfo, a: AvgPoolAttrs): tf.TensorInfo | null {
  if (x.dtype !== 'float32' || dy.dtype !== 'float32' || x.shape.length !== 4) return null;
  const info = tf.backend_util.computePool2DInfo(x.shape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
  const { filterHeight: fh, filterWidth: fw, outHeight: oh, outWidth: ow, inHeight: ih, inWidth: iw, inChannels: c, batchSize: n } = info;
  const tiles = info.strideHeight === fh && info.strideWidth === fw && oh * fh === ih && ow * fw === iw && info.padInfo.top === 0 && info.padInfo.left === 0;
  if (!tiles) return null;
  const backend = asWasmHeapBackend(backendArg, 'AvgPoolGrad');
  const out = backend.makeOutput([...x.shape], 'float32');
  const dx = heapFloat32(backend, out);
  const g = heapFloat32(backend, dy);
  const scale = Math.fround(1 / (fh * fw));
  const window = new Float32Array(c);
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < oh; y++) {
      for (let xo = 0; xo < ow; xo++) {
        const from = ((b * oh + y) * ow + xo) * c;
        for (let k = 0; k < c; k++) window[k] = g[from + k] * scale;
        for (let i = 0; i < fh; i++) {
          let to = ((b * ih + y * fh + i) * iw + xo * fw) * c;
          for (let j = 0; j < fw; j++, to += c) dx.set(window, to);
        }
      }
    }
  }
  return out;
}
