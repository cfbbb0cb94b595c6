import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { describeBackends } from '../../../test/utils/index.js';
import { selectRows } from '../src/internal/batch.js';

describeBackends('selectRows (the solvers\' per-sample row select)', () => {
  it('takes row i from a where flag i is set, from b elsewhere; leaves no tensor or backend block', () => {
    const a = tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8, 9], [3, 3]);
    const b = tf.tensor2d([-1, -2, -3, -4, -5, -6, -7, -8, -9], [3, 3]);
    const blocks = () => (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
    const before = [tf.memory().numTensors, blocks()];
    for (const [flags, expected] of [
      [[1, 0, 1], [1, 2, 3, -4, -5, -6, 7, 8, 9]],
      [[0, 0, 0], [-1, -2, -3, -4, -5, -6, -7, -8, -9]],
      [[true, true, false], [1, 2, 3, 4, 5, 6, -7, -8, -9]],
    ] as const) {
      const out = selectRows(flags, a, b);
      expect(out.shape).toEqual([3, 3]);
      expect(Array.from(out.dataSync())).toEqual(expected);
      out.dispose();
    }
    expect([tf.memory().numTensors, blocks()]).toEqual(before);
    tf.dispose([a, b]);
  });

  it('runs as the row-copy kernel on wasm (tf.where elsewhere)', async () => {
    const a = tf.ones([2, 3]) as tf.Tensor2D;
    const b = tf.zeros([2, 3]) as tf.Tensor2D;
    const info = await tf.profile(() => selectRows([1, 0], a, b));
    expect(info.kernels.map((k) => k.name).includes('DeqtsSelectRows')).toBe(tf.getBackend() === 'wasm');
    tf.dispose([a, b, info.result as tf.Tensor]);
  });

  it('inside a gradient it stays differentiable (the op path): the gradient reaches the chosen rows only', () => {
    const a = tf.ones([2, 3]) as tf.Tensor2D;
    const b = tf.ones([2, 3]) as tf.Tensor2D;
    const [ga, gb] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(selectRows([1, 0], x as tf.Tensor2D, y as tf.Tensor2D)))([a, b]);
    expect(Array.from(ga.dataSync())).toEqual([1, 1, 1, 0, 0, 0]);
    expect(Array.from(gb.dataSync())).toEqual([0, 0, 0, 1, 1, 1]);
    tf.dispose([a, b, ga, gb]);
  });
});
