import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import {
  Anderson,
  Broyden,
  Euler,
  NewtonRaphson,
  RK4,
  Tsit5,
  VCABM3,
  solveOde,
  solveSteadyState,
  type OdeAlgorithm,
  type SteadyStateAlgorithm,
} from '@deqts/solvers';
import { lagrangeIntegralWeights } from '../src/ode/adams.js';
import { describeBackends } from '../../../test/utils/index.js';
import { solveDense } from './helpers.js';

type Case = { name: string; f: (u: tf.Tensor) => tf.Tensor; u0: number[]; span: number; exact: (t: number) => number[] };

// du/dt = −u, and the harmonic oscillator x' = y, y' = −x (rows are states: u·R).
const ROTATION = [
  [0, -1],
  [1, 0],
];
const CASES: readonly Case[] = [
  { name: 'du/dt = −u', f: (u) => tf.neg(u), u0: [1], span: 4, exact: (t) => [Math.exp(-t)] },
  { name: 'harmonic oscillator', f: (u) => tf.matMul(u, tf.tensor2d(ROTATION)), u0: [1, 0], span: 8, exact: (t) => [Math.cos(t), -Math.sin(t)] },
];

/** Max-abs error at the end of the span for each step size (fixed steps). */
function errorsAt(alg: OdeAlgorithm, c: Case, steps: readonly number[]): number[] {
  return steps.map((dt) => {
    const u0 = tf.tensor2d([c.u0]);
    const sol = solveOde(c.f, u0, [0, c.span], alg, { dt });
    const got = sol.u.dataSync();
    const want = c.exact(c.span);
    sol.u.dispose();
    u0.dispose();
    return Math.max(...want.map((w, i) => Math.abs(got[i] - w)));
  });
}

