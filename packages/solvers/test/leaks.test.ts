import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
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
  gmres,
  solveOde,
  solveSteadyState,
  type SteadyStateAlgorithm,
} from '@deqts/solvers';
import { describeBackends, expectNoLeak } from '../../../test/utils/index.js';
import { tanhProblem, type TanhProblem } from './helpers.js';

const ALGORITHMS: readonly (() => SteadyStateAlgorithm)[] = [
  () => new NewtonRaphson(),
  () => new NewtonRaphson({ jvp: 'autodiff', lineSearch: 'backtracking' }),
  () => new NewtonRaphson({ jvp: 'centralDifference' }),
  () => new Broyden({ lineSearch: 'backtracking' }),
  () => new LimitedMemoryBroyden({ memory: 3 }),
  () => new Anderson({ memory: 3 }),
  () => new FixedPointIteration({ damping: 0.8 }),
  () => new Tsit5(),
  () => new VCABM3(),
  () => new Euler({ dt: 0.5 }),
  () => new RK4({ dt: 0.5 }),
];

describeBackends('no solve leaks a tensor', () => {
  let p: TanhProblem;
  let u0: tf.Tensor;
  beforeAll(() => {
    p = tanhProblem(16, 4, 21, 0.9);
    u0 = tf.zeros([4, 16]);
  });
  afterAll(() => {
    p.dispose();
    u0.dispose();
  });

  it('solveSteadyState, every algorithm, with trace, checkEvery and a NaN sample', async () => {
    const withNaN = tf.tensor2d([[NaN, ...new Array(15).fill(0)], ...Array.from({ length: 3 }, () => new Array(16).fill(0))]);
    for (const make of ALGORITHMS) {
      await expectNoLeak(() => {
        const sol = solveSteadyState(p.f, u0, make(), { maxiters: 12, trace: true, checkEvery: 2 });
        sol.u.dispose();
        sol.residual.dispose();
        const bad = solveSteadyState(p.f, withNaN, make(), { maxiters: 6 });
        expect(bad.status).toBe('nonfinite');
        bad.u.dispose();
        bad.residual.dispose();
      }, 2, 1);
    }
    withNaN.dispose();
  });

  it('solveOde (fixed and adaptive, with saveat) and gmres', async () => {
    const rhs = tf.ones([4, 16]);
    await expectNoLeak(() => {
      for (const alg of [new Tsit5(), new VCABM3(), new RK4({ dt: 0.25 }), new Euler({ dt: 0.25 })]) {
        const sol = solveOde(p.f, u0, [0, 1], alg, { saveat: [0, 0.3, 1], fixedPointForm: true });
        sol.u.dispose();
        sol.saved!.u.forEach((t) => t.dispose());
      }
      const g = gmres((v) => tf.sub(v, tf.mul(p.f(v), 0.5)), rhs, { restart: 4, maxiters: 12 });
      g.x.dispose();
    }, 2, 1);
    rhs.dispose();
  });
});
