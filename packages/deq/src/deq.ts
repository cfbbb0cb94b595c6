import * as tf from '@tensorflow/tfjs-core';
import {
  callChild, defineLayer, NoOpLayer, tidy, OptionError, parseOptions, treeFlatten, treeUnflatten, Xoshiro,
  type AnyLayer, type Layer, type Params, type States,
} from '@deqts/core-layers';
import type { SteadyStateAlgorithm } from '@deqts/solvers';
import { bindForwardSolve, type ForwardReport } from './forward-solve.js';
import { implicitFixedPoint, withoutTape } from './implicit.js';
import { jacobianFrobeniusEstimate } from './jacobian.js';
import { DeqOptionsSchema, type DeqOptions, type DeqOptionsInput } from './options.js';
import { DeepEquilibriumSolution, type EquilibriumSolveSummary } from './solution.js';

/** How a DEQ builds its initial guess u0. */
export type DeqInit = { kind: 'zeros' } | { kind: 'skipReg' } | { kind: 'layer'; layer: AnyLayer };

/** Options of {@link DeepEquilibriumNetwork}: the DEQ options plus `init`. */
export type DeepEquilibriumNetworkOptions = DeqOptionsInput & {
  /** Omitted: u0 = 0. `null`: Skip Reg DEQ, u0 = f(0, x). A layer: Skip DEQ, u0 = init(x). */
  readonly init?: AnyLayer | null;
};

/** Parameters of a DEQ layer: the inner model's and the init layer's. */
export type DeqParams = { readonly model: Params; readonly init: Params };

/** State of a DEQ layer. `fixedDepth > 0` switches to unrolled (pretraining) mode. */
export type DeqStates = {
  readonly model: States;
  readonly init: States;
  readonly fixedDepth: number;
  readonly solution: DeepEquilibriumSolution;
  readonly rng: Xoshiro;
};

type Forward = {
  z: tf.Tensor;
  u0: tf.Tensor;
  residual: tf.Tensor;
  jacobianLoss: tf.Scalar;
  nfe: number;
  summary: EquilibriumSolveSummary;
  stModel: States;
  stInit: States;
};

/** Splits a DEQ's `init` option into its kind. */
export function resolveInit(options: { init?: AnyLayer | null }, owner: string): DeqInit {
  if (!('init' in options) || options.init === undefined) return { kind: 'zeros' };
  if (options.init === null) return { kind: 'skipReg' };
  if (typeof options.init !== 'function' || !('initialParameters' in options.init)) {
    throw new OptionError(`${owner}: option 'init' must be omitted (zeros), null (Skip Reg) or a layer (Skip DEQ), got ${typeof options.init}`);
  }
  return { kind: 'layer', layer: options.init };
}

/**
 * The shared machinery of every DEQ variant: given the inner map `model([z, x])`, the init and the
 * solver, produce the forward computation with the chosen gradient.
 */
export function deqForward(
  model: AnyLayer,
  init: DeqInit,
  solver: SteadyStateAlgorithm,
  opts: DeqOptions,
  x: tf.Tensor,
  ps: DeqParams,
  st: DeqStates,
  zeroState: (x: tf.Tensor) => tf.Tensor,
  rng: Xoshiro,
): Forward {
  const [paramLeaves, paramDef] = treeFlatten(ps.model);
  const params = paramLeaves as tf.Tensor[];
  const modelAt = (z: tf.Tensor, xi: tf.Tensor, leaves: readonly tf.Tensor[], stModel: States) =>
    callChild<unknown, tf.Tensor>('model', model, [z, xi], { model: treeUnflatten(paramDef, leaves) as Params }, { model: stModel });
  let stModel = st.model;
  let stInit = st.init;
  let u0: tf.Tensor;
  if (init.kind === 'zeros') u0 = zeroState(x);
  else if (init.kind === 'skipReg') [u0, stModel] = modelAt(zeroState(x), x, params, stModel);
  else [u0, stInit] = callChild<tf.Tensor, tf.Tensor>('init', init.layer, x, ps, st);
  const fixedModelState = stModel;
  const f = (z: tf.Tensor, inputs: readonly tf.Tensor[]) => modelAt(z, inputs[0], inputs.slice(1), fixedModelState)[0];
  const inputs = [x, ...params];
  let z: tf.Tensor;
  let residual: tf.Tensor;
  let nfe: number;
  let summary: EquilibriumSolveSummary;
  if (st.fixedDepth > 0) {
    z = u0;
    for (let i = 0; i < st.fixedDepth; i++) [z, stModel] = modelAt(z, x, params, stModel);
    const zNow = z;
    residual = withoutTape(zNow, () => tf.sub(f(zNow, inputs), zNow));
    nfe = st.fixedDepth;
    summary = { status: 'unrolled', iterations: st.fixedDepth, nfe, perSample: null, trace: null };
  } else {
    const solve = bindForwardSolve(solver, opts);
    let report: ForwardReport;
    if (opts.gradient === 'implicit') {
      ({ zStar: z, residual, report } = implicitFixedPoint(f, u0, inputs, solve, opts.adjoint));
      nfe = report.summary.nfe;
    } else {
      let captured: ForwardReport | undefined;
      const solvedStacked = withoutTape(u0, () => {
        const out = solve((zz) => f(zz, inputs), u0);
        captured = out.report;
        return tf.stack([out.u, out.residual]);
      });
      report = captured as ForwardReport;
      let zs: tf.Tensor;
      [zs, residual] = tf.unstack(solvedStacked);
      if (opts.gradient === 'jfb') {
        z = f(zs, inputs);
        nfe = report.summary.nfe + 1;
      } else {
        z = zs;
        const tau = opts.phantomDamping;
        for (let i = 0; i < opts.phantomSteps; i++) z = tf.add(tf.mul(f(z, inputs), tau), tf.mul(z, 1 - tau));
        nfe = report.summary.nfe + opts.phantomSteps;
      }
    }
    summary = { ...report.summary, nfe };
  }
  const zFinal = z;
  const jacobianLoss = opts.jacobianRegularization
    ? jacobianFrobeniusEstimate((zz) => f(zz, inputs), zFinal, rng)
    : (tf.scalar(0) as tf.Scalar);
  return { z, u0, residual, jacobianLoss, nfe, summary, stModel, stInit };
}

