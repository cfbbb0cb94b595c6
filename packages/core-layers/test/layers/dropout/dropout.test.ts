import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import {
  Chain,
  Dense,
  Dropout,
  OptionError,
  parameterCount,
  setup,
  ShapeError,
  stateCount,
  StateStructureError,
  testmode,
  updateState,
  VariationalHiddenDropout,
  Xoshiro,
  type DropoutStates,
} from '@deqts/core-layers';
import { checkGradients, describeBackends, expectClose, onBackend } from '../../../../../test/utils/index.js';

const values = (t: tf.Tensor): number[] => Array.from(t.dataSync());

describeBackends('Dropout', () => {
  it('has no parameters and Lux state counts; test mode is the identity', () => {
    const d = Dropout(0.5);
    expect(parameterCount(d)).toBe(0);
    expect(stateCount(d)).toBe(2);
    const [ps, st] = setup(new Xoshiro(0), d);
    expect(Object.keys(st)).toEqual(['rng', 'training']);
    const x = tf.tensor(new Xoshiro(1).normalArray(12), [3, 4]);
    const [y, st2] = d(x, ps, testmode(st));
    expect(y).toBe(x);
    expect(st2.rng).toBe(st.rng);
  });

  it('zeroes a fraction p and scales the rest by 1/(1−p), preserving the mean', () => {
    const p = 0.3;
    const d = Dropout(p);
    const [ps, st] = setup(new Xoshiro(2), d);
    const [y] = d(tf.ones([100, 100]), ps, st);
    const v = values(y);
    const zeros = v.filter((e) => e === 0).length / v.length;
    expect(v.every((e) => e === 0 || Math.abs(e - 1 / (1 - p)) < 1e-6)).toBe(true);
    expect(Math.abs(zeros - p)).toBeLessThan(0.02); // std of the fraction ≈ 0.0046
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    expect(Math.abs(mean - 1)).toBeLessThan(0.03); // std of the mean ≈ 0.0065
    expect(values(Dropout(1)(tf.ones([2, 3]), ps, st)[0])).toEqual([0, 0, 0, 0, 0, 0]);
    const x = tf.ones([2, 3]);
    expect(Dropout(0)(x, ps, st)[0]).toBe(x);
  });

  it('same seed gives the same mask, different seeds and successive calls differ, the input state is not mutated', () => {
    const d = Dropout(0.5);
    const x = tf.ones([4, 16]);
    const [ps, stA] = setup(new Xoshiro(7), d);
    const [, stB] = setup(new Xoshiro(7), d);
    const [, stC] = setup(new Xoshiro(8), d);
    const before = stA.rng.state();
    const [yA, stA2] = d(x, ps, stA);
    expect(stA.rng.state()).toEqual(before);
    expect(values(d(x, ps, stA)[0])).toEqual(values(yA));
    expect(values(d(x, ps, stB)[0])).toEqual(values(yA));
    expect(values(d(x, ps, stC)[0])).not.toEqual(values(yA));
    expect(values(d(x, ps, stA2)[0])).not.toEqual(values(yA));
    expect(stA2.rng.state()).not.toEqual(before);
  });

  it('dims: the mask varies only along the given axes (whole channels dropped on NHWC)', () => {
    const d = Dropout(0.5, { dims: [0, -1] });
    const [ps, st] = setup(new Xoshiro(3), d);
    const [y] = d(tf.ones([2, 3, 3, 8]), ps, st);
    const v = values(y);
    for (let b = 0; b < 2; b++) {
      for (let c = 0; c < 8; c++) {
        const slice = Array.from({ length: 9 }, (_, i) => v[b * 72 + i * 8 + c]);
        expect(new Set(slice).size).toBe(1);
      }
    }
    expect(new Set(v).size).toBe(2);
    expect(() => d(tf.ones([2, 3]), ps, st)).not.toThrow();
    expect(() => Dropout(0.5, { dims: 4 })(tf.ones([2, 3]), ps, st)).toThrow(/axis 4 of option 'dims' is out of range/);
  });

  it('gradients match finite differences in training mode (the mask is fixed by the state)', () => {
    const model = Chain(Dense(3, 5, { activation: 'tanh' }), Dropout(0.4), Dense(5, 2));
    const [ps, st] = setup(new Xoshiro(4), model);
    const x = tf.tensor(new Xoshiro(5).normalArray(6), [2, 3]);
    type T = { x: tf.Tensor; ps: typeof ps };
    checkGradients((t) => model((t as T).x, (t as T).ps, st)[0], { x, ps });
  });

  it('gives typed errors', () => {
    expect(() => Dropout(1.5)).toThrow(OptionError);
    expect(() => Dropout(-0.1)).toThrow(/'p'.*\[0, 1\]/);
    expect(() => Dropout(0.5, { dim: 1 } as never)).toThrow(/unknown option 'dim'/);
    const d = Dropout(0.5);
    const [ps, st] = setup(new Xoshiro(0), d);
    expect(() => d(tf.ones([2], 'int32'), ps, st)).toThrow(ShapeError);
    expect(() => d(tf.ones([2]), ps, { rng: 3, training: true } as unknown as DropoutStates)).toThrow(StateStructureError);
    expect(() => d(tf.ones([2]), ps, { training: true } as unknown as DropoutStates)).toThrow(StateStructureError);
  });
});

