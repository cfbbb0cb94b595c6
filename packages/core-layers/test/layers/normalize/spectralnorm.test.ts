import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import {
  Dense,
  OptionError,
  setup,
  ShapeError,
  SpectralNorm,
  stateCount,
  testmode,
  Xoshiro,
  type DenseParams,
  type SpectralNormStates,
} from '@deqts/core-layers';
import { checkGradients, describeBackends, expectClose } from '../../../../../test/utils/index.js';

/** The largest singular value of a small matrix, by float64 power iteration on the host. */
function largestSingularValue(m: tf.Tensor2D): number {
  const [rows, cols] = m.shape;
  const a = Array.from(m.dataSync());
  let v = Array.from({ length: cols }, (_, i) => 1 + i * 0.1);
  let sigma = 0;
  for (let it = 0; it < 2000; it++) {
    const u = Array.from({ length: rows }, (_, r) => v.reduce((s, vj, j) => s + a[r * cols + j] * vj, 0));
    const w = Array.from({ length: cols }, (_, j) => u.reduce((s, ur, r) => s + a[r * cols + j] * ur, 0));
    const n = Math.hypot(...w);
    sigma = Math.sqrt(n / Math.hypot(...v));
    v = w.map((e) => e / n);
  }
  return sigma;
}

describeBackends('SpectralNorm', () => {
  it('keeps the layer parameters, adds u and training to the state, and reaches spectral norm 1', () => {
    const dense = Dense(3, 4, { useBias: false });
    const sn = SpectralNorm(dense);
    const [ps, st] = setup(new Xoshiro(0), sn);
    expect(Object.keys(ps)).toEqual(['weight']);
    expect(Object.keys(st)).toEqual(['layer', 'u', 'training']);
    expect(st.u.shape).toEqual([4]);
    expect(stateCount(sn)).toBe(5);
    expect(Math.hypot(...st.u.dataSync())).toBeCloseTo(1, 5);
    // Identity input: the output is the effective weight (W / σ)ᵀ.
    let state = st;
    for (let i = 0; i < 30; i++) state = sn(tf.eye(3), ps, state)[1];
    const [effective, stTest] = sn(tf.eye(3), ps, testmode(state));
    expect(stTest.u).toBe(state.u);
    expect(largestSingularValue(effective as tf.Tensor2D)).toBeCloseTo(1, 4);
    expect(largestSingularValue(ps.weight)).toBeGreaterThan(1.01);
    // u is only updated in training mode, and the input state is untouched
    const [, next] = sn(tf.eye(3), ps, st);
    expect(next.u).not.toBe(st.u);
    expect(Math.hypot(...st.u.dataSync())).toBeCloseTo(1, 5);
  });

  it('is reproducible: same seed, same u and outputs', () => {
    const make = () => {
      const sn = SpectralNorm(Dense(3, 3), { nPowerIterations: 2 });
      const [ps, st] = setup(new Xoshiro(9), sn);
      const [y, st2] = sn(tf.ones([2, 3]), ps, st);
      return [Array.from(y.dataSync()), Array.from(st2.u.dataSync())];
    };
    expect(make()).toEqual(make());
  });

  it('gradients match finite differences (test mode; train mode once u has converged)', () => {
    const sn = SpectralNorm(Dense(3, 4, { activation: 'tanh' }), { nPowerIterations: 15 });
    const [ps, st] = setup(new Xoshiro(2), sn);
    const x = tf.tensor(new Xoshiro(3).normalArray(2 * 3), [2, 3]);
    type T = { x: tf.Tensor; ps: DenseParams };
    const test = testmode(st) as SpectralNormStates<Record<string, never>>;
    checkGradients((t) => sn((t as T).x, (t as T).ps, test)[0], { x, ps });
    const [, converged] = sn(x, ps, st);
    checkGradients((t) => sn((t as T).x, (t as T).ps, converged)[0], { x, ps });
    expectClose(sn(x, ps, converged)[0], sn(x, ps, testmode(converged))[0], 1e-4);
  });

  it('gives typed errors', () => {
    expect(() => setup(new Xoshiro(0), SpectralNorm(Dense(3, 3), { whichParam: 'kernel' }))).toThrow(OptionError);
    expect(() => setup(new Xoshiro(0), SpectralNorm(Dense(3, 3), { whichParam: 'kernel' }))).toThrow(/no tensor parameter 'kernel'.*\{weight, bias\}/);
    expect(() => SpectralNorm(Dense(3, 3), { nPowerIterations: 0 })).toThrow(/nPowerIterations/);
    const sn = SpectralNorm(Dense(3, 3));
    const [ps, st] = setup(new Xoshiro(0), sn);
    expect(() => sn(tf.ones([1, 3]), ps, { ...st, u: tf.ones([4]) })).toThrow(ShapeError);
    expect(() => sn(tf.ones([1, 5]), ps, st)).toThrow(/\[layer\] Dense\(3 => 3\) expects input/);
  });
});
