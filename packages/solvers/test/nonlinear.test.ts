import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  Anderson,
  Broyden,
  FixedPointIteration,
  LimitedMemoryBroyden,
  NewtonRaphson,
  RK4,
  Tsit5,
  VCABM3,
  solveSteadyState,
  type NonlinearAlgorithm,
  type SteadyStateAlgorithm,
  type SolveResult,
} from '@deqts/solvers';
import { describeBackends } from '../../../test/utils/index.js';
import { maxAbsDifference, tanhProblem, type TanhProblem } from './helpers.js';

const SOLVERS: readonly [string, () => NonlinearAlgorithm][] = [
  ['NewtonRaphson', () => new NewtonRaphson()],
  ['NewtonRaphson (autodiff JVP)', () => new NewtonRaphson({ jvp: 'autodiff' })],
  ['Broyden', () => new Broyden()],
  ['Broyden (line search)', () => new Broyden({ lineSearch: 'backtracking' })],
  ['LimitedMemoryBroyden', () => new LimitedMemoryBroyden({ memory: 5 })],
  ['Anderson', () => new Anderson()],
  ['FixedPointIteration', () => new FixedPointIteration()],
];

const SIZES = [
  { n: 8, batch: 1 },
  { n: 64, batch: 16 },
  { n: 256, batch: 64 },
] as const;

function release(sol: SolveResult): void {
  sol.u.dispose();
  sol.residual.dispose();
}

describeBackends('root finders on z = tanh(W z + U x + b)', () => {
  const problems: TanhProblem[] = [];
  beforeAll(() => {
    SIZES.forEach(({ n, batch }, i) => problems.push(tanhProblem(n, batch, 10 + i)));
  });
  afterAll(() => problems.forEach((p) => p.dispose()));

  for (const [label, make] of SOLVERS) {
    it(`${label} reaches the float64 fixed point to its tolerance (n = 8, 64, 256; batch 1, 16, 64)`, () => {
      const abstol = 1e-4;
      for (const p of problems) {
        const sol = solveSteadyState(p.f, tf.zeros([p.batch, p.n]), make(), { abstol, maxiters: 100 });
        expect(sol.status, `${label} n=${p.n}`).toBe('success');
        expect(Array.from(sol.perSample.converged)).toEqual(new Array(p.batch).fill(1));
        for (const r of sol.perSample.residualNorm) expect(r).toBeLessThanOrEqual(abstol);
        // ‖u − z*‖∞ ≤ ‖f(u) − u‖∞ / (1 − L) for an L-contraction; 2e-6 covers float32 round-off.
        const bound = abstol / (1 - p.contraction) + 2e-6;
        expect(maxAbsDifference(sol.u, p.reference), `${label} n=${p.n}`).toBeLessThanOrEqual(bound);
        // The residual handed back is f(u) − u of the returned u.
        const recomputed = tf.tidy(() => tf.sub(p.f(sol.u), sol.u));
        expect(maxAbsDifference(sol.residual, recomputed.dataSync())).toBeLessThanOrEqual(1e-6);
        recomputed.dispose();
        release(sol);
      }
    });
  }

  it('NewtonRaphson converges quadratically (residual sequence printed)', () => {
    const p = tanhProblem(32, 4, 3, 0.95);
    const show = (sol: SolveResult): number[] => sol.trace!.map((e) => Math.max(...e.residualNorm));
    const exact = solveSteadyState(p.f, tf.zeros([4, 32]), new NewtonRaphson({ jvp: 'autodiff', forcing: 1e-6 }), { abstol: 1e-6, trace: true });
    const fd = solveSteadyState(p.f, tf.zeros([4, 32]), new NewtonRaphson(), { abstol: 1e-6, trace: true });
    const seq = show(exact);
    console.log(`Newton (autodiff JVP) max-abs residuals: ${seq.map((r) => r.toExponential(2)).join(' → ')}`);
    console.log(`Newton (finite-difference JVP, Eisenstat–Walker): ${show(fd).map((r) => r.toExponential(2)).join(' → ')}`);
    expect(exact.status).toBe('success');
    let quadraticSteps = 0;
    for (let k = 0; k + 1 < seq.length; k++) {
      // In the quadratic regime (residual below 0.1, next one above float32's floor):
      // r_{k+1} ≤ C r_k², i.e. the exponent log r_{k+1} / log r_k is at least ~1.8.
      if (seq[k] < 0.1 && seq[k + 1] > 1e-6) {
        expect(seq[k + 1]).toBeLessThanOrEqual(2 * seq[k] * seq[k]);
        expect(Math.log(seq[k + 1]) / Math.log(seq[k])).toBeGreaterThanOrEqual(1.8);
        quadraticSteps += 1;
      }
    }
    expect(quadraticSteps).toBeGreaterThanOrEqual(1);
    expect(fd.status).toBe('success');
    release(exact);
    release(fd);
    p.dispose();
  });

  it('every solver (ODE ones too) solves the scalar problem u = 0.9u to |u| ≤ 1e-4', () => {
    const all: [string, () => SteadyStateAlgorithm][] = [...SOLVERS, ['Tsit5', () => new Tsit5()], ['VCABM3', () => new VCABM3()], ['RK4', () => new RK4({ dt: 1 })]];
    for (const [label, make] of all) {
      const u0 = tf.tensor2d([[1]]);
      const sol = solveSteadyState((u) => tf.mul(u, 0.9), u0, make(), { abstol: 1e-5, maxiters: 200 });
      expect(sol.status, label).toBe('success');
      expect(Math.abs(sol.u.dataSync()[0]), label).toBeLessThanOrEqual(1e-4);
      release(sol);
      u0.dispose();
    }
  });
});