describeBackends('VariationalHiddenDropout', () => {
  it('has Lux state counts and reuses its mask until update_mask is set', () => {
    const d = VariationalHiddenDropout(0.5);
    expect(stateCount(d)).toBe(4);
    const [ps, st] = setup(new Xoshiro(0), d);
    expect(st.update_mask).toBe(true);
    expect(st.mask).toBeNull();
    const [y1, st1] = d(tf.ones([3, 8]), ps, st);
    expect(st1.update_mask).toBe(false);
    expect(st1.mask!.shape).toEqual([3, 8]);
    expectClose(y1, st1.mask!, 0);
    const x2 = tf.tensor(new Xoshiro(1).normalArray(24), [3, 8]);
    const [y2, st2] = d(x2, ps, st1);
    expectClose(y2, tf.mul(x2, st1.mask!), 0);
    expect(st2.mask).toBe(st1.mask);
    expect(st2.rng).toBe(st1.rng);
    const [y3, st3] = d(tf.ones([3, 8]), ps, updateState(st2, 'update_mask', true));
    expect(values(y3)).not.toEqual(values(y1));
    expect(st3.mask).not.toBe(st1.mask);
    // test mode: identity, state unchanged
    const test = testmode(st3);
    const [y4, st4] = d(x2, ps, test);
    expect(y4).toBe(x2);
    expect(st4).toBe(test);
    // same seed, same first mask
    const [, again] = setup(new Xoshiro(0), d);
    expect(values(d(tf.ones([3, 8]), ps, again)[0])).toEqual(values(y1));
  });

  it('gradients match finite differences with a stored mask', () => {
    const d = VariationalHiddenDropout(0.3, { dims: -1 });
    const [ps, st] = setup(new Xoshiro(2), d);
    const x = tf.tensor(new Xoshiro(3).normalArray(12), [3, 4]);
    const [, st1] = d(x, ps, st);
    expect(st1.mask!.shape).toEqual([1, 4]);
    checkGradients((t) => d(t as tf.Tensor, ps, st1)[0], x);
  });

  it('errors when the stored mask does not fit the input', () => {
    const d = VariationalHiddenDropout(0.5);
    const [ps, st] = setup(new Xoshiro(0), d);
    const [, st1] = d(tf.ones([2, 4]), ps, st);
    expect(() => d(tf.ones([3, 4]), ps, st1)).toThrow(ShapeError);
    expect(() => d(tf.ones([3, 4]), ps, st1)).toThrow(/stored mask has shape \[2, 4\].*needs \[3, 4\].*update_mask/);
    expect(() => VariationalHiddenDropout(2)).toThrow(OptionError);
  });
});

it('Dropout masks and outputs are identical on cpu and wasm for the same seed', async () => {
  const run = (backend: 'cpu' | 'wasm') =>
    onBackend(backend, () => {
      const d = Dropout(0.25);
      const [ps, st] = setup(new Xoshiro(11), d);
      const x = tf.tensor(new Xoshiro(12).normalArray(64), [8, 8]);
      const [y, st2] = d(x, ps, st);
      return { y: values(y), rng: st2.rng.state() };
    });
  const a = await run('cpu');
  const b = await run('wasm');
  expect(b.y).toEqual(a.y);
  expect(b.rng).toEqual(a.rng);
});
