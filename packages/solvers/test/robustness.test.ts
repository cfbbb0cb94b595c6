import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import {
  Anderson,
  Broyden,
  Euler,
  FixedPointIteration,
  LimitedMemoryBroyden,
  NewtonRaphson,
  RK4,
  Tsit5,
  VCABM3,
  solveSteadyState,
  type SolveResult,
  type SteadyStateAlgorithm,
} from '@deqts/solvers';
import { describeBackends } from '../../../test/utils/index.js';

const ALL: readonly [string, () => SteadyStateAlgorithm][] = [
  ['NewtonRaphson', () => new NewtonRaphson()],
  ['Broyden', () => new Broyden()],
  ['LimitedMemoryBroyden', () => new LimitedMemoryBroyden()],
  ['Anderson', () => new Anderson()],
  ['FixedPointIteration', () => new FixedPointIteration()],
  ['Tsit5', () => new Tsit5()],
  ['VCABM3', () => new VCABM3()],
  ['Euler', () => new Euler({ dt: 0.5 })],
  ['RK4', () => new RK4({ dt: 0.5 })],
];

function release(sol: SolveResult): void {
  sol.u.dispose();
  sol.residual.dispose();
}

/**
 * z = tanh(s_b·(z W) + x_b) with W = 0.8·I + 0.2·R (max column abs-sum of R is 1), so row b is
 * its own problem with contraction factor ≤ s_b: s = 0.05 is easy, s = 0.97 hard.
 */
function scaledProblem(scales: readonly number[], n: number): { f: (z: tf.Tensor) => tf.Tensor; row: (b: number) => (z: tf.Tensor) => tf.Tensor; dispose: () => void } {
  const W = tf.tidy(() => {
    const r = tf.randomNormal([n, n], 0, 1, 'float32', 5);
    return tf.add(tf.mul(tf.eye(n), 0.8), tf.mul(tf.div(r, tf.max(tf.sum(tf.abs(r), 0))), 0.2));
  });
  const x = tf.randomNormal([scales.length, n], 0, 0.5, 'float32', 6);
  const s = tf.tensor2d([...scales], [scales.length, 1]);
  const rows = scales.map((_, b) => ({ x: tf.slice(x, [b, 0], [1, n]), s: tf.slice(s, [b, 0], [1, 1]) }));
  return {
    f: (z) => tf.tanh(tf.add(tf.mul(tf.matMul(z, W), s), x)),
    row: (b) => (z) => tf.tanh(tf.add(tf.mul(tf.matMul(z, W), rows[b].s), rows[b].x)),
    dispose: () => [W, x, s, ...rows.flatMap((r) => [r.x, r.s])].forEach((t) => t.dispose()),
  };
}