describeBackends('ODE integrators', () => {
  it('variable-step Adams weights reduce to the classical constant-step coefficients', () => {
    const close = (a: number[], b: number[]) => a.forEach((v, i) => expect(v).toBeCloseTo(b[i], 12));
    close(lagrangeIntegralWeights([0, -1, -2]), [23 / 12, -16 / 12, 5 / 12]); // AB3
    close(lagrangeIntegralWeights([1, 0, -1]), [5 / 12, 8 / 12, -1 / 12]); // AM3 (2-step)
    close(lagrangeIntegralWeights([1, 0, -1, -2]), [9 / 24, 19 / 24, -5 / 24, 1 / 24]); // AM4
  });

  it('Tsit5 (fixed steps): halving the step divides the error by ≈ 2⁵ or more', () => {
    // Band [24, 100]. On linear problems Tsit5's leading (h⁵) error coefficient is tiny — its
    // stability polynomial matches eᶻ to 4e-5 at z⁶ — so at step sizes whose error float32 can
    // still resolve, the h⁶ term competes and the observed ratios lie between 32 and ~85.
    for (const c of CASES) {
      const e = errorsAt(new Tsit5({ adaptive: false, dt: 1 }), c, [1.6, 0.8, 0.4]);
      const ratios = [e[0] / e[1], e[1] / e[2]];
      console.log(`Tsit5 on ${c.name}: errors ${e.map((v) => v.toExponential(2)).join(', ')}; ratios ${ratios.map((r) => r.toFixed(1)).join(', ')}`);
      for (const r of ratios) {
        expect(r).toBeGreaterThanOrEqual(24);
        expect(r).toBeLessThanOrEqual(100);
      }
    }
  });

  it('VCABM3 (fixed steps): halving the step divides the error by ≈ 2³', () => {
    for (const c of CASES) {
      const e = errorsAt(new VCABM3({ adaptive: false, dt: 1 }), c, [0.2, 0.1, 0.05]);
      const ratios = [e[0] / e[1], e[1] / e[2]];
      console.log(`VCABM3 on ${c.name}: errors ${e.map((v) => v.toExponential(2)).join(', ')}; ratios ${ratios.map((r) => r.toFixed(1)).join(', ')}`);
      for (const r of ratios) {
        expect(r).toBeGreaterThanOrEqual(6);
        expect(r).toBeLessThanOrEqual(12);
      }
    }
  });

  it('Euler and RK4 converge at orders 1 and 4', () => {
    const c = CASES[0];
    const euler = errorsAt(new Euler({ dt: 1 }), c, [0.1, 0.05]);
    const rk4 = errorsAt(new RK4({ dt: 1 }), c, [0.4, 0.2]);
    expect(euler[0] / euler[1]).toBeGreaterThan(1.8);
    expect(euler[0] / euler[1]).toBeLessThan(2.2);
    expect(rk4[0] / rk4[1]).toBeGreaterThan(13);
    expect(rk4[0] / rk4[1]).toBeLessThan(19);
  });

  it('adaptive Tsit5 and VCABM3: global error within 200× the local tolerance and shrinking with it', () => {
    for (const alg of [new Tsit5(), new VCABM3()]) {
      for (const c of CASES) {
        const errs = [1e-4, 1e-6].map((tol) => {
          const u0 = tf.tensor2d([c.u0]);
          const sol = solveOde(c.f, u0, [0, c.span], alg, { abstol: tol, reltol: tol });
          expect(sol.status).toBe('success');
          expect(sol.t[0]).toBe(c.span);
          const got = sol.u.dataSync();
          const err = Math.max(...c.exact(c.span).map((w, i) => Math.abs(got[i] - w)));
          sol.u.dispose();
          u0.dispose();
          return err;
        });
        // Global error over the span stays within a multiple of the local tolerance and shrinks
        // with it (tolerance proportionality). VCABM3 propagates the order-3 solution whose local
        // error it controls, so on the oscillator (neutral, errors add up over ~100 steps) it sits
        // near 100× tol; Tsit5 propagates the order-5 solution and lands far below tol.
        console.log(`${alg.name} adaptive on ${c.name}: error ${errs.map((e) => e.toExponential(2)).join(' (tol 1e-4), ')} (tol 1e-6)`);
        expect(errs[0], `${alg.name} ${c.name}`).toBeLessThan(200 * 1e-4);
        expect(errs[1], `${alg.name} ${c.name}`).toBeLessThan(200 * 1e-6);
        expect(errs[1], `${alg.name} ${c.name}`).toBeLessThan(errs[0] / 10);
      }
    }
  });

  it('steady state of a stable linear ODE matches the solve of the linear system', () => {
    // du/dt = f(u) − u with f(u) = u·M + c (M a contraction): the steady state solves u (I − M) = c.
    const n = 6;
    const m = Array.from({ length: n * n }, (_, k) => 0.6 * Math.sin(3 * k + 1) / n);
    const c = Array.from({ length: n }, (_, k) => Math.cos(k));
    const M = tf.tensor2d(m, [n, n]);
    const C = tf.tensor2d([c, c.map((v) => -2 * v)]);
    // Row-vector system u (I − M) = c ⇔ (I − M)ᵀ uᵀ = cᵀ.
    const aT = Array.from({ length: n * n }, (_, k) => {
      const i = Math.floor(k / n);
      const j = k % n;
      return (i === j ? 1 : 0) - m[j * n + i];
    });
    const expected = [solveDense(aT, c, n), solveDense(aT, c.map((v) => -2 * v), n)];
    const algorithms: SteadyStateAlgorithm[] = [new Tsit5(), new VCABM3(), new Euler({ dt: 0.5 }), new RK4({ dt: 1 }), new Broyden(), new Anderson(), new NewtonRaphson()];
    for (const alg of algorithms) {
      const u0 = tf.zeros([2, n]);
      const sol = solveSteadyState((u) => tf.add(tf.matMul(u, M), C), u0, alg, { abstol: 1e-6, maxiters: 500 });
      expect(sol.status, alg.name).toBe('success');
      const got = sol.u.arraySync() as number[][];
      got.forEach((row, b) => row.forEach((v, j) => expect(Math.abs(v - expected[b][j]), alg.name).toBeLessThanOrEqual(2e-5)));
      sol.u.dispose();
      sol.residual.dispose();
      u0.dispose();
    }
    M.dispose();
    C.dispose();
  });

  it('solveOde: per-sample adaptive steps, saveat by Hermite interpolation, fixed-point form, time argument', () => {
    // Two samples with different decay rates: each takes its own steps.
    const rates = tf.tensor2d([[0.5], [8]]);
    const u0 = tf.ones([2, 1]);
    const sol = solveOde((u) => tf.mul(tf.neg(rates), u), u0, [0, 1], new Tsit5(), { abstol: 1e-7, reltol: 1e-7, saveat: [0, 0.25, 0.5, 1] });
    expect(sol.status).toBe('success');
    expect(sol.steps[1]).toBeGreaterThan(sol.steps[0]);
    const times = [0, 0.25, 0.5, 1];
    sol.saved!.u.forEach((s, i) => {
      const v = s.dataSync();
      expect(v[0]).toBeCloseTo(Math.exp(-0.5 * times[i]), 4);
      expect(v[1]).toBeCloseTo(Math.exp(-8 * times[i]), 3);
      s.dispose();
    });
    sol.u.dispose();
    // Fixed-point form: du/dt = f(u) − u with f(u) = 0.5·u + 1 → u(t) = 2 − e^{−t/2}.
    const fp = solveOde((u) => tf.add(tf.mul(u, 0.5), 1), tf.ones([1, 1]), [0, 2], new RK4({ dt: 0.05 }), { fixedPointForm: true });
    expect(fp.u.dataSync()[0]).toBeCloseTo(2 - Math.exp(-1), 5);
    fp.u.dispose();
    // Non-autonomous: du/dt = cos(t) → u(t) = sin(t); t is each sample's own time.
    const td = solveOde((u, t) => tf.reshape(tf.cos(t), [u.shape[0], 1]), tf.zeros([3, 1]), [0, 2], new VCABM3(), { abstol: 1e-8, reltol: 1e-8 });
    td.u.dataSync().forEach((v) => expect(v).toBeCloseTo(Math.sin(2), 4));
    td.u.dispose();
    rates.dispose();
    u0.dispose();
  });

  it('solveOde with fixed steps is differentiable through (gradients match the analytic ones)', () => {
    // u(T) = e^{−kT} u0 ⇒ ∂ΣuT/∂u0 = e^{−kT}, ∂ΣuT/∂k = −T e^{−kT} Σu0.
    const T = 1.5;
    const u0 = tf.tensor2d([[1, 2]]);
    const k = tf.scalar(0.7);
    for (const alg of [new RK4({ dt: 0.05 }), new Tsit5({ adaptive: false, dt: 0.1 }), new Tsit5(), new VCABM3({ abstol: 1e-8, reltol: 1e-8 })]) {
      const grads = tf.grads((x: tf.Tensor, rate: tf.Tensor) => {
        const sol = solveOde((u) => tf.mul(tf.neg(rate), u), x, [0, T], alg, { abstol: 1e-8, reltol: 1e-8 });
        return tf.sum(sol.u);
      })([u0, k]);
      const decay = Math.exp(-0.7 * T);
      grads[0].dataSync().forEach((g) => expect(g, alg.name).toBeCloseTo(decay, 4));
      expect(grads[1].dataSync()[0], alg.name).toBeCloseTo(-T * decay * 3, 3);
      grads.forEach((g) => g.dispose());
    }
    u0.dispose();
    k.dispose();
  });
});
