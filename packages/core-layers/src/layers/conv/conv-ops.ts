import * as tf from '@tensorflow/tfjs-core';
import type { Sides } from './geometry.js';

/**
 * Internal differentiable building blocks of the convolution layers. Every function here is built
 * from tfjs ops that have gradients on every backend (pad, slice, reshape, reverse, split, concat,
 * conv2d, depthwiseConv2d), so autodiff works through them. They must be called inside a tidy.
 */

/** How a convolution slides its kernel: strides, padding, dilation and channel groups. */
export type ConvGeometry = {
  readonly stride: readonly [number, number];
  /** `[top, bottom, left, right]`; negative values crop instead of padding. */
  readonly sides: Sides;
  readonly dilation: readonly [number, number];
  readonly groups: number;
};

/**
 * Inserts `factor − 1` zeros between consecutive entries along `axis` of a rank-4 tensor: a size
 * `n` becomes `(n − 1)·factor + 1`. Used to dilate kernels (axes 0, 1) and to spread the input of a
 * strided transposed convolution (axes 1, 2). Rank stays ≤ 4 so every backend has the gradients.
 */
export function spreadAxis(t: tf.Tensor4D, axis: 0 | 1 | 2, factor: number): tf.Tensor4D {
  if (factor === 1) return t;
  const shape = t.shape;
  const n = shape[axis];
  const before = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const after = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const column = tf.reshape(t, [before, n, 1, after]);
  const padded = tf.pad(column, [
    [0, 0],
    [0, 0],
    [0, factor - 1],
    [0, 0],
  ]);
  const spreadShape = [...shape] as [number, number, number, number];
  spreadShape[axis] = n * factor;
  const spread = tf.reshape(padded, spreadShape);
  const size = [...shape] as [number, number, number, number];
  size[axis] = (n - 1) * factor + 1;
  return tf.slice(spread, [0, 0, 0, 0], size) as tf.Tensor4D;
}

/** A kernel `[kh, kw, cin, cout]` with `d − 1` zeros between its taps: an undilated equivalent. */
export function dilateKernel(kernel: tf.Tensor4D, dilation: readonly [number, number]): tf.Tensor4D {
  return spreadAxis(spreadAxis(kernel, 0, dilation[0]), 1, dilation[1]);
}

/** Pads (positive sides) and crops (negative sides) the spatial axes of an NHWC tensor. */
export function padOrCrop(x: tf.Tensor4D, sides: Sides, value = 0): tf.Tensor4D {
  const [t, b, l, r] = sides;
  let out = x;
  if (t > 0 || b > 0 || l > 0 || r > 0) {
    out = tf.pad(
      out,
      [
        [0, 0],
        [Math.max(t, 0), Math.max(b, 0)],
        [Math.max(l, 0), Math.max(r, 0)],
        [0, 0],
      ],
      value,
    );
  }
  if (t < 0 || b < 0 || l < 0 || r < 0) {
    const [n, h, w, c] = out.shape;
    const top = Math.max(-t, 0);
    const left = Math.max(-l, 0);
    out = tf.slice(out, [0, top, left, 0], [n, h - top - Math.max(-b, 0), w - left - Math.max(-r, 0), c]);
  }
  return out;
}

/**
 * Cross-correlation of `x` `[batch, h, w, cin]` with `kernel` `[kh, kw, cin / groups, cout]`
 * (the layout of Lux's Conv weight), with any stride, padding, dilation and group count.
 * tfjs has no gradient for dilated convolutions and refuses stride and dilation together, so a
 * dilated kernel is spread out with zeros first. Symmetric padding is passed to tfjs; asymmetric
 * or negative padding is applied with pad/slice.
 */
export function crossCorrelate(x: tf.Tensor4D, kernel: tf.Tensor4D, geometry: ConvGeometry): tf.Tensor4D {
  const { stride, sides, dilation, groups } = geometry;
  const k = dilateKernel(kernel, dilation);
  const [t, b, l, r] = sides;
  // tfjs's numeric padding sizes the output with the kernel height on both axes, so it is only
  // used for square kernels; anything else is padded explicitly.
  const uniform = t === b && t === l && t === r && t >= 0 && k.shape[0] === k.shape[1];
  const input = uniform ? x : padOrCrop(x, sides);
  const pad: 'valid' | number = uniform && t > 0 ? t : 'valid';
  const cin = x.shape[3];
  if (groups === 1) return tf.conv2d(input, k, [stride[0], stride[1]], pad);
  if (groups === cin) {
    // Depthwise: output channel c·m + j reads input channel c, as in Lux's grouped layout.
    const [kh, kw, , cout] = k.shape;
    const depthwise = tf.reshape(k, [kh, kw, cin, cout / cin]) as tf.Tensor4D;
    return tf.depthwiseConv2d(input, depthwise, [stride[0], stride[1]], pad);
  }
  const inputs = tf.split(input, groups, 3) as tf.Tensor4D[];
  const kernels = tf.split(k, groups, 3) as tf.Tensor4D[];
  return tf.concat(
    inputs.map((xi, i) => tf.conv2d(xi, kernels[i], [stride[0], stride[1]], pad)),
    3,
  ) as tf.Tensor4D;
}
