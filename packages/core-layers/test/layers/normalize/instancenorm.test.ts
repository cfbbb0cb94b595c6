import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { Chain, Dense, InstanceNorm, OptionError, parameterCount, setup, ShapeError, stateCount, testmode, Xoshiro } from '@deqts/core-layers';
import { checkGradients, describeBackends, expectClose } from '../../../../../test/utils/index.js';

describeBackends('InstanceNorm', () => {
  it('has Lux parameter and state counts', () => {
    expect(parameterCount(InstanceNorm(64))).toBe(128);
    expect(stateCount(InstanceNorm(64))).toBe(1);
    expect(stateCount(InstanceNorm(3, { trackStats: true }))).toBe(7);
    expect(parameterCount(InstanceNorm(3, { affine: false }))).toBe(0);
    // Lux's docstring example (affine=true): 51_038 parameters plus 2 states.
    const model = Chain(Dense(784, 64), InstanceNorm(64, { activation: 'relu' }), Dense(64, 10), InstanceNorm(10, { activation: 'relu' }));
    expect(parameterCount(model)).toBe(51038);
    expect(stateCount(model)).toBe(2);
  });

  it('normalises each sample and channel over the spatial axes, in both modes without trackStats', () => {
    const m = InstanceNorm(3);
    const [ps, st] = setup(new Xoshiro(0), m);
    for (const shape of [[2, 4, 3], [2, 3, 3, 3], [2, 2, 2, 2, 3]]) {
      const x = tf.tensor(new Xoshiro(1).normalArray(shape.reduce((a, b) => a * b, 1), 2, 3), shape);
      const [y, st2] = m(x, ps, st);
      expect(y.shape).toEqual(shape);
      expect(st2).toBe(st);
      const spatial = shape.slice(1, -1).map((_, i) => i + 1);
      expectClose(tf.mean(y, spatial), tf.zeros([2, 3]), 1e-5);
      expectClose(tf.mean(tf.square(y), spatial), tf.ones([2, 3]), 1e-4);
      expectClose(m(x, ps, testmode(st))[0], y, 1e-6);
    }
  });

  it('tracks running statistics averaged over the batch with n = spatial size, and uses them in test mode', () => {
    const m = InstanceNorm(2, { trackStats: true, affine: false, momentum: 0.5 });
    const [ps, st] = setup(new Xoshiro(0), m);
    // [batch 2, 3 positions, 2 channels]
    const x = tf.tensor3d([[[1, 0], [2, 0], [3, 3]], [[5, 1], [7, 1], [9, 1]]]);
    const [, st2] = m(x, ps, st);
    // channel 0: means 2 and 7, biased vars 2/3 and 8/3; channel 1: means 1 and 1, vars 2 and 0.
    expectClose(st2.running_mean!, tf.tensor1d([0.5 * 4.5, 0.5 * 1]), 1e-6);
    expectClose(st2.running_var!, tf.tensor1d([0.5 + 0.5 * (5 / 3) * 1.5, 0.5 + 0.5 * 1 * 1.5]), 1e-6);
    const [yTest] = m(x, ps, testmode(st2));
    const expected = tf.div(tf.sub(x, st2.running_mean!), tf.sqrt(tf.add(st2.running_var!, 1e-5)));
    expectClose(yTest, expected, 1e-6);
  });

  it('gradients match finite differences (train and test mode, with and without trackStats)', () => {
    const rng = new Xoshiro(7);
    const x = tf.tensor(rng.normalArray(2 * 3 * 2 * 3), [2, 3, 2, 3]);
    const ps = { scale: tf.tensor1d(rng.normalArray(3, 1, 0.3)), bias: tf.tensor1d(rng.normalArray(3, 0, 0.3)) };
    type T = { x: tf.Tensor; ps: typeof ps };
    for (const trackStats of [false, true]) {
      const m = InstanceNorm(3, { activation: 'tanh', trackStats });
      const [, st] = setup(new Xoshiro(0), m);
      checkGradients((t) => m((t as T).x, (t as T).ps, st)[0], { x, ps });
      const [, trained] = m(tf.tensor(rng.normalArray(2 * 3 * 2 * 3, 1, 2), [2, 3, 2, 3]), ps, st);
      const test = testmode(trained);
      checkGradients((t) => m((t as T).x, (t as T).ps, test)[0], { x, ps });
    }
  });

  it('gives typed errors', () => {
    const m = InstanceNorm(3);
    const [ps, st] = setup(new Xoshiro(0), m);
    expect(() => m(tf.ones([2, 3]), ps, st)).toThrow(ShapeError);
    expect(() => m(tf.ones([2, 3]), ps, st)).toThrow(/InstanceNorm\(3\) expects input of shape \[batch, spatial, …, 3\].*rank ≥ 3/);
    expect(() => m(tf.ones([2, 4, 4]), ps, st)).toThrow(ShapeError);
    const tracked = InstanceNorm(3, { trackStats: true });
    const [ps2, st2] = setup(new Xoshiro(0), tracked);
    expect(() => tracked(tf.ones([2, 1, 3]), ps2, st2)).toThrow(/more than one spatial position/);
    expect(() => InstanceNorm(3, { momentum: -1 })).toThrow(OptionError);
  });
});
