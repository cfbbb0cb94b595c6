import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, setup, treeLeaves, updateState, valueAndGrad, Xoshiro, type Tree } from '@deqts/core-layers';
import { Anderson, Broyden, FixedPointIteration, LimitedMemoryBroyden, NewtonRaphson, Tsit5, VCABM3 } from '@deqts/solvers';
import { DeepEquilibriumNetwork, SkipDeepEquilibriumNetwork, type DeqStates } from '../src/index.js';
import { allFinite, baseModels } from './helpers.js';

// The DeepEquilibriumNetworks.jl v2 layer-test grid (research/deqjl.md §4.1), on the default engine.
const solvers = {
  Broyden: () => new Broyden(),
  LimitedMemoryBroyden: () => new LimitedMemoryBroyden(),
  NewtonRaphson: () => new NewtonRaphson(),
  Anderson: () => new Anderson(),
  FixedPointIteration: () => new FixedPointIteration(),
  Tsit5: () => new Tsit5(),
  VCABM3: () => new VCABM3(),
};
const kinds = ['deq', 'skipdeq', 'skipregdeq'] as const;

describe('DEQ.jl v2 test grid [wasm]', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });
  for (const [solverName, makeSolver] of Object.entries(solvers)) {
    for (const kind of kinds) {
      for (const jacobianRegularization of [false, true]) {
        for (const modelName of ['dense', 'conv'] as const) {
          it(`${solverName} × ${kind} × jacReg=${jacobianRegularization} × ${modelName}`, () => {
            const { f, init, x } = baseModels[modelName]();
            const opts = { jacobianRegularization };
            const deq =
              kind === 'deq'
                ? DeepEquilibriumNetwork(f, makeSolver(), opts)
                : kind === 'skipdeq'
                  ? SkipDeepEquilibriumNetwork(f, init, makeSolver(), opts)
                  : SkipDeepEquilibriumNetwork(f, makeSolver(), opts);
            const [ps, st] = setup(new Xoshiro(0), deq);
            expect(st.solution.zStar).toBeNull();
            expect(st.solution.nfe).toBe(0);
            tf.tidy(() => {
              const [z, st2] = deq(x, ps, st);
              expect(z.shape).toEqual(x.shape);
              expect(allFinite(z)).toBe(true);
              const sol = st2.solution;
              expect(sol.original?.status).toBe('success');
              expect(tf.max(tf.abs(sol.residual as tf.Tensor)).dataSync()[0]).toBeLessThanOrEqual(1e-3);
              const lossOf = (out: tf.Tensor, s: DeqStates) =>
                tf.addN([tf.sum(tf.square(out)), s.solution.jacobianLoss as tf.Scalar, tf.sum(tf.square(tf.sub(s.solution.zStar as tf.Tensor, s.solution.u0 as tf.Tensor)))]) as tf.Scalar;
              const [, grads] = valueAndGrad((t: { x: tf.Tensor; ps: typeof ps }) => {
                const [out, s] = deq(t.x, t.ps, st);
                return lossOf(out, s);
              })({ x, ps });
              for (const g of treeLeaves(grads as Tree)) expect(allFinite(g as tf.Tensor)).toBe(true);

              const stUnrolled = updateState(st, 'fixedDepth', 10);
              const [zu, stu] = deq(x, ps, stUnrolled);
              expect(zu.shape).toEqual(x.shape);
              expect(allFinite(zu)).toBe(true);
              expect(stu.solution.nfe).toBe(10);
              const [, gu] = valueAndGrad((t: { x: tf.Tensor; ps: typeof ps }) => {
                const [out, s] = deq(t.x, t.ps, stUnrolled);
                return lossOf(out, s);
              })({ x, ps });
              for (const g of treeLeaves(gu as Tree)) expect(allFinite(g as tf.Tensor)).toBe(true);
            });
          });
        }
      }
    }
  }
});
