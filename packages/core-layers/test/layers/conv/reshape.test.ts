import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { Chain, Conv, Dense, FlattenLayer, GlobalMeanPool, OptionError, parameterCount, ReshapeLayer, setup, ShapeError, Xoshiro, type ReshapingLayer } from '@deqts/core-layers';
import { checkGradients, describeBackends } from '../../../../../test/utils/index.js';

const run = (layer: ReshapingLayer, x: tf.Tensor): tf.Tensor => layer(x, ...setup(new Xoshiro(0), layer))[0];

describeBackends('FlattenLayer and ReshapeLayer', () => {
  it('FlattenLayer flattens every sample (or its first nDims dimensions) in row-major order', () => {
    const x = tf.range(0, 2 * 3 * 4 * 5).reshape([2, 3, 4, 5]);
    const y = run(FlattenLayer(), x);
    expect(y.shape).toEqual([2, 60]);
    expect(Array.from(y.dataSync())).toEqual(Array.from(x.dataSync()));
    expect(run(FlattenLayer({ nDims: 2 }), x).shape).toEqual([2, 12, 5]);
    expect(run(FlattenLayer({ nDims: 1 }), x).shape).toEqual([2, 3, 4, 5]);
    expect(run(FlattenLayer({ nDims: 3 }), x).shape).toEqual([2, 60]);
    expect(run(FlattenLayer(), tf.zeros([4, 7])).shape).toEqual([4, 7]);
    expect(parameterCount(FlattenLayer())).toBe(0);
  });

  it('ReshapeLayer reshapes every sample to dims (one −1 inferred)', () => {
    const x = tf.range(0, 2 * 12).reshape([2, 12]);
    expect(run(ReshapeLayer([3, 4]), x).shape).toEqual([2, 3, 4]);
    expect(run(ReshapeLayer([2, -1, 1]), x).shape).toEqual([2, 2, 6, 1]);
    expect(Array.from(run(ReshapeLayer([4, 3]), x).dataSync())).toEqual(Array.from(x.dataSync()));
  });

  it('composes into a conv classifier head (Lux: Chain(Conv, GlobalMeanPool, FlattenLayer, Dense))', () => {
    const model = Chain(ReshapeLayer([5, 5, 1]), Conv([3, 3], 1, 4, { padding: 1, activation: 'relu' }), GlobalMeanPool(), FlattenLayer(), Dense(4, 3));
    const [ps, st] = setup(new Xoshiro(0), model);
    expect(model(tf.zeros([2, 25]), ps, st)[0].shape).toEqual([2, 3]);
    expect(parameterCount(model)).toBe(3 * 3 * 4 + 4 + 4 * 3 + 3);
  });

  it('passes gradients through unchanged', () => {
    const x = tf.tensor(Array.from({ length: 24 }, (_, i) => Math.sin(i)), [2, 3, 4]);
    checkGradients((t) => tf.tanh(run(FlattenLayer(), (t as { x: tf.Tensor }).x)), { x });
    checkGradients((t) => tf.tanh(run(ReshapeLayer([4, 3]), (t as { x: tf.Tensor }).x)), { x });
  });

  it('gives typed errors', () => {
    expect(() => run(FlattenLayer(), tf.zeros([3]))).toThrow(ShapeError);
    expect(() => run(FlattenLayer({ nDims: 3 }), tf.zeros([2, 3, 4]))).toThrow('FlattenLayer(nDims=3) expects input of shape [batch, d1, …, d3, ...] (rank ≥ 4), got [2, 3, 4]');
    expect(() => FlattenLayer({ N: 2 } as never)).toThrow(/unknown option 'N'/);
    expect(() => FlattenLayer({ nDims: 0 })).toThrow(OptionError);
    expect(() => run(ReshapeLayer([3, 4]), tf.zeros([2, 10]))).toThrow('ReshapeLayer([3, 4]) expects input of shape [batch, ...] with 12 numbers per sample, got [2, 10]');
    expect(() => run(ReshapeLayer([-1, 4]), tf.zeros([2, 10]))).toThrow(/a multiple of 4/);
    expect(() => ReshapeLayer([-1, -1])).toThrow(OptionError);
    expect(() => ReshapeLayer([0, 2])).toThrow(/argument 'dims'/);
    expect(() => ReshapeLayer([])).toThrow(OptionError);
  });
});
