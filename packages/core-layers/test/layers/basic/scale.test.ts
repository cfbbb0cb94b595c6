import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { OptionError, ones, parameterCount, Scale, setup, ShapeError, stateCount, Xoshiro } from '@deqts/core-layers';
import { checkGradients, describeBackends, expectClose } from '../../../../../test/utils/index.js';

describeBackends('Scale', () => {
  it('has Lux parameter counts, shapes and default initialisers', () => {
    expect(parameterCount(Scale(5))).toBe(10);
    expect(parameterCount(Scale([2, 3]))).toBe(12);
    expect(parameterCount(Scale([2, 3], { useBias: false }))).toBe(6);
    expect(stateCount(Scale(5))).toBe(0);
    const [ps] = setup(new Xoshiro(0), Scale(50));
    expect(Array.from(ps.bias!.dataSync()).every((b) => b === 0)).toBe(true);
    const bound = Math.sqrt(6 / 51); // Lux's glorot_uniform of a vector: fans (1, n)
    const w = Array.from(ps.weight.dataSync());
    expect(w.every((e) => Math.abs(e) <= bound)).toBe(true);
    expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(bound * 0.8);
  });

  it('computes activation(weight ⊙ x + bias), broadcasting over batch and leading axes', () => {
    const s = Scale([2, 3], { activation: 'relu' });
    const ps = { weight: tf.tensor2d([[1, -1, 2], [0.5, 3, -2]]), bias: tf.tensor2d([[0, 1, 0], [1, 0, 0]]) };
    const x = tf.tensor(new Xoshiro(1).normalArray(2 * 4 * 2 * 3), [2, 4, 2, 3]);
    const [y] = s(x, ps, {});
    expect(y.shape).toEqual([2, 4, 2, 3]);
    expectClose(y, tf.relu(tf.add(tf.mul(x, ps.weight), ps.bias)), 1e-6);
    const [yOnes] = Scale(3, { initWeight: ones() })(tf.ones([1, 3]), setup(new Xoshiro(0), Scale(3, { initWeight: ones() }))[0], {});
    expectClose(yOnes, tf.ones([1, 3]), 0);
    // a size of 1 broadcasts
    const [yb] = Scale([1, 3])(x.reshape([8, 2, 3]), { weight: tf.ones([1, 3]), bias: tf.zeros([1, 3]) }, {});
    expect(yb.shape).toEqual([8, 2, 3]);
  });

  it('gradients match finite differences', () => {
    const s = Scale([3], { activation: 'tanh' });
    const [ps, st] = setup(new Xoshiro(2), s);
    const x = tf.tensor(new Xoshiro(3).normalArray(12), [4, 3]);
    type T = { x: tf.Tensor; ps: typeof ps };
    checkGradients((t) => s((t as T).x, (t as T).ps, st)[0], { x, ps: { ...ps, bias: tf.tensor1d([0.1, -0.2, 0.3]) } });
  });

  it('gives typed errors', () => {
    const s = Scale([2, 3]);
    const [ps, st] = setup(new Xoshiro(0), s);
    expect(() => s(tf.ones([4, 3, 3]), ps, st)).toThrow(ShapeError);
    expect(() => s(tf.ones([4, 3, 3]), ps, st)).toThrow(/Scale\(\[2, 3\]\) expects input of shape \[batch, …, 2, 3\], got \[4, 3, 3\]/);
    expect(() => s(tf.ones([2, 3]), ps, st)).toThrow(ShapeError);
    expect(() => Scale(0)).toThrow(OptionError);
    expect(() => Scale(3, { bias: false } as never)).toThrow(/unknown option 'bias'/);
  });
});
