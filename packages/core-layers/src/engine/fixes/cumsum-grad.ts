import * as tf from '@tensorflow/tfjs-core';
import { overrideGradient } from './registry.js';

/**
 * The gradient of Cumsum: the cumulative sum of dy in the opposite direction, same `exclusive`.
 * tfjs's also transposes the result when the axis is not the last one, which gives a wrongly
 * shaped gradient (and backprop throws) for e.g. `cumsum(x, 0)` of a matrix.
 */
export function registerCumsumGradient(): void {
  overrideGradient({
    kernelName: 'Cumsum',
    inputsToSave: [],
    gradFunc: (dy, _saved, attrs) => {
      const { axis, exclusive, reverse } = attrs as { axis: number; exclusive: boolean; reverse: boolean };
      return { x: () => tf.cumsum(dy as tf.Tensor, axis, exclusive, !reverse) };
    },
  });
}
