import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { parseOptions, ShapeError } from '@deqts/core-layers';
import { checkInitialState, flatMap, flattenBatch } from '../internal/batch.js';
import { batchedGmres } from './krylov.js';

const fields = z.strictObject({
  x0: z.instanceof(tf.Tensor).optional(),
  abstol: z.number().nonnegative().default(0),
  reltol: z.number().nonnegative().default(1e-5),
  restart: z.number().int().positive().max(500).default(20),
  maxiters: z.number().int().nonnegative().default(100),
});

/**
 * Options of {@link gmres}.
 *
 * @example
 * ```ts
 * import type { GmresOptions } from '@deqts/solvers';
 * const opts: GmresOptions = { reltol: 1e-6, restart: 10, maxiters: 60 };
 * ```
 */
export type GmresOptions = {
  /** Initial guess, shaped like `b`. Default zeros. */
  readonly x0?: tf.Tensor;
  /** Absolute tolerance on the RMS residual, RMS(b − A x) = ‖b − A x‖₂/√n. Default 0. */
  readonly abstol?: number;
  /** Relative tolerance: stop when ‖b − A x‖₂ ≤ reltol·‖b‖₂ (independent of the initial guess). Default 1e-5. */
  readonly reltol?: number;
  /** Krylov basis size before a restart. Default 20. */
  readonly restart?: number;
  /** Total Arnoldi steps (operator applications, excluding residual recomputations). Default 100. */
  readonly maxiters?: number;
};

/**
 * What {@link gmres} returns. The caller owns `x`.
 *
 * @example
 * ```ts
 * import type { GmresResult } from '@deqts/solvers';
 * const allConverged = (r: GmresResult): boolean => r.converged.every((c) => c === 1);
 * ```
 */
export type GmresResult = {
  /** The solution, shaped like `b`. */
  readonly x: tf.Tensor;
  /** True RMS residual RMS(b − A x) per sample (recomputed after the last cycle). */
  readonly residualNorm: Float32Array;
  /** Arnoldi steps each sample took. */
  readonly iterations: Int32Array;
  /** 1 where the sample met RMS(b − A x) ≤ max(abstol, reltol·RMS(b)). */
  readonly converged: Uint8Array;
  /** Operator applications in total (Arnoldi steps plus residual recomputations). */
  readonly matvecs: number;
};

/**
 * Restarted GMRES for a batch of independent linear systems A_b x_b = b_b, matrix-free.
 *
 * `matvec` applies the operator to a tensor shaped like `b` (leading axis = batch) and must act
 * on each sample separately (as a per-sample Jacobian or VJP does). Every sample gets its own
 * Krylov basis (per-sample inner products, modified Gram–Schmidt), its own Givens least-squares
 * problem (solved on the host in float64), its own tolerance and stopping step; samples that have
 * converged stop contributing. After each cycle the true residual b − A x is recomputed, so the
 * reported `residualNorm` and `converged` are honest even when float32 round-off makes the
 * GMRES estimate optimistic. Used for the implicit backward pass (I − J_fᵀ)λ = g of DEQs.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { gmres } from '@deqts/solvers';
 * const A = tf.tensor2d([[4, 1], [1, 3]]);
 * const b = tf.tensor2d([[1, 2], [3, 4]]);             // two systems A x = b_i
 * const sol = gmres((v) => tf.matMul(v, A, false, true), b, { reltol: 1e-6 });
 * sol.x.print(); // [[0.0909, 0.6364], [0.4545, 1.1818]]
 * ```
 */
export function gmres(matvec: (v: tf.Tensor) => tf.Tensor, b: tf.Tensor, options: GmresOptions = {}): GmresResult {
  checkInitialState(b, 'gmres');
  const opts = parseOptions(fields, options, 'gmres');
  if (opts.x0 && (opts.x0.shape.length !== b.shape.length || opts.x0.shape.some((d, i) => d !== b.shape[i]))) {
    throw new ShapeError(`gmres: option 'x0' must be shaped like b, [${b.shape.join(', ')}]; got [${opts.x0.shape.join(', ')}]`);
  }
  const size = b.size / b.shape[0];
  const op = flatMap(matvec, b.shape, 'gmres');
  const sqrtN = Math.sqrt(size);
  let result: GmresResult | null = null;
  tf.tidy(() => {
    const x0 = opts.x0 ? flattenBatch(opts.x0) : null;
    const out = batchedGmres(op, flattenBatch(b), x0, {
      tolerance: (reference) => Float64Array.from(reference, (norm) => Math.max(opts.abstol * sqrtN, opts.reltol * norm)),
      restart: opts.restart,
      maxiters: opts.maxiters,
      trueResidual: true,
    });
    result = {
      x: tf.keep(tf.reshape(out.x, b.shape)),
      residualNorm: Float32Array.from(out.residualNorm, (v) => v / sqrtN),
      iterations: out.iterations,
      converged: out.converged,
      matvecs: out.matvecs,
    };
    out.x.dispose();
  });
  return result!;
}
