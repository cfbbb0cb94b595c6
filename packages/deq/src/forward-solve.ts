import * as tf from '@tensorflow/tfjs-core';
import { solveSteadyState, type SolveResult, type SteadyStateAlgorithm } from '@deqts/solvers';
import type { EquilibriumSolveSummary } from './solution.js';
import type { DeqOptions } from './options.js';

/** The report of a forward solve that the DEQ keeps (no tensors). */
export type ForwardReport = { summary: EquilibriumSolveSummary };

/**
 * Binds a DEQ's solver and options into a forward solve `(f, u0) → { u, residual, report }`.
 */
export function bindForwardSolve(solver: SteadyStateAlgorithm, opts: DeqOptions) {
  return (f: (z: tf.Tensor) => tf.Tensor, u0: tf.Tensor): { u: tf.Tensor; residual: tf.Tensor; report: ForwardReport } => {
    const result: SolveResult = solveSteadyState(f, u0, solver, {
      abstol: opts.abstol,
      reltol: opts.reltol,
      maxiters: opts.maxiters,
      ...opts.solverOptions,
    });
    const summary: EquilibriumSolveSummary = {
      status: result.status,
      iterations: result.iterations,
      nfe: result.nfe,
      perSample: result.perSample,
      trace: result.trace ?? null,
    };
    // The solver hands back tensors it kept alive past its own scopes (tf.keep), which an
    // enclosing tidy would never free; cheap clones (shared data) are ordinary tensors instead.
    const u = tf.clone(result.u);
    const residual = tf.clone(result.residual);
    result.u.dispose();
    result.residual.dispose();
    return { u, residual, report: { summary } };
  };
}
