import * as tf from '@tensorflow/tfjs-core';
import { overrideGradient } from './registry.js';

function reduceTo(t: tf.Tensor, shape: readonly number[]): tf.Tensor {
  const axes = tf.broadcast_util.getReductionAxes(shape as number[], t.shape);
  return tf.reshape(axes.length > 0 ? tf.sum(t, axes) : t, [...shape]);
}

/**
 * The gradient of SquaredDifference, (a − b)²: ±2(a − b)·dy, summed back over broadcast axes
 * (tfjs's returns the broadcast shape, so `squaredDifference(x, rowVector)` failed in backprop).
 */
export function registerSquaredDifferenceGradient(): void {
  overrideGradient({
    kernelName: 'SquaredDifference',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved) => {
      const [a, b] = saved;
      const twice = () => tf.mul(dy as tf.Tensor, tf.mul(tf.sub(a, b), 2));
      return { a: () => reduceTo(twice(), a.shape), b: () => reduceTo(tf.neg(twice()), b.shape) };
    },
  });
}
