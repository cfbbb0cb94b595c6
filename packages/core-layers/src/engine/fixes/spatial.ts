import * as tf from '@tensorflow/tfjs-core';

/**
 * Small NHWC helpers shared by the convolution kernels. They use only ops every backend has and
 * must run inside a tidy.
 */

/**
 * Pads (positive amounts) or crops (negative amounts) the two spatial axes of an NHWC tensor:
 * `top`, `bottom`, `left`, `right` rows or columns are added or removed.
 */
export function padOrCropSpatial(x: tf.Tensor4D, top: number, bottom: number, left: number, right: number): tf.Tensor4D {
  let out = x;
  if (top > 0 || bottom > 0 || left > 0 || right > 0) {
    out = tf.pad(out, [
      [0, 0],
      [Math.max(top, 0), Math.max(bottom, 0)],
      [Math.max(left, 0), Math.max(right, 0)],
      [0, 0],
    ]);
  }
  if (top < 0 || bottom < 0 || left < 0 || right < 0) {
    const [n, h, w, c] = out.shape;
    const cropTop = Math.max(-top, 0);
    const cropLeft = Math.max(-left, 0);
    out = tf.slice(out, [0, cropTop, cropLeft, 0], [n, h - cropTop - Math.max(-bottom, 0), w - cropLeft - Math.max(-right, 0), c]);
  }
  return out;
}

/**
 * Inserts `sh − 1` zero rows between consecutive rows and `sw − 1` zero columns between
 * consecutive columns: `[n, h, w, c]` becomes `[n, (h − 1)·sh + 1, (w − 1)·sw + 1, c]`. This is
 * the input of the transposed convolution of a strided one.
 */
export function spreadSpatial(x: tf.Tensor4D, sh: number, sw: number): tf.Tensor4D {
  let out = x;
  const [n, h, w, c] = x.shape;
  if (sh > 1) {
    const rows = tf.pad(tf.reshape(out, [n, h, 1, w * c]), [
      [0, 0],
      [0, 0],
      [0, sh - 1],
      [0, 0],
    ]);
    out = tf.slice(tf.reshape(rows, [n, h * sh, w, c]), [0, 0, 0, 0], [n, (h - 1) * sh + 1, w, c]) as tf.Tensor4D;
  }
  if (sw > 1) {
    const hh = out.shape[1];
    const cols = tf.pad(tf.reshape(out, [n * hh, w, 1, c]), [
      [0, 0],
      [0, 0],
      [0, sw - 1],
      [0, 0],
    ]);
    out = tf.slice(tf.reshape(cols, [n, hh, w * sw, c]), [0, 0, 0, 0], [n, hh, (w - 1) * sw + 1, c]) as tf.Tensor4D;
  }
  return out;
}

/** `[a, a]` for a number, the pair itself otherwise (tfjs attrs allow both). */
export function pair(value: number | readonly number[] | undefined, fallback = 1): [number, number] {
  if (value === undefined || value === null) return [fallback, fallback];
  if (typeof value === 'number') return [value, value];
  return [value[0], value[1] ?? value[0]];
}

/**
 * Inserts `factor − 1` zeros between consecutive entries along `axis` of a tensor of any rank:
 * size n becomes (n − 1)·factor + 1.
 */
export function spreadAxis(t: tf.Tensor, axis: number, factor: number): tf.Tensor {
  if (factor === 1) return t;
  const shape = t.shape;
  const n = shape[axis];
  const before = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const after = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const padded = tf.pad(tf.reshape(t, [before, n, 1, after]), [
    [0, 0],
    [0, 0],
    [0, factor - 1],
    [0, 0],
  ]);
  const spreadShape = shape.map((d, i) => (i === axis ? n * factor : d));
  const size = shape.map((d, i) => (i === axis ? (n - 1) * factor + 1 : d));
  return tf.slice(tf.reshape(padded, spreadShape), shape.map(() => 0), size);
}

/** Pads (positive) or crops (negative) every axis by `[before, after]` amounts. */
export function padOrCropAxes(t: tf.Tensor, amounts: readonly (readonly [number, number])[]): tf.Tensor {
  let out = t;
  if (amounts.some(([b, a]) => b > 0 || a > 0)) out = tf.pad(out, amounts.map(([b, a]) => [Math.max(b, 0), Math.max(a, 0)] as [number, number]));
  if (amounts.some(([b, a]) => b < 0 || a < 0)) {
    const begin = amounts.map(([b]) => Math.max(-b, 0));
    const size = out.shape.map((d, i) => d - begin[i] - Math.max(-amounts[i][1], 0));
    out = tf.slice(out, begin, size);
  }
  return out;
}
