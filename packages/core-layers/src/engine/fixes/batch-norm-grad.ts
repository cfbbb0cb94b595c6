import * as tf from '@tensorflow/tfjs-core';
import { overrideGradient } from './registry.js';

/** Sums `t` (broadcast to x's shape) back down to `shape` (right-aligned broadcasting). */
function reduceTo(t: tf.Tensor, shape: readonly number[]): tf.Tensor {
  const axes = tf.broadcast_util.getReductionAxes(shape as number[], t.shape);
  const summed = axes.length > 0 ? tf.sum(t, axes, true) : t;
  return tf.reshape(summed, [...shape]);
}

/**
 * The gradient of FusedBatchNorm (tf.batchNorm): y = (x − mean)·rsqrt(variance + ε)·scale + offset,
 * every argument broadcast against x. tfjs's gradient reduces mean/variance/scale/offset over the
 * batch axes only when they are rank 1; with statistics kept at x's rank (`moments(x, axes,
 * true)`, shape [1, 1, 1, C]) it returns unreduced gradients and backprop throws. This one sums
 * each gradient down to its argument's shape.
 *
 * Not fixable here: calling tf.batchNorm *without* offset or scale under a gradient fails inside
 * the tfjs engine (it records the missing inputs as undefined and then reads them). Layers must
 * pass explicit offset (zeros) and scale (ones).
 */
export function registerFusedBatchNormGradient(): void {
  overrideGradient({
    kernelName: 'FusedBatchNorm',
    inputsToSave: ['x', 'mean', 'variance', 'scale', 'offset'],
    gradFunc: (dy, saved, attrs) => {
      const [x, mean, variance, scale, offset] = saved;
      const g = dy as tf.Tensor;
      const epsilon = (attrs as { varianceEpsilon: number }).varianceEpsilon;
      const inv = tf.rsqrt(tf.add(variance, epsilon));
      const gScaled = scale ? tf.mul(g, scale) : g;
      return {
        x: () => reduceTo(tf.mul(gScaled, inv), x.shape),
        mean: () => reduceTo(tf.neg(tf.mul(gScaled, inv)), mean.shape),
        variance: () => reduceTo(tf.mul(tf.mul(gScaled, tf.sub(x, mean)), tf.mul(tf.pow(inv, 3), -0.5)), variance.shape),
        scale: () => reduceTo(tf.mul(tf.mul(g, tf.sub(x, mean)), inv), scale ? scale.shape : mean.shape),
        offset: () => reduceTo(g, offset ? offset.shape : mean.shape),
      };
    },
  });
}
