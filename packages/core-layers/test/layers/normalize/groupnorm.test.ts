import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { Chain, Dense, GroupNorm, OptionError, parameterCount, setup, ShapeError, stateCount, Xoshiro } from '@deqts/core-layers';
import { gradientRecorded } from '../../../src/engine/wasm-modules.js';
import { checkGradients, describeBackends, expectClose } from '../../../../../test/utils/index.js';

describeBackends('GroupNorm', () => {
  it('has Lux parameter and state counts', () => {
    expect(parameterCount(GroupNorm(64, 4))).toBe(128);
    expect(stateCount(GroupNorm(64, 4))).toBe(0);
    expect(parameterCount(GroupNorm(4, 2, { affine: false }))).toBe(0);
    // Lux's docstring example.
    const model = Chain(Dense(784, 64), GroupNorm(64, 4, { activation: 'relu' }), Dense(64, 10), GroupNorm(10, 5));
    expect(parameterCount(model)).toBe(51038);
    expect(stateCount(model)).toBe(0);
  });

  it("normalises each sample's group over positions and the group's channels (Lux's GroupNorm(4, 2) input)", () => {
    const m = GroupNorm(4, 2);
    const [ps, st] = setup(new Xoshiro(12345), m);
    expect(Array.from(ps.scale!.dataSync())).toEqual([1, 1, 1, 1]);
    expect(Array.from(ps.bias!.dataSync())).toEqual([0, 0, 0, 0]);
    // Lux: reshape(1:24, (3, 4, 2)) in WCN; here [N, W, C] with the same values.
    const data: number[] = [];
    for (let n = 0; n < 2; n++) for (let w = 0; w < 3; w++) for (let c = 0; c < 4; c++) data.push(1 + w + 3 * c + 12 * n);
    const x = tf.tensor(data, [2, 3, 4]);
    const [y, st2] = m(x, ps, st);
    expect(y.shape).toEqual([2, 3, 4]);
    expect(st2).toBe(st);
    const out = y.dataSync();
    for (let n = 0; n < 2; n++) {
      for (let g = 0; g < 2; g++) {
        const xs: number[] = [];
        const ys: number[] = [];
        for (let w = 0; w < 3; w++) {
          for (let c = 2 * g; c < 2 * g + 2; c++) {
            xs.push(data[n * 12 + w * 4 + c]);
            ys.push(out[n * 12 + w * 4 + c]);
          }
        }
        const mu = xs.reduce((a, b) => a + b, 0) / 6;
        const v = xs.reduce((a, b) => a + (b - mu) ** 2, 0) / 6;
        xs.forEach((value, i) => expect(ys[i]).toBeCloseTo((value - mu) / Math.sqrt(v + 1e-5), 5));
      }
    }
  });

  it('gradients match finite differences (NHWC and [batch, features] inputs)', () => {
    const rng = new Xoshiro(5);
    const m = GroupNorm(4, 2, { activation: 'sigmoid' });
    const [, st] = setup(new Xoshiro(0), m);
    const ps = { scale: tf.tensor1d(rng.normalArray(4, 1, 0.3)), bias: tf.tensor1d(rng.normalArray(4, 0, 0.3)) };
    const x = tf.tensor(rng.normalArray(2 * 2 * 3 * 4), [2, 2, 3, 4]);
    type T = { x: tf.Tensor; ps: typeof ps };
    checkGradients((t) => m((t as T).x, (t as T).ps, st)[0], { x, ps });
    const flat = GroupNorm(6, 2, { affine: false });
    checkGradients((t) => flat(t as tf.Tensor, {}, {})[0], tf.tensor(rng.normalArray(3 * 6), [3, 6]));
  });

  it('its closed-form gradient differentiates again (a Jacobian-regularisation-style loss) like finite differences', () => {
    const rng = new Xoshiro(9);
    const m = GroupNorm(4, 2);
    const [, st] = setup(new Xoshiro(0), m);
    const ps = { scale: tf.tensor1d(rng.normalArray(4, 1, 0.3)), bias: tf.tensor1d(rng.normalArray(4, 0, 0.3)) };
    const x = tf.tensor(rng.normalArray(2 * 3 * 4), [2, 3, 4]);
    const v = tf.tensor(rng.normalArray(2 * 3 * 4), [2, 3, 4]);
    type T = { x: tf.Tensor; ps: typeof ps };
    // ‖vᵀ J_x‖² as a function of x and the parameters: needs the gradient of the gradient
    const vjpNormSq = (t: T): tf.Tensor =>
      tf.sum(tf.square(tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(m(xx, t.ps, st)[0], v)))(t.x)));
    checkGradients((t) => vjpNormSq(t as T), { x, ps });
  });

  it('reads the tfjs internal that picks the fast backward (fails loudly if tfjs changes it)', () => {
    expect(typeof (tf.engine().state as unknown as { gradientDepth?: unknown }).gradientDepth).toBe('number');
    const seen: boolean[] = [];
    const probe = tf.customGrad(((x: tf.Tensor) => ({
      value: tf.clone(x),
      gradFunc: (dy: tf.Tensor) => {
        seen.push(gradientRecorded());
        return dy;
      },
    })) as never) as unknown as (x: tf.Tensor) => tf.Tensor;
    expect(gradientRecorded()).toBe(false);
    tf.grad((x: tf.Tensor) => tf.sum(probe(x)))(tf.ones([2])); // top-level backward: not recorded
    tf.grad((x: tf.Tensor) => tf.sum(tf.grad((y: tf.Tensor) => tf.sum(tf.square(probe(y))))(x)))(tf.ones([2])); // nested: recorded
    // the nested case also runs probe's backward once more, in the outer (top-level) backward
    expect(seen).toEqual([false, true, false]);
  });

  it('gives typed errors', () => {
    expect(() => GroupNorm(5, 2)).toThrow(OptionError);
    expect(() => GroupNorm(5, 2)).toThrow(/groups \(2\) must divide the number of channels \(5\)/);
    expect(() => GroupNorm(4, 2, { eps: 1 } as never)).toThrow(/unknown option 'eps'/);
    const m = GroupNorm(4, 2);
    const [ps, st] = setup(new Xoshiro(0), m);
    expect(() => m(tf.ones([2, 3, 5]), ps, st)).toThrow(ShapeError);
    expect(() => m(tf.ones([2, 3, 5]), ps, st)).toThrow(/GroupNorm\(4, 2\) expects input of shape \[batch, …, 4\]/);
    expectClose(m(tf.ones([2, 4]), ps, st)[0], tf.zeros([2, 4]), 1e-6);
  });
});
