import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { Embedding, OptionError, parameterCount, setup, ShapeError, stateCount, valueAndGrad, Xoshiro } from '@deqts/core-layers';
import { checkGradients, describeBackends, expectClose } from '../../../../../test/utils/index.js';

describeBackends('Embedding', () => {
  it('has Lux parameter counts and U[0, 1) weights', () => {
    expect(parameterCount(Embedding(1000, 16))).toBe(16000);
    expect(stateCount(Embedding(10, 4))).toBe(0);
    const [ps] = setup(new Xoshiro(0), Embedding(10, 4));
    expect(ps.weight.shape).toEqual([10, 4]);
    expect(Array.from(ps.weight.dataSync()).every((w) => w >= 0 && w < 1)).toBe(true);
  });

  it('looks up rows for [batch] and [batch, T] indices', () => {
    const emb = Embedding(4, 2);
    const ps = { weight: tf.tensor2d([[0, 1], [10, 11], [20, 21], [30, 31]]) };
    const [y1] = emb(tf.tensor1d([3, 0, 3], 'int32'), ps, {});
    expectClose(y1, tf.tensor2d([[30, 31], [0, 1], [30, 31]]), 0);
    const [y2] = emb(tf.tensor2d([[1, 2, 1], [0, 0, 3]], [2, 3], 'int32'), ps, {});
    expect(y2.shape).toEqual([2, 3, 2]);
    expect(Array.from(y2.dataSync())).toEqual([10, 11, 20, 21, 10, 11, 0, 1, 0, 1, 30, 31]);
  });

  it('gradients w.r.t. the weight sum over repeated indices and match finite differences', () => {
    const emb = Embedding(5, 3);
    const [ps, st] = setup(new Xoshiro(1), emb);
    const x = tf.tensor2d([[1, 4, 1], [0, 1, 2]], [2, 3], 'int32');
    const [, grads] = valueAndGrad((p: typeof ps) => tf.sum(emb(x, p, st)[0]) as tf.Scalar)(ps);
    // row 1 appears 3 times, rows 0, 2, 4 once, row 3 never
    expect(Array.from(tf.sum(grads.weight, 1).dataSync())).toEqual([3, 9, 3, 0, 3]);
    checkGradients((t) => emb(x, t as typeof ps, st)[0], ps);
  });

  it('gives typed errors with the valid range', () => {
    const emb = Embedding(10, 4);
    const [ps, st] = setup(new Xoshiro(0), emb);
    expect(() => emb(tf.tensor1d([1, 12], 'int32'), ps, st)).toThrow(ShapeError);
    expect(() => emb(tf.tensor1d([1, 12], 'int32'), ps, st)).toThrow(/Embedding\(10 => 4\): index 12 .* out of range; valid indices are 0 … 9/);
    expect(() => emb(tf.tensor1d([-1], 'int32'), ps, st)).toThrow(/index -1/);
    expect(() => emb(tf.tensor1d([1, 2]), ps, st)).toThrow(/int32 indices.*float32.*tf.cast/);
    expect(() => emb(tf.scalar(1, 'int32'), ps, st)).toThrow(ShapeError);
    expect(() => Embedding(0, 4)).toThrow(OptionError);
    expect(() => Embedding(10, 4, { init: 1 } as never)).toThrow(/unknown option 'init'/);
  });
});
