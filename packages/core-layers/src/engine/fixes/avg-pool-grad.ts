import * as tf from '@tensorflow/tfjs-core';
import { overrideGradient } from './registry.js';

/** AvgPool's (and AvgPoolGrad's) attributes. */
export type AvgPoolAttrs = {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
};

/** For each output position along one axis, how many window entries fall inside the input. */
function validCounts(outSize: number, inSize: number, stride: number, before: number, filter: number): number[] {
  const counts: number[] = [];
  for (let o = 0; o < outSize; o++) {
    const start = o * stride - before;
    counts.push(Math.min(start + filter, inSize) - Math.max(start, 0));
  }
  return counts;
}

/**
 * The gradient of AvgPool. tfjs's average pooling (cpu and wasm) divides each window by the
 * number of entries inside the input, but its AvgPoolGrad divides by the full window size, so
 * the gradient is wrong wherever a window overlaps padding ('same' or explicit padding). Here dy
 * is first rescaled by window size / valid count, then passed to the stock AvgPoolGrad kernel.
 */
export function registerAvgPoolGradient(): void {
  overrideGradient({
    kernelName: 'AvgPool',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const a = attrs as unknown as AvgPoolAttrs;
      const g = dy as tf.Tensor4D;
      const info = tf.backend_util.computePool2DInfo(x.shape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
      const rows = validCounts(info.outHeight, info.inHeight, info.strideHeight, info.padInfo.top, info.filterHeight);
      const cols = validCounts(info.outWidth, info.inWidth, info.strideWidth, info.padInfo.left, info.filterWidth);
      const full = info.filterHeight * info.filterWidth;
      const kernelAttrs = { filterSize: a.filterSize, strides: a.strides, pad: a.pad, dimRoundingMode: a.dimRoundingMode } as unknown as tf.NamedAttrMap;
      return {
        x: () => {
          let scaled = g;
          if (rows.some((r) => r !== info.filterHeight) || cols.some((c) => c !== info.filterWidth)) {
            const factors = new Float32Array(info.outHeight * info.outWidth);
            rows.forEach((r, i) => cols.forEach((c, j) => (factors[i * info.outWidth + j] = full / (r * c))));
            scaled = tf.mul(g, tf.tensor4d(factors, [1, info.outHeight, info.outWidth, 1]));
          }
          return tf.engine().runKernel('AvgPoolGrad', { dy: scaled, input: x }, kernelAttrs) as tf.Tensor;
        },
      };
    },
  });
}
