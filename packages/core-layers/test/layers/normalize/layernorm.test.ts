import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { LayerNorm, OptionError, parameterCount, setup, ShapeError, stateCount, testmode, Xoshiro } from '@deqts/core-layers';
import { checkGradients, describeBackends, expectClose } from '../../../../../test/utils/index.js';

const meanAndStd = (t: tf.Tensor): [number, number] => {
  const v = Array.from(t.dataSync());
  const mu = v.reduce((a, b) => a + b, 0) / v.length;
  const variance = v.reduce((a, b) => a + (b - mu) ** 2, 0) / (v.length - 1);
  return [mu, Math.sqrt(variance)];
};

describeBackends('LayerNorm', () => {
  it("passes Lux's LayerNorm test: mean ≈ 0, std ≈ 1 for shapes (3,3,3), (1,3,1), (3,1,3), affine or not", () => {
    const x = tf.tensor(new Xoshiro(12345).normalArray(2 * 27), [2, 3, 3, 3]);
    for (const shape of [[3, 3, 3], [1, 3, 1], [3, 1, 3]]) {
      for (const affine of [true, false]) {
        const ln = LayerNorm(shape, { affine });
        const [ps, st] = setup(new Xoshiro(0), ln);
        expect(parameterCount(ps)).toBe(affine ? 2 * shape.reduce((a, b) => a * b, 1) : 0);
        const [y] = ln(x, ps, testmode(st));
        const [mu, sd] = meanAndStd(y);
        expect(Math.abs(mu)).toBeLessThan(1e-3);
        expect(Math.abs(sd - 1)).toBeLessThan(1e-2);
      }
    }
  });

  it('has Lux counts and normalises each sample over the trailing shape', () => {
    expect(parameterCount(LayerNorm([3, 3, 3]))).toBe(54);
    expect(parameterCount(LayerNorm(64))).toBe(128);
    expect(stateCount(LayerNorm([64]))).toBe(0);
    const ln = LayerNorm([5]);
    const [ps, st] = setup(new Xoshiro(0), ln);
    expect(Object.keys(ps)).toEqual(['bias', 'scale']);
    const x = tf.tensor(new Xoshiro(1).normalArray(2 * 3 * 5, 3, 2), [2, 3, 5]);
    const [y] = ln(x, ps, st);
    expect(y.shape).toEqual([2, 3, 5]);
    expectClose(tf.mean(y, -1), tf.zeros([2, 3]), 1e-5);
    expectClose(tf.mean(tf.square(y), -1), tf.ones([2, 3]), 1e-4);
    // explicit dims: the same axes as the default for an NHWC LayerNorm([H, W, C])
    const img = tf.tensor(new Xoshiro(2).normalArray(2 * 2 * 2 * 3), [2, 2, 2, 3]);
    const [ya] = LayerNorm([2, 2, 3], { affine: false })(img, {}, {});
    const [yb] = LayerNorm([2, 2, 3], { affine: false, dims: [1, 2, -1] })(img, {}, {});
    expectClose(ya, yb, 1e-6);
    // dims over the channel axis only normalises each position separately
    const [yc] = LayerNorm([2, 2, 3], { dims: [-1], affine: false })(img, {}, {});
    expectClose(tf.mean(yc, -1), tf.zeros([2, 2, 2]), 1e-5);
  });

  it('gradients match finite differences for input, scale and bias', () => {
    const rng = new Xoshiro(6);
    const ln = LayerNorm([2, 3], { activation: 'tanh' });
    const ps = { bias: tf.tensor(rng.normalArray(6, 0, 0.3), [2, 3]), scale: tf.tensor(rng.normalArray(6, 1, 0.3), [2, 3]) };
    const x = tf.tensor(rng.normalArray(3 * 2 * 3), [3, 2, 3]);
    type T = { x: tf.Tensor; ps: typeof ps };
    checkGradients((t) => ln((t as T).x, (t as T).ps, {})[0], { x, ps });
    const broadcast = LayerNorm([1, 3], { activation: 'sigmoid' });
    const ps2 = { bias: tf.tensor(rng.normalArray(3, 0, 0.3), [1, 3]), scale: tf.tensor(rng.normalArray(3, 1, 0.3), [1, 3]) };
    checkGradients((t) => broadcast((t as T).x, (t as T).ps, {})[0], { x, ps: ps2 });
  });

  it('gives typed errors', () => {
    const ln = LayerNorm([4]);
    const [ps, st] = setup(new Xoshiro(0), ln);
    expect(() => ln(tf.ones([2, 5]), ps, st)).toThrow(ShapeError);
    expect(() => ln(tf.ones([2, 5]), ps, st)).toThrow(/LayerNorm\(\[4\]\) expects input of shape \[batch, …, 4\], got \[2, 5\]/);
    expect(() => ln(tf.ones([4]), ps, st)).toThrow(ShapeError);
    expect(() => LayerNorm([4], { dims: [3] })(tf.ones([2, 4]), ps, st)).toThrow(/axis 3 of option 'dims' is out of range.*rank 2/);
    expect(() => LayerNorm([0])).toThrow(OptionError);
    expect(() => LayerNorm([])).toThrow(/shape/);
    expect(() => LayerNorm([4], { dims: [] })).toThrow(/dims/);
  });
});