describeBackends('per-sample behaviour and robustness', () => {
  it('a batch of easy and hard samples: easy ones stop early, and every sample equals its solve alone', () => {
    const scales = [0.05, 0.97, 0.3, 0.9];
    const p = scaledProblem(scales, 16);
    for (const [label, make] of ALL) {
      const batched = solveSteadyState(p.f, tf.zeros([4, 16]), make(), { abstol: 1e-5, maxiters: 1000 });
      expect(batched.status, label).toBe('success');
      const its = Array.from(batched.perSample.iterations);
      expect(its[0], `${label}: easy sample stops before the hard one (${its})`).toBeLessThan(its[1]);
      expect(new Set(its).size, `${label}: per-sample counts differ (${its})`).toBeGreaterThan(1);
      const rows = batched.u.arraySync() as number[][];
      scales.forEach((_, b) => {
        const alone = solveSteadyState(p.row(b), tf.zeros([1, 16]), make(), { abstol: 1e-5, maxiters: 1000 });
        expect(alone.perSample.iterations[0], `${label} sample ${b}`).toBe(its[b]);
        const single = (alone.u.arraySync() as number[][])[0];
        single.forEach((v, j) => expect(Math.abs(v - rows[b][j]), `${label} sample ${b}`).toBeLessThanOrEqual(1e-6));
        release(alone);
      });
      release(batched);
    }
    p.dispose();
  });

  it('a map without a fixed point ends at maxiters and returns the lowest-residual iterate', () => {
    // g(u) = f(u) − u = (1 + 0.5·sin u)(1 + |u|) ≥ 0.5(1 + |u|) never vanishes, and stays large
    // relative to u, so float32 rounding of f(u) − u cannot fake a root far out.
    const f = (u: tf.Tensor): tf.Tensor => tf.add(u, tf.mul(tf.add(1, tf.mul(tf.sin(u), 0.5)), tf.add(1, tf.abs(u))));
    for (const [label, make] of ALL) {
      const u0 = tf.tensor2d([[0.3], [2]]);
      const sol = solveSteadyState(f, u0, make(), { maxiters: 12, trace: true });
      expect(sol.status, label).toBe('maxiters');
      expect(Array.from(sol.perSample.converged), label).toEqual([0, 0]);
      const trace = sol.trace!;
      for (let b = 0; b < 2; b++) {
        const lowest = Math.min(...trace.map((e) => e.residualNorm[b]));
        expect(sol.perSample.residualNorm[b], label).toBeCloseTo(lowest, 6);
      }
      const check = tf.tidy(() => tf.sub(f(sol.u), sol.u));
      const r = sol.residual.dataSync();
      check.dataSync().forEach((v, i) => expect(Math.abs(v - r[i])).toBeLessThanOrEqual(1e-6));
      check.dispose();
      release(sol);
      u0.dispose();
    }
  });

  it('NaN in the input gives status nonfinite for that sample, never a throw, and the others converge', () => {
    for (const [label, make] of ALL) {
      const u0 = tf.tensor2d([[0, 0], [NaN, 0], [0.5, 0.5]]);
      const sol = solveSteadyState((u) => tf.cos(u), u0, make(), { maxiters: 100, abstol: 1e-5 });
      expect(sol.status, label).toBe('nonfinite');
      expect(sol.perSample.status, label).toEqual(['success', 'nonfinite', 'success']);
      const out = sol.u.arraySync() as number[][];
      expect(out[0][0], label).toBeCloseTo(0.739085, 4);
      expect(out[2][1], label).toBeCloseTo(0.739085, 4);
      release(sol);
      u0.dispose();
    }
  });

  it('a map that produces NaN mid-solve stops that sample as nonfinite with its best finite iterate', () => {
    // g(u) = √(1 − u) + 1: finite at u0 = 0, then the step u ← u + g(u) = 2 leaves the domain.
    const f = (u: tf.Tensor): tf.Tensor => tf.add(u, tf.add(tf.sqrt(tf.sub(1, u)), 1));
    const sol = solveSteadyState(f, tf.tensor2d([[0]]), new FixedPointIteration(), { maxiters: 50 });
    expect(sol.status).toBe('nonfinite');
    expect(sol.u.dataSync()[0]).toBe(0);
    expect(Number.isFinite(sol.perSample.residualNorm[0])).toBe(true);
    release(sol);
  });

  it('growth past the guard gives diverged, with the best (initial) iterate', () => {
    const sol = solveSteadyState((u) => tf.add(tf.mul(u, 3), 1), tf.tensor2d([[0]]), new FixedPointIteration(), { maxiters: 60 });
    expect(sol.status).toBe('diverged');
    expect(sol.u.dataSync()[0]).toBe(0);
    expect(sol.perSample.iterations[0]).toBeLessThan(60);
    release(sol);
  });

  it('no progress over stallWindow checks gives stalled', () => {
    const sol = solveSteadyState((u) => tf.add(u, 1), tf.zeros([2, 3]), new Broyden(), { maxiters: 100, stallWindow: 5 });
    expect(sol.status).toBe('stalled');
    expect(Array.from(sol.perSample.iterations)).toEqual([5, 5]);
    release(sol);
  });

  it('Anderson survives singular least-squares systems (repeated and zero history columns)', () => {
    // Residuals alternate between two vectors, so every stored difference is ±(v − w): the m×m Gram
    // matrix has rank 1. Then a constant residual makes every difference exactly zero.
    let calls = 0;
    const v = tf.tensor2d([[1, -2, 0.5]]);
    const w = tf.tensor2d([[0.5, 1, -1]]);
    const alternating = (u: tf.Tensor): tf.Tensor => {
      calls += 1;
      return tf.add(u, calls % 2 === 0 ? v : w);
    };
    for (const make of [() => new Anderson({ memory: 5 }), () => new Anderson({ memory: 3, regularization: 0 })]) {
      const a = solveSteadyState(alternating, tf.zeros([1, 3]), make(), { maxiters: 20 });
      expect(a.status).toBe('maxiters');
      expect(a.u.dataSync().every(Number.isFinite)).toBe(true);
      release(a);
      const b = solveSteadyState((u) => tf.add(u, 0.25), tf.zeros([2, 3]), make(), { maxiters: 20 });
      expect(b.status).toBe('maxiters');
      expect(b.u.dataSync().every(Number.isFinite)).toBe(true);
      release(b);
    }
    v.dispose();
    w.dispose();
  });

  it('termination modes hold per sample at the returned iterate', () => {
    const f = (u: tf.Tensor): tf.Tensor => tf.tanh(tf.add(tf.mul(u, 0.8), tf.tensor2d([[3, -0.01, 0.2, 1]])));
    const u0 = tf.zeros([1, 4]);
    const run = (options: Record<string, unknown>) => solveSteadyState(f, u0, new Anderson({ memory: 2 }), { maxiters: 100, ...options });
    const read = (sol: SolveResult) => ({ r: Array.from(sol.residual.dataSync()), fu: Array.from(tf.tidy(() => tf.add(sol.u, sol.residual)).dataSync()) });
    const rms = (x: number[]) => Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);
    const maxAbs = (x: number[]) => Math.max(...x.map(Math.abs));

    const abs = run({ terminationMode: 'abs', abstol: 1e-4, norm: 'l2' });
    expect(maxAbs(read(abs).r)).toBeLessThanOrEqual(1e-4);
    const rel = run({ terminationMode: 'rel', reltol: 1e-3 });
    const relValues = read(rel);
    relValues.r.forEach((ri, i) => expect(Math.abs(ri)).toBeLessThanOrEqual(1e-3 * Math.abs(relValues.fu[i])));
    const relNorm = run({ terminationMode: 'relNorm', reltol: 1e-4, norm: 'l2' });
    const rn = read(relNorm);
    expect(rms(rn.r)).toBeLessThanOrEqual(1e-4 * rms(rn.fu));
    expect(relNorm.perSample.residualNorm[0]).toBeCloseTo(rms(rn.r), 6);
    const both = run({ terminationMode: 'norm', abstol: 1e-6, reltol: 1e-3 });
    const bv = read(both);
    expect(maxAbs(bv.r)).toBeLessThanOrEqual(Math.max(1e-6, 1e-3 * maxAbs(bv.fu)));
    const best = run({ terminationMode: 'safeBest', abstol: 1e-5, reltol: 0 });
    expect(best.status).toBe('success');
    for (const sol of [abs, rel, relNorm, both, best]) {
      expect(sol.status).toBe('success');
      release(sol);
    }
    u0.dispose();
  });

  it('checkEvery reads convergence every k iterations; trace records every check', () => {
    const f = (u: tf.Tensor): tf.Tensor => tf.cos(u);
    const u0 = tf.zeros([3, 2]);
    const every = solveSteadyState(f, u0, new FixedPointIteration(), { abstol: 1e-5, maxiters: 200, trace: true });
    const sparse = solveSteadyState(f, u0, new FixedPointIteration(), { abstol: 1e-5, maxiters: 200, checkEvery: 4, trace: true });
    expect(every.trace!.length).toBe(every.iterations + 1);
    expect(sparse.iterations % 4).toBe(0);
    expect(sparse.iterations).toBeGreaterThanOrEqual(every.iterations);
    expect(sparse.iterations - every.iterations).toBeLessThan(4);
    expect(sparse.trace!.map((e) => e.iteration)).toEqual(Array.from({ length: sparse.iterations / 4 + 1 }, (_, i) => 4 * i));
    expect(sparse.nfe).toBe(sparse.iterations + 1);
    release(every);
    release(sparse);
    u0.dispose();
  });

  it('works on image-shaped states [B, H, W, C] with a per-sample map', () => {
    const u0 = tf.zeros([2, 4, 4, 3]);
    const bias = tf.randomNormal([2, 4, 4, 3], 0, 1, 'float32', 9);
    const f = (u: tf.Tensor): tf.Tensor => tf.tanh(tf.add(tf.mul(tf.avgPool(u as tf.Tensor4D, 3, 1, 'same'), 0.7), bias));
    for (const alg of [new Broyden(), new Anderson(), new NewtonRaphson(), new Tsit5()]) {
      const sol = solveSteadyState(f, u0, alg, { abstol: 1e-5, maxiters: 100 });
      expect(sol.status, alg.name).toBe('success');
      expect(sol.u.shape).toEqual([2, 4, 4, 3]);
      expect(sol.residual.shape).toEqual([2, 4, 4, 3]);
      release(sol);
    }
    u0.dispose();
    bias.dispose();
  });
});
