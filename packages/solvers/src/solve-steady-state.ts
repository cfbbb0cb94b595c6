import type * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { OptionError, parseOptions } from '@deqts/core-layers';
import { NonlinearAlgorithm } from './algorithms/base.js';
import { checkInitialState } from './internal/batch.js';
import { runNonlinear } from './internal/driver.js';
import { OdeAlgorithm } from './ode/algorithms.js';
import { runOdeSteadyState } from './ode/steady-state.js';
import { resolveTermination, terminationFields, type TerminationOptions } from './termination.js';
import type { FixedPointMap, SolveResult } from './types.js';

const fields = z.strictObject({ ...terminationFields, trace: z.boolean().default(false), maxTime: z.number().positive().optional() });

/**
 * Options of {@link solveSteadyState}: the termination options (they override the algorithm's),
 * `trace` and `maxTime`.
 *
 * @example
 * ```ts
 * import type { SteadyStateOptions } from '@deqts/solvers';
 * const opts: SteadyStateOptions = { abstol: 1e-4, maxiters: 50, terminationMode: 'safeBest', trace: true };
 * ```
 */
export type SteadyStateOptions = TerminationOptions & {
  /** Record every sample's residual norm at every check in `result.trace`. Default false. */
  readonly trace?: boolean;
  /** ODE algorithms only: stop integrating a sample at this time (status 'maxiters'). Default: no cap. */
  readonly maxTime?: number;
};

/**
 * Any algorithm solveSteadyState accepts: a root finder or an ODE integrator.
 *
 * @example
 * ```ts
 * import { Broyden, Tsit5, type SteadyStateAlgorithm } from '@deqts/solvers';
 * const pick = (continuous: boolean): SteadyStateAlgorithm => (continuous ? new Tsit5() : new Broyden());
 * ```
 */
export type SteadyStateAlgorithm = NonlinearAlgorithm | OdeAlgorithm;

/**
 * Finds the steady state u = f(u) of a batch of independent problems.
 *
 * The leading axis of `u0` indexes the problems (any trailing shape: [B, n], [B, H, W, C], …);
 * `f` maps a tensor of that shape to one of the same shape. With a root finder (NewtonRaphson,
 * Broyden, LimitedMemoryBroyden, Anderson, FixedPointIteration) it solves g(u) = f(u) − u = 0;
 * with an ODE method (Tsit5, VCABM3, Euler, RK4) it integrates du/dt = f(u) − u from u0 until
 * the residual meets the test (the "continuous DEQ", like SciML's DynamicSS).
 *
 * Every sample has its own termination test, iteration count, step size (ODE) and quasi-Newton
 * memory; a sample that stops is frozen while the others go on, and its result equals what it
 * would get solved alone. Options are the {@link TerminationOptions} (defaults as DEQ.jl v2:
 * abstol = reltol = 1e-3, maxiters 32, max-abs norm) plus `trace` and `maxTime`; they override
 * the ones given to the algorithm. The loop never throws on numerical trouble: NaN/Inf gives
 * 'nonfinite', growth gives 'diverged', and the best finite iterate comes back. No tensor leaks;
 * the caller owns `result.u` and `result.residual`.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { Broyden, Tsit5, solveSteadyState } from '@deqts/solvers';
 * const W = tf.mul(tf.randomNormal([16, 16], 0, 1, 'float32', 0), 0.1);
 * const x = tf.randomNormal([8, 16], 0, 1, 'float32', 1);
 * const f = (z: tf.Tensor) => tf.tanh(tf.add(tf.matMul(z, W), x));
 * const discrete = solveSteadyState(f, tf.zeros([8, 16]), new Broyden());
 * const continuous = solveSteadyState(f, tf.zeros([8, 16]), new Tsit5(), { maxiters: 100 });
 * console.log(discrete.status, discrete.nfe, continuous.status, continuous.nfe);
 * ```
 */
export function solveSteadyState(f: FixedPointMap, u0: tf.Tensor, algorithm: SteadyStateAlgorithm, options: SteadyStateOptions = {}): SolveResult {
  checkInitialState(u0, 'solveSteadyState');
  const opts = parseOptions(fields, options, 'solveSteadyState');
  if (algorithm instanceof NonlinearAlgorithm) {
    if (opts.maxTime !== undefined) {
      throw new OptionError(`solveSteadyState: option 'maxTime' applies to ODE algorithms only (Tsit5, VCABM3, Euler, RK4), not ${algorithm.name}; use 'maxiters'`);
    }
    const settings = resolveTermination(algorithm.termination, opts);
    return runNonlinear(f, u0, algorithm, settings, opts.trace);
  }
  if (algorithm instanceof OdeAlgorithm) {
    const fromAlgorithm = algorithm.options.maxiters === null ? {} : { maxiters: algorithm.options.maxiters };
    const settings = resolveTermination(fromAlgorithm, opts);
    return runOdeSteadyState(f, u0, algorithm, settings, opts.trace, opts.maxTime ?? Infinity);
  }
  throw new OptionError(`solveSteadyState: 'algorithm' must be a solver from @deqts/solvers (e.g. new Broyden()), got ${String(algorithm)}`);
}
