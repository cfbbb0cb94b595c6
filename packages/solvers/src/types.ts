import type * as tf from '@tensorflow/tfjs-core';

/**
 * How a solve ended, for the whole batch or for one sample.
 *
 * - `'success'`: the termination test held (for the batch: for every sample).
 * - `'maxiters'`: the iteration budget (or an ODE solve's time cap) ran out first.
 * - `'stalled'`: no progress: the best residual did not improve over `stallWindow` checks, or an
 *   adaptive ODE step size fell below `dtmin`.
 * - `'diverged'`: the residual grew past `divergenceThreshold` × its initial value.
 * - `'nonfinite'`: NaN or ±Inf appeared in the state or residual.
 *
 * A batch's status is `'success'` when every sample converged, otherwise the most severe status
 * among its samples, in the order nonfinite > diverged > stalled > maxiters.
 *
 * @example
 * ```ts
 * import type { SolveStatus } from '@deqts/solvers';
 * const ok = (s: SolveStatus): boolean => s === 'success';
 * ```
 */
export type SolveStatus = 'success' | 'maxiters' | 'stalled' | 'diverged' | 'nonfinite';

/**
 * A fixed-point map for {@link solveSteadyState}: takes the batched state `u` (leading axis = batch
 * of independent problems, any trailing shape) and returns a tensor of the same shape. The solver
 * looks for `u = f(u)`. Tensors it returns are owned by the solver (it disposes them).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import type { FixedPointMap } from '@deqts/solvers';
 * const f: FixedPointMap = (u) => tf.tanh(tf.add(tf.mul(u, 0.5), 1));
 * ```
 */
export type FixedPointMap = (u: tf.Tensor) => tf.Tensor;

/**
 * Right-hand side of an ODE for {@link solveOde}: `du/dt = f(u, t)`. `u` is the batched state and
 * `t` a `[batch]` float32 tensor holding each sample's own time (samples may sit at different
 * times under per-sample adaptive steps). Autonomous systems simply ignore `t`. Returns a tensor
 * shaped like `u`.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import type { OdeFunction } from '@deqts/solvers';
 * const decay: OdeFunction = (u) => tf.neg(u);            // du/dt = −u
 * const forced: OdeFunction = (u, t) => tf.sub(tf.sin(tf.reshape(t, [-1, 1])), u);
 * ```
 */
export type OdeFunction = (u: tf.Tensor, t: tf.Tensor) => tf.Tensor;

/**
 * Per-sample outcome of a solve. Index `b` describes the problem in row `b` of the batch.
 *
 * @example
 * ```ts
 * import type { PerSampleResult } from '@deqts/solvers';
 * const slowest = (p: PerSampleResult): number => Math.max(...p.iterations);
 * ```
 */
export type PerSampleResult = {
  /** Residual norm of the returned iterate (the termination norm: max-abs or RMS of f(u) − u). */
  readonly residualNorm: Float32Array;
  /** Iterations (ODE: step attempts) this sample took before it stopped. */
  readonly iterations: Int32Array;
  /** 1 where the termination test held, 0 otherwise. */
  readonly converged: Uint8Array;
  /** How each sample ended. */
  readonly status: readonly SolveStatus[];
};

/**
 * One convergence check, recorded when `trace: true`.
 *
 * @example
 * ```ts
 * import type { TraceEntry } from '@deqts/solvers';
 * const worst = (e: TraceEntry): number => Math.max(...e.residualNorm);
 * ```
 */
export type TraceEntry = {
  /** Iteration (ODE: step attempt) at which the check ran; 0 is the initial guess. */
  readonly iteration: number;
  /** Calls of f so far. */
  readonly nfe: number;
  /** Each sample's current residual norm (frozen samples repeat their final value). */
  readonly residualNorm: Float32Array;
};

/**
 * What {@link solveSteadyState} returns. The caller owns `u` and `residual` (dispose them).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { solveSteadyState, Anderson } from '@deqts/solvers';
 * const sol = solveSteadyState((u) => tf.cos(u), tf.zeros([4, 1]), new Anderson());
 * console.log(sol.status, sol.nfe, sol.perSample.iterations);
 * sol.u.dispose(); sol.residual.dispose();
 * ```
 */
export type SolveResult = {
  /** The solution (per sample: the converged iterate, else the lowest-residual finite one). */
  readonly u: tf.Tensor;
  /** f(u) − u for the returned `u`, same shape. */
  readonly residual: tf.Tensor;
  /** Number of calls of f (each on the whole batch). */
  readonly nfe: number;
  /** Iterations of the batch loop (the largest per-sample count). */
  readonly iterations: number;
  /** Batch status; see {@link SolveStatus}. */
  readonly status: SolveStatus;
  /** Per-sample residual norms, iteration counts, convergence flags and statuses. */
  readonly perSample: PerSampleResult;
  /** The algorithm that produced this result, e.g. `'Broyden'`. */
  readonly algorithm: string;
  /** Residual norms at every check, when requested with `trace: true`. */
  readonly trace?: readonly TraceEntry[];
};
