import * as tf from '@tensorflow/tfjs-core';
import { callChild, defineLayer, OptionError, tidy, type AnyLayer, type Layer, type Params, type States, type Xoshiro } from '@deqts/core-layers';
import { solveOde, type OdeAlgorithm } from '@deqts/solvers';
import { DeqOptionsSchema } from './options.js';
import { parseOptions } from '@deqts/core-layers';
import { DeepEquilibriumSolution } from './solution.js';
import { MultiScaleInputLayer, splitScales, type MultiScaleOptions, type Scales } from './multiscale.js';

type NodeParams = { readonly model: Params; readonly init: Params };
type NodeStates = { readonly model: States; readonly init: States; readonly fixedDepth: number; readonly solution: DeepEquilibriumSolution; readonly rng: Xoshiro };

/**
 * MultiScaleNeuralODE(mainLayers, mappingLayers, postFuseLayers, solver, scales, options): the
 * neural ODE baseline of the continuous-DEQ paper on the multiscale map f of
 * {@link MultiScaleDeepEquilibriumNetwork}: integrates du/dt = f(u, x) − u from u(0) = 0 over
 * t ∈ [0, 1] with an ODE solver and returns u(1), one tensor per scale. Gradients come from
 * backpropagation through the solver's steps (memory grows with the number of steps, unlike a
 * DEQ). `solution.residual` is f(u(1)) − u(1) is not computed (null), as in DEQ.jl;
 * `solution.nfe` is the solver's count. Options: `abstol`, `reltol`, `maxiters`, `solverOptions`.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { Dense, NoOpLayer, Parallel, setup, Xoshiro } from '@deqts/core-layers';
 * import { Tsit5 } from '@deqts/solvers';
 * import { MultiScaleNeuralODE } from '@deqts/deq';
 * const f = Parallel((a: tf.Tensor, b: tf.Tensor) => tf.add(a, b), Dense(4, 4, { activation: 'tanh' }), Dense(4, 4));
 * const node = MultiScaleNeuralODE([f], [[NoOpLayer()]], null, new Tsit5(), [[4]]);
 * const [ps, st] = setup(new Xoshiro(0), node);
 * const [[u1]] = node(tf.ones([2, 4]), ps, st);
 * ```
 */
export function MultiScaleNeuralODE(
  mainLayers: readonly AnyLayer[],
  mappingLayers: ReadonlyArray<readonly AnyLayer[]>,
  postFuseLayers: readonly AnyLayer[] | null,
  solver: OdeAlgorithm,
  scales: Scales,
  options: MultiScaleOptions = {},
): Layer<tf.Tensor, tf.Tensor[], NodeParams, NodeStates> {
  const name = 'MultiScaleNeuralODE';
  if (solver === null || typeof solver !== 'object') throw new OptionError(`${name}: argument 'solver' must be an ODE solver such as new Tsit5()`);
  const opts = parseOptions(DeqOptionsSchema, options, name);
  const f = MultiScaleInputLayer(mainLayers, mappingLayers, postFuseLayers, scales);
  const total = scales.map((s) => s.reduce((a, b) => a * b, 1)).reduce((a, b) => a + b, 0);
  return defineLayer<tf.Tensor, tf.Tensor[], NodeParams, NodeStates>({
    name,
    description: `${name}(${solver.constructor?.name ?? 'solver'}, scales=${JSON.stringify(scales)})`,
    children: { model: f },
    stateKeys: ['model', 'init', 'fixedDepth', 'solution', 'rng'],
    initialParameters: (rng) => ({ model: f.initialParameters(rng.split()), init: {} }),
    initialStates: (rng) => ({ model: f.initialStates(rng.split()), init: {}, fixedDepth: 0, solution: DeepEquilibriumSolution(), rng: rng.split() }),
    forward: (x, ps, st) => {
      const out = tidy(() => {
        const u0 = tf.zeros([x.shape[0], total]);
        const rhs = (u: tf.Tensor) => tf.sub(callChild<unknown, tf.Tensor>('model', f, [u, x], ps, st)[0], u);
        const sol = solveOde(rhs, u0, [0, 1], solver, { abstol: opts.abstol, reltol: opts.reltol, maxiters: opts.maxiters, ...opts.solverOptions });
        const u = tf.clone(sol.u); // the solver's result is tf.keep'd; a clone is freed by this tidy's owner
        sol.u.dispose();
        return { u, u0, nfe: sol.nfe, status: sol.status, steps: Math.max(0, ...Array.from(sol.steps)) };
      });
      const solution = DeepEquilibriumSolution({
        zStar: out.u,
        u0: out.u0,
        jacobianLoss: tf.scalar(0) as tf.Scalar,
        nfe: out.nfe,
        original: { status: out.status, iterations: out.steps, nfe: out.nfe, perSample: null, trace: null },
      });
      return [splitScales(out.u, scales), { ...st, solution }];
    },
  });
}
