import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { Dense, OptionError, parameterCount, setup, ShapeError, StateStructureError, Xoshiro } from '@deqts/core-layers';
import { checkGradients, describeBackends } from '../../../../test/utils/index.js';

describeBackends('Dense', () => {
  it('has Lux parameter counts and output shapes', () => {
    expect(parameterCount(Dense(784, 128))).toBe(100480);
    expect(parameterCount(Dense(784, 64))).toBe(50240);
    expect(parameterCount(Dense(10, 5, { useBias: false }))).toBe(50);
    const d = Dense(3, 4, { activation: 'tanh' });
    const [ps, st] = setup(new Xoshiro(0), d);
    const [y] = d(tf.ones([5, 3]), ps, st);
    expect(y.shape).toEqual([5, 4]);
    const [y3] = d(tf.ones([2, 5, 3]), ps, st);
    expect(y3.shape).toEqual([2, 5, 4]);
  });

  it('computes activation(x Wᵀ + b)', () => {
    const d = Dense(2, 1, { activation: 'relu' });
    const ps = { weight: tf.tensor2d([[1, -2]]), bias: tf.tensor1d([0.5]) };
    const [y] = d(tf.tensor2d([[3, 1], [0, 1]]), ps, {});
    expect(Array.from(y.dataSync())).toEqual([1.5, 0]);
  });

  it('gradients match finite differences for input and parameters', () => {
    const d = Dense(5, 3, { activation: 'tanh' });
    const [ps, st] = setup(new Xoshiro(1), d);
    const x = tf.tensor(new Xoshiro(2).normalArray(4 * 5), [4, 5]);
    checkGradients((t) => {
      const { x: xi, ps: p } = t as { x: tf.Tensor; ps: typeof ps };
      return d(xi, p, st)[0];
    }, { x, ps });
  });

  it('gives typed errors for bad shapes, options and foreign parameters', () => {
    const d = Dense(3, 2);
    const [ps, st] = setup(new Xoshiro(0), d);
    expect(() => d(tf.zeros([4, 5]), ps, st)).toThrow(ShapeError);
    expect(() => d(tf.zeros([4, 5]), ps, st)).toThrow(/expects input of shape \[batch, 3\], got \[4, 5\]/);
    expect(() => Dense(3, 2, { activaton: 'relu' } as never)).toThrow(OptionError);
    expect(() => Dense(3, 2, { activaton: 'relu' } as never)).toThrow(/unknown option 'activaton'/);
    expect(() => Dense(3, 2, { activation: 'rleu' as never })).toThrow(/unknown activation 'rleu'/);
    expect(() => Dense(0, 2)).toThrow(/inFeatures/);
    const [ps2] = setup(new Xoshiro(0), Dense(4, 2));
    expect(() => d(tf.zeros([1, 3]), ps2, st)).toThrow(ShapeError);
    expect(() => d(tf.zeros([1, 3]), { gamma: tf.ones([2]) } as never, st)).toThrow(StateStructureError);
  });
});
