import * as tf from '@tensorflow/tfjs-core';
import { Chain, Dense, glorotUniform, NoOpLayer, OptionError, Parallel, WrappedFunction, type AnyLayer } from '@deqts/core-layers';
import { DeepEquilibriumNetwork, type DeqOptionsInput } from '@deqts/deq';
import { Anderson, Broyden, FixedPointIteration, LimitedMemoryBroyden, NewtonRaphson, OdeAlgorithm, Tsit5, VCABM3, type SteadyStateAlgorithm } from '@deqts/solvers';
import { mnistDenseModel } from '@deqts/train';
import type { DatasetName, SolverName, SolverSettings } from '../protocol.js';

/** Hidden (equilibrium) width of the 2D problems' DEQ. */
export const TOY_HIDDEN = 32;

const SOLVERS: Record<SolverName, () => SteadyStateAlgorithm> = {
  broyden: () => new Broyden(),
  anderson: () => new Anderson(),
  lbroyden: () => new LimitedMemoryBroyden(),
  newton: () => new NewtonRaphson(),
  fixedpoint: () => new FixedPointIteration(),
  tsit5: () => new Tsit5(),
  vcabm3: () => new VCABM3(),
};

function solverFor(settings: SolverSettings): SteadyStateAlgorithm {
  const make = SOLVERS[settings.solver];
  if (!make) throw new OptionError(`playground: unknown solver '${settings.solver}'; valid: ${Object.keys(SOLVERS).join(', ')}`);
  const solver = make();
  if (settings.model === 'continuous' && !(solver instanceof OdeAlgorithm)) {
    throw new OptionError(`playground: a continuous DEQ solves du/dt = f(u, x) − u to steady state; pick an ODE solver (Tsit5 or VCABM3), not ${solver.name}`);
  }
  return solver;
}

/** The DEQ options the person chose; the solver records every residual check for the chart. */
function deqOptions(settings: SolverSettings): DeqOptionsInput {
  return {
    abstol: settings.abstol, reltol: settings.reltol, maxiters: settings.maxiters, gradient: settings.gradient,
    solverOptions: { trace: true },
  };
}

const add = (a: tf.Tensor, b: tf.Tensor): tf.Tensor => tf.add(a, b);

/**
 * The 2D classifier: x → Dense(2 → 32) → DEQ z = tanh(W z + x) → Dense(32 → 2). Skip DEQ's explicit
 * guess is Dense(32 → 32, tanh) of the injected x; Skip Reg DEQ starts from f(0, x).
 */
function toyModel(settings: SolverSettings, solver: SteadyStateAlgorithm): AnyLayer {
  const h = TOY_HIDDEN;
  const f = Chain(
    Parallel(add, Dense(h, h, { useBias: false, initWeight: glorotUniform({ gain: 0.7 }) }), NoOpLayer()),
    WrappedFunction((t: tf.Tensor) => tf.tanh(t), 'tanh'),
  );
  const options = deqOptions(settings);
  const deq =
    settings.model === 'skip' ? DeepEquilibriumNetwork(f, solver, { ...options, init: Dense(h, h, { activation: 'tanh' }) })
    : settings.model === 'skipreg' ? DeepEquilibriumNetwork(f, solver, { ...options, init: null })
    : DeepEquilibriumNetwork(f, solver, options);
  // A wide random projection of the two coordinates (gain 5) gives the tanh units the frequencies
  // a spiral needs; with gain 1 the DEQ has to grow W until its solves stop converging.
  return Chain(Dense(2, h, { initWeight: glorotUniform({ gain: 5 }) }), deq, Dense(h, 2));
}

/**
 * Builds the model of a data set with the chosen DEQ variant and solver. Every variant of a data
 * set has the same parameter tree except Skip DEQ (its extra guess layer), so a solver change
 * can keep the trained parameters. Throws the library's OptionError for invalid settings.
 */
export function buildModel(dataset: DatasetName, settings: SolverSettings): { model: AnyLayer; solver: SteadyStateAlgorithm } {
  const solver = solverFor(settings);
  if (dataset === 'mnist') {
    const variant = settings.model === 'skip' ? 'skip' : settings.model === 'skipreg' ? 'skipreg' : 'vanilla';
    return { model: mnistDenseModel({ variant, solver, deqOptions: deqOptions(settings) }), solver };
  }
  return { model: toyModel(settings, solver), solver };
}
