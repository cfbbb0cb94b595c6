import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { GradientError, stopGradient, valueAndGrad } from '@deqts/core-layers';
import { describeBackends } from '../../../../test/utils/index.js';

describeBackends('valueAndGrad', () => {
  it('differentiates a tree, with zeros for leaves that do not reach the loss', () => {
    const ps = { w: tf.tensor1d([1, 2]), nested: [tf.scalar(3)], unused: tf.ones([3]), flag: true };
    const [v, g] = valueAndGrad((p: typeof ps) => tf.add(tf.sum(tf.square(p.w)), tf.mul(p.nested[0], 2)) as tf.Scalar)(ps);
    expect(v.dataSync()[0]).toBeCloseTo(11);
    expect(Array.from(g.w.dataSync())).toEqual([2, 4]);
    expect(g.nested[0].dataSync()[0]).toBe(2);
    expect(Array.from(g.unused.dataSync())).toEqual([0, 0, 0]);
    expect(g.flag).toBe(true);
  });

  it('keeps auxiliary outputs alive (hasAux)', () => {
    const x = tf.tensor1d([1, -1]);
    const [v, g, aux] = valueAndGrad((t: tf.Tensor) => [tf.sum(tf.relu(t)) as tf.Scalar, { mean: tf.mean(t) }] as const, { hasAux: true })(x);
    expect(v.dataSync()[0]).toBe(1);
    expect(Array.from(g.dataSync())).toEqual([1, 0]);
    expect(aux.mean.isDisposed).toBe(false);
    expect(aux.mean.dataSync()[0]).toBe(0);
  });

  it('rejects a non-scalar loss with a typed error', () => {
    expect(() => valueAndGrad((t: tf.Tensor) => tf.mul(t, 2))(tf.ones([3]))).toThrow(GradientError);
  });

  it('stopGradient blocks the gradient', () => {
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(x, stopGradient(x))))(tf.tensor1d([3, 4]));
    expect(Array.from(g.dataSync())).toEqual([3, 4]);
  });
});
