import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import {
  BatchNorm,
  Chain,
  Dense,
  OptionError,
  parameterCount,
  setup,
  ShapeError,
  stateCount,
  StateStructureError,
  testmode,
  Xoshiro,
  type BatchNormStates,
} from '@deqts/core-layers';
import { checkGradients, describeBackends, expectClose } from '../../../../../test/utils/index.js';

const values = (t: tf.Tensor | undefined): number[] => Array.from((t as tf.Tensor).dataSync());

describeBackends('BatchNorm', () => {
  it("passes Lux's BatchNorm test (normalize_tests.jl), in batch-first layout", () => {
    // Lux: x = [1 3 5; 2 4 6] (features × batch) — here 3 samples of 2 features.
    const m = BatchNorm(2);
    const x = tf.tensor2d([[1, 2], [3, 4], [5, 6]]);
    const [ps, st] = setup(new Xoshiro(12345), m);
    expect(parameterCount(m)).toBe(parameterCount(ps));
    expect(stateCount(m)).toBe(stateCount(st));
    expect(values(ps.bias)).toEqual([0, 0]);
    expect(values(ps.scale)).toEqual([1, 1]);

    const [y, st2] = m(x, ps, st);
    const r = 1.22474;
    expectClose(y, tf.tensor2d([[-r, -r], [0, 0], [r, r]]), 1e-5);
    expectClose(values(st2.running_mean), [0.3, 0.4], 1e-6);
    // 0.1 · var(x, corrected=false) · (3/2) + 0.9 · 1 per feature; var([1, 3, 5]) = 8/3.
    const expectedVar = 0.1 * (8 / 3) * (3 / 2) + 0.9;
    expectClose(values(st2.running_var), [expectedVar, expectedVar], 1e-6);
    expect(expectedVar).toBeCloseTo(1.3, 10);

    const [yTest] = m(x, ps, testmode(st2));
    expect(Math.abs(yTest.dataSync()[0] - (1 - 0.3) / Math.sqrt(1.3))).toBeLessThan(1e-5);
  });

  it('has Lux parameter and state counts', () => {
    expect(parameterCount(BatchNorm(16))).toBe(32);
    expect(stateCount(BatchNorm(3))).toBe(7);
    expect(stateCount(BatchNorm(3, { trackStats: false }))).toBe(1);
    expect(parameterCount(BatchNorm(3, { affine: false }))).toBe(0);
    // Lux's docstring example: Chain(Dense(784 => 64), BatchNorm(64, relu), Dense(64 => 10), BatchNorm(10)).
    const model = Chain(Dense(784, 64), BatchNorm(64, { activation: 'relu' }), Dense(64, 10), BatchNorm(10));
    expect(parameterCount(model)).toBe(51038);
    expect(stateCount(model)).toBe(150);
  });

  it('normalises NHWC images per channel and updates running statistics with n = batch·H·W', () => {
    const m = BatchNorm(3, { momentum: 0.2 });
    const [ps, st] = setup(new Xoshiro(0), m);
    const data = new Xoshiro(1).normalArray(2 * 2 * 2 * 3, 1, 2);
    const x = tf.tensor(data, [2, 2, 2, 3]);
    const [y, st2] = m(x, ps, st);
    expect(y.shape).toEqual([2, 2, 2, 3]);
    const mean = tf.mean(y, [0, 1, 2]);
    const variance = tf.mean(tf.square(y), [0, 1, 2]);
    expectClose(mean, tf.zeros([3]), 1e-5);
    expectClose(variance, tf.ones([3]), 1e-3); // 1 − ε/σ²
    for (let c = 0; c < 3; c++) {
      const column = Array.from(data).filter((_, i) => i % 3 === c);
      const mu = column.reduce((a, b) => a + b, 0) / 8;
      const biased = column.reduce((a, b) => a + (b - mu) ** 2, 0) / 8;
      expect(st2.running_mean!.dataSync()[c]).toBeCloseTo(0.2 * mu, 5);
      expect(st2.running_var!.dataSync()[c]).toBeCloseTo(0.8 + 0.2 * biased * (8 / 7), 4);
    }
    expect(Object.keys(st2)).toEqual(Object.keys(st));
    expect(st.running_mean!.isDisposed).toBe(false);
    expect(values(st.running_mean)).toEqual([0, 0, 0]);
  });

  it('uses batch statistics in test mode without trackStats, and sigmoid(x / √(1 + ε)) with fresh running stats', () => {
    const x = tf.tensor2d([[1, 2], [3, 4], [5, 6]]);
    const plain = BatchNorm(2, { trackStats: false, affine: false });
    const [ps, st] = setup(new Xoshiro(0), plain);
    expect(Object.keys(st)).toEqual(['training']);
    const [yTrain] = plain(x, ps, st);
    const [yTest] = plain(x, ps, testmode(st));
    expectClose(yTest, yTrain, 1e-6);
    const withAct = BatchNorm(2, { activation: 'sigmoid' });
    const [ps2, st2] = setup(new Xoshiro(0), withAct);
    const [y] = withAct(x, ps2, testmode(st2));
    expectClose(y, tf.sigmoid(tf.div(x, Math.sqrt(1 + 1e-5))), 1e-6);
  });

  it('gradients match finite differences in train mode and test mode', () => {
    const m = BatchNorm(3, { activation: 'tanh' });
    const [ps0, st] = setup(new Xoshiro(3), m);
    const rng = new Xoshiro(4);
    const ps = { scale: tf.tensor1d(rng.normalArray(3, 1, 0.3)), bias: tf.tensor1d(rng.normalArray(3, 0, 0.3)) };
    expect(ps0.scale!.shape).toEqual([3]);
    const x = tf.tensor(rng.normalArray(4 * 2 * 3), [4, 2, 3]);
    type T = { x: tf.Tensor; ps: typeof ps };
    checkGradients((t) => m((t as T).x, (t as T).ps, st)[0], { x, ps });
    const [, trained] = m(tf.tensor(rng.normalArray(4 * 2 * 3, 0.5, 2), [4, 2, 3]), ps, st);
    const test = testmode(trained);
    checkGradients((t) => m((t as T).x, (t as T).ps, test)[0], { x, ps });
    const bare = BatchNorm(3, { affine: false, trackStats: false });
    checkGradients((t) => bare(t as tf.Tensor, {}, { training: true })[0], x);
  });

  it('gives typed errors naming the layer: batch of one in training, wrong channels, bad options and states', () => {
    const m = BatchNorm(3);
    const [ps, st] = setup(new Xoshiro(0), m);
    expect(() => m(tf.ones([1, 3]), ps, st)).toThrow(ShapeError);
    expect(() => m(tf.ones([1, 3]), ps, st)).toThrow(/BatchNorm\(3\).*batch of size 1.*testmode/);
    expect(m(tf.ones([1, 3]), ps, testmode(st))[0].shape).toEqual([1, 3]);
    expect(() => m(tf.ones([4, 5]), ps, st)).toThrow(/BatchNorm\(3\) expects input of shape \[batch, …, 3\].*got \[4, 5\]/);
    expect(() => m(tf.ones([3]), ps, st)).toThrow(ShapeError);
    expect(() => BatchNorm(3, { momentum: 2 })).toThrow(OptionError);
    expect(() => BatchNorm(3, { momentum: 2 })).toThrow(/momentum/);
    expect(() => BatchNorm(3, { epsilon: 0 })).toThrow(/epsilon/);
    expect(() => BatchNorm(3, { trackstats: false } as never)).toThrow(/unknown option 'trackstats'/);
    expect(() => BatchNorm(0)).toThrow(/channels/);
    expect(() => m(tf.ones([2, 3]), ps, { training: true } as unknown as BatchNormStates)).toThrow(StateStructureError);
    expect(() => m(tf.ones([2, 3]), ps, { ...st, training: 'yes' } as unknown as BatchNormStates)).toThrow(/training/);
    expect(BatchNorm(3, { activation: 'relu', affine: false }).description).toBe('BatchNorm(3, relu, affine=false)');
  });
});
