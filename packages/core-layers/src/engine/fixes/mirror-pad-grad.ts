import * as tf from '@tensorflow/tfjs-core';
import { overrideGradient } from './registry.js';

/**
 * Folds the gradient of a mirror-padded axis back: the centre slice, plus each padded border
 * reversed and added where it was copied from. `offset` is 1 for 'reflect' (the edge entry is
 * not repeated) and 0 for 'symmetric'.
 */
function foldAxis(g: tf.Tensor, axis: number, before: number, after: number, size: number, offset: number): tf.Tensor {
  const part = (start: number, length: number): tf.Tensor => {
    const begin = g.shape.map((_, i) => (i === axis ? start : 0));
    const extent = g.shape.map((d, i) => (i === axis ? length : d));
    return tf.slice(g, begin, extent);
  };
  const padAlong = (t: tf.Tensor, lo: number, hi: number): tf.Tensor => tf.pad(t, t.shape.map((_, i) => (i === axis ? [lo, hi] : [0, 0])) as [number, number][]);
  let out = part(before, size);
  if (before > 0) out = tf.add(out, padAlong(tf.reverse(part(0, before), axis), offset, size - offset - before));
  if (after > 0) out = tf.add(out, padAlong(tf.reverse(part(before + size, after), axis), size - offset - after, offset));
  return out;
}

/**
 * The gradient of MirrorPad. tfjs's only slices the centre out of dy, dropping the gradient of
 * every mirrored copy (so reflection-padded convolutions trained with wrong gradients).
 */
export function registerMirrorPadGradient(): void {
  overrideGradient({
    kernelName: 'MirrorPad',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const { paddings, mode } = attrs as { paddings: [number, number][]; mode: 'reflect' | 'symmetric' };
      const offset = mode === 'reflect' ? 1 : 0;
      return {
        x: () => {
          let g = dy as tf.Tensor;
          paddings.forEach(([before, after], axis) => {
            if (before > 0 || after > 0) g = foldAxis(g, axis, before, after, x.shape[axis], offset);
          });
          return g;
        },
      };
    },
  });
}
