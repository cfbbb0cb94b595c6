import * as tf from '@tensorflow/tfjs-core';
import { solveSteadyState, type SolveResult, type SteadyStateAlgorithm } from '@deqts/solvers';
import type { EquilibriumSolveSummary } from './solution.js';
import type { DeqOptions } from './options.js';

/** The report of a forward solve that the DEQ keeps: the summary and the (kept) residual tensor. */
export type ForwardReport = { summary: EquilibriumSolveSummary; residual: tf.Tensor };

/**
 * Binds a DEQ's solver and options into a forward solve `(f, u0) → { u, report }`. The residual
 * tensor is kept (it outlives the surrounding tidy/customGrad scope and is owned by the DEQ
 * state); every other tensor of the solver's result except `u` is disposed.
 */
export function bindForwardSolve(solver: SteadyStateAlgorithm, opts: DeqOptions) {
  return (f: (z: tf.Tensor) => tf.Tensor, u0: tf.Tensor): { u: tf.Tensor; report: ForwardReport } => {
    const result: SolveResult = solveSteadyState(f, u0, solver, {
      abstol: opts.abstol,
      reltol: opts.reltol,
      maxiters: opts.maxiters,
      ...opts.solverOptions,
    });
    tf.keep(result.residual);
    const summary: EquilibriumSolveSummary = {
      status: result.status,
      iterations: result.iterations,
      nfe: result.nfe,
      perSample: result.perSample,
      trace: result.trace ?? null,
    };
    return { u: result.u, report: { summary, residual: result.residual } };
  };
}