function initLayerOf(init: DeqInit): AnyLayer {
  return init.kind === 'layer' ? init.layer : NoOpLayer();
}

/**
 * DeepEquilibriumNetwork(model, solver, options): an implicit layer whose output is the fixed point
 * z* = f(z*, x) of `model` (called as `model([z, x])`, returning a tensor shaped like z), found by
 * any solver of @deqts/solvers — a root finder (Broyden, NewtonRaphson, Anderson, …) or an ODE
 * integrator run to steady state (Tsit5, VCABM3: the continuous DEQ).
 *
 * ## Options
 * - `init`: omitted → u0 = 0 (shaped like x); `null` → Skip Reg DEQ, u0 = f(0, x);
 *   a layer → Skip DEQ, u0 = init(x). u0 gets no gradient from the implicit pass; train `init`
 *   with a Skip loss on `solution.u0` and `solution.zStar`.
 * - `abstol` = `reltol` = 1e-3, `maxiters` = 32 (DEQ.jl v2 defaults), `solverOptions` (passed to
 *   solveSteadyState).
 * - `gradient`: 'implicit' (default; implicit function theorem, `adjoint` options), 'jfb'
 *   (one differentiable step from the detached fixed point), 'phantom' (`phantomSteps` damped
 *   steps with `phantomDamping`).
 * - `jacobianRegularization`: fills `solution.jacobianLoss` with a Hutchinson estimate of
 *   ‖J_f(z*)‖²_F / n.
 *
 * ## Inputs / Returns
 * `x`; `z*` (shaped like u0) and the state with `solution: DeepEquilibriumSolution`.
 *
 * ## Parameters / States
 * `{ model, init }`; `{ model, init, fixedDepth = 0, solution, rng }`. Set `fixedDepth = d` with
 * `updateState(st, 'fixedDepth', d)` to run d real iterations with input injection on the tape
 * (pretraining; nfe = d).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { Chain, Dense, Parallel, setup, Xoshiro } from '@deqts/core-layers';
 * import { Broyden } from '@deqts/solvers';
 * import { DeepEquilibriumNetwork } from '@deqts/deq';
 * const add = (a: tf.Tensor, b: tf.Tensor) => tf.add(a, b);
 * const deq = DeepEquilibriumNetwork(
 *   Parallel(add, Dense(2, 2, { useBias: false }), Dense(2, 2, { useBias: false })),
 *   new Broyden(), { abstol: 1e-3, reltol: 1e-3, maxiters: 32 });
 * const model = Chain(Dense(2, 2), deq);
 * const [ps, st] = setup(new Xoshiro(0), model);
 * const [z, st2] = model(tf.ones([4, 2]), ps, st);
 * console.log(st2.layer_2.solution.nfe);
 * ```
 */
export function DeepEquilibriumNetwork(
  model: AnyLayer,
  solver: SteadyStateAlgorithm,
  options: DeepEquilibriumNetworkOptions = {},
): Layer<tf.Tensor, tf.Tensor, DeqParams, DeqStates> {
  // tf.zeros, not zerosLike(x): a zeros tensor made from x would sit on the gradient tape, and
  // backprop would compute a (zero) gradient into u0 through f's first step.
  return makeDeq('DeepEquilibriumNetwork', model, solver, options, (x) => tf.zeros(x.shape, x.dtype));
}

