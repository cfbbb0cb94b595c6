import * as tf from '@tensorflow/tfjs-core';
import { overrideGradient } from './registry.js';

type ResizeAttrs = { alignCorners: boolean; halfPixelCenters: boolean; size: [number, number] };

/** Source-coordinate scale of one axis, as tfjs's resize kernels compute it. */
function ratio(inSize: number, outSize: number, alignCorners: boolean): number {
  return alignCorners && outSize > 1 ? (inSize - 1) / (outSize - 1) : inSize / outSize;
}

/**
 * Bilinear resize along one axis as a matrix `[outSize, inSize]`: row o holds the weights of the
 * two source entries interpolated for output o (the same coordinates as tfjs's kernels).
 */
export function bilinearMatrix(inSize: number, outSize: number, alignCorners: boolean, halfPixelCenters: boolean): Float32Array {
  const m = new Float32Array(outSize * inSize);
  const r = ratio(inSize, outSize, alignCorners);
  for (let o = 0; o < outSize; o++) {
    const source = halfPixelCenters ? r * (o + 0.5) - 0.5 : r * o;
    const low = Math.max(0, Math.floor(source));
    const high = Math.min(inSize - 1, Math.ceil(source));
    const frac = source - low;
    m[o * inSize + low] += 1 - frac;
    m[o * inSize + high] += frac;
  }
  return m;
}

/** Nearest-neighbour resize along one axis as a 0/1 matrix `[outSize, inSize]`. */
export function nearestMatrix(inSize: number, outSize: number, alignCorners: boolean, halfPixelCenters: boolean): Float32Array {
  const m = new Float32Array(outSize * inSize);
  const r = ratio(inSize, outSize, alignCorners);
  for (let o = 0; o < outSize; o++) {
    const source = halfPixelCenters ? r * (o + 0.5) : r * o;
    let nearest = Math.min(inSize - 1, alignCorners ? Math.round(source) : Math.floor(source));
    if (halfPixelCenters) nearest = Math.max(0, nearest);
    m[o * inSize + nearest] = 1;
  }
  return m;
}

/**
 * dx = Ahᵀ · dy · Aw for a separable resize y = Ah · x · Awᵀ (per image and channel), with dy
 * `[n, outH, outW, c]`: two products with the small per-axis matrices.
 */
function separableAdjoint(dy: tf.Tensor4D, ah: tf.Tensor2D, aw: tf.Tensor2D): tf.Tensor4D {
  const [n, outH, outW, c] = dy.shape;
  const inH = ah.shape[1];
  const inW = aw.shape[1];
  const rowsFirst = tf.reshape(tf.transpose(dy, [1, 0, 2, 3]), [outH, n * outW * c]);
  const alongH = tf.reshape(tf.matMul(ah, rowsFirst, true, false), [inH, n, outW, c]);
  const colsFirst = tf.reshape(tf.transpose(alongH, [2, 1, 0, 3]), [outW, n * inH * c]);
  const alongW = tf.reshape(tf.matMul(aw, colsFirst, true, false), [inW, n, inH, c]);
  return tf.transpose(alongW, [1, 2, 0, 3]) as tf.Tensor4D;
}

function registerResizeGradient(kernelName: 'ResizeBilinear' | 'ResizeNearestNeighbor', matrix: typeof bilinearMatrix): void {
  overrideGradient({
    kernelName,
    inputsToSave: ['images'],
    gradFunc: (dy, saved, attrs) => {
      const [images] = saved;
      const { alignCorners, halfPixelCenters, size } = attrs as unknown as ResizeAttrs;
      const [, inH, inW] = images.shape;
      return {
        images: () => {
          const ah = tf.tensor2d(matrix(inH, size[0], alignCorners, halfPixelCenters), [size[0], inH]);
          const aw = tf.tensor2d(matrix(inW, size[1], alignCorners, halfPixelCenters), [size[1], inW]);
          return separableAdjoint(dy as tf.Tensor4D, ah, aw);
        },
      };
    },
  });
}

/**
 * Gradients of ResizeBilinear and ResizeNearestNeighbor as products with the per-axis
 * interpolation matrices. The stock ones run backend kernels that are wrong: cpu's
 * ResizeBilinearGrad swaps height and width for non-square images (backprop throws), cpu's
 * ResizeNearestNeighborGrad gives wrong values, and wasm's ResizeBilinearGrad ignores
 * halfPixelCenters.
 */
export function registerResizeGradients(): void {
  registerResizeGradient('ResizeBilinear', bilinearMatrix);
  registerResizeGradient('ResizeNearestNeighbor', nearestMatrix);
}
