import type * as tf from '@tensorflow/tfjs-core';
import type { TraceEntry } from '@deqts/solvers';

/** Per-sample statistics and status of the solve that produced a DEQ's fixed point. */
export type EquilibriumSolveSummary = {
  /** 'success' | 'maxiters' | 'stalled' | 'diverged' | 'nonfinite' (from the solver), or 'unrolled'. */
  readonly status: string;
  readonly iterations: number;
  readonly nfe: number;
  readonly perSample: {
    readonly residualNorm: ArrayLike<number>;
    readonly iterations: ArrayLike<number>;
    readonly converged: ArrayLike<boolean | number>;
  } | null;
  /** Per-check residual norms per sample, when the solver recorded a trace (`solverOptions.trace`). */
  readonly trace: readonly TraceEntry[] | null;
};

/**
 * What a DEQ layer leaves in its state after a call (`st.solution`), as DeepEquilibriumNetworks.jl's
 * `DeepEquilibriumSolution`: the fixed point `zStar`, the initial guess `u0`, the residual
 * `f(z*) − z*`, the Jacobian-regularisation loss (a scalar tensor, 0 when off), the number of
 * function evaluations `nfe` and `original`, the solver's own summary. Tensors in it are owned by
 * the state: dispose the old state (e.g. with `disposeReplaced`) when you replace it.
 * For multiscale models `zStar`, `u0` and `residual` are flat `[batch, Σ scale sizes]` tensors.
 *
 * @example
 * ```ts
 * // after const [y, st2] = deq(x, ps, st):
 * // const sol: DeepEquilibriumSolution = st2.solution;
 * // console.log(sol.nfe, sol.original?.status);
 * ```
 */
export type DeepEquilibriumSolution = {
  readonly zStar: tf.Tensor | null;
  readonly u0: tf.Tensor | null;
  readonly residual: tf.Tensor | null;
  readonly jacobianLoss: tf.Scalar | null;
  readonly nfe: number;
  readonly original: EquilibriumSolveSummary | null;
};

/**
 * The empty solution a DEQ's state holds before its first call (DEQ.jl's `DeepEquilibriumSolution()`).
 *
 * @example
 * ```ts
 * import { DeepEquilibriumSolution } from '@deqts/deq';
 * const empty = DeepEquilibriumSolution(); // { zStar: null, …, nfe: 0 }
 * ```
 */
export function DeepEquilibriumSolution(fields: Partial<DeepEquilibriumSolution> = {}): DeepEquilibriumSolution {
  return {
    zStar: fields.zStar ?? null,
    u0: fields.u0 ?? null,
    residual: fields.residual ?? null,
    jacobianLoss: fields.jacobianLoss ?? null,
    nfe: fields.nfe ?? 0,
    original: fields.original ?? null,
  };
}