/** Builds a DEQ layer; `zeroState(x)` gives the zero initial state for input x. */
export function makeDeq<Y = tf.Tensor>(
  name: string,
  model: AnyLayer,
  solver: SteadyStateAlgorithm,
  options: DeepEquilibriumNetworkOptions,
  zeroState: (x: tf.Tensor) => tf.Tensor,
  postprocess: (z: tf.Tensor) => Y = (z) => z as unknown as Y,
): Layer<tf.Tensor, Y, DeqParams, DeqStates> {
  if (typeof model !== 'function' || !('initialParameters' in model)) {
    throw new OptionError(`${name}: argument 'model' must be a layer called as model([z, x]), got ${typeof model}`);
  }
  if (solver === null || typeof solver !== 'object') {
    throw new OptionError(`${name}: argument 'solver' must be a solver from @deqts/solvers (e.g. new Broyden()), got ${String(solver)}`);
  }
  const { init: initOption, ...rest } = options;
  const init = resolveInit(options, name);
  const opts = parseOptions(DeqOptionsSchema, rest, name);
  const initLayer = initLayerOf(init);
  const kind = init.kind === 'zeros' ? '' : init.kind === 'skipReg' ? 'skipReg, ' : 'skip, ';
  void initOption;
  return defineLayer<tf.Tensor, Y, DeqParams, DeqStates>({
    name,
    description: `${name}(${kind}${solver.constructor?.name ?? 'solver'}, gradient=${opts.gradient}${opts.jacobianRegularization ? ', jacobianRegularization' : ''})`,
    children: { model, init: initLayer },
    stateKeys: ['model', 'init', 'fixedDepth', 'solution', 'rng'],
    initialParameters: (rng) => ({ model: model.initialParameters(rng.split()), init: initLayer.initialParameters(rng.split()) }),
    initialStates: (rng) => ({
      model: model.initialStates(rng.split()),
      init: initLayer.initialStates(rng.split()),
      fixedDepth: 0,
      solution: DeepEquilibriumSolution(),
      rng: rng.split(),
    }),
    forward: (x, ps, st) => {
      const rng = st.rng.clone();
      // The solver summary (per-sample host arrays) stays out of the tidy's result: tf.tidy walks
      // everything it returns looking for tensors, typed arrays element by element.
      let summary: EquilibriumSolveSummary | null = null;
      const out = tidy(() => {
        const { summary: s, ...r } = deqForward(model, init, solver, opts, x, ps, st, zeroState, rng);
        summary = s;
        return { ...r, y: postprocess(r.z) };
      });
      const solution = DeepEquilibriumSolution({
        zStar: out.z,
        u0: out.u0,
        residual: out.residual,
        jacobianLoss: out.jacobianLoss,
        nfe: out.nfe,
        original: summary as unknown as EquilibriumSolveSummary,
      });
      return [out.y, { model: out.stModel, init: out.stInit, fixedDepth: st.fixedDepth, solution, rng }];
    },
  });
}

/**
 * SkipDeepEquilibriumNetwork(model, init, solver, options): a Skip DEQ (u0 = init(x));
 * SkipDeepEquilibriumNetwork(model, solver, options): a Skip Reg DEQ (u0 = f(0, x)).
 * Aliases of {@link DeepEquilibriumNetwork} with the `init` option set.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { Dense, Parallel } from '@deqts/core-layers';
 * import { Broyden } from '@deqts/solvers';
 * import { SkipDeepEquilibriumNetwork } from '@deqts/deq';
 * const f = Parallel((a: tf.Tensor, b: tf.Tensor) => tf.add(a, b), Dense(4, 4, { activation: 'tanh' }), Dense(4, 4));
 * const skip = SkipDeepEquilibriumNetwork(f, Dense(4, 4), new Broyden());
 * const skipReg = SkipDeepEquilibriumNetwork(f, new Broyden());
 * ```
 */
export function SkipDeepEquilibriumNetwork(
  model: AnyLayer,
  initOrSolver: AnyLayer | SteadyStateAlgorithm,
  solverOrOptions?: SteadyStateAlgorithm | DeqOptionsInput,
  maybeOptions: DeqOptionsInput = {},
): Layer<tf.Tensor, tf.Tensor, DeqParams, DeqStates> {
  if (typeof initOrSolver === 'function') {
    return DeepEquilibriumNetwork(model, solverOrOptions as SteadyStateAlgorithm, { ...maybeOptions, init: initOrSolver as AnyLayer });
  }
  return DeepEquilibriumNetwork(model, initOrSolver as SteadyStateAlgorithm, { ...((solverOrOptions ?? {}) as DeqOptionsInput), init: null });
}
