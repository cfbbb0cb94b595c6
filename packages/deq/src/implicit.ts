import * as tf from '@tensorflow/tfjs-core';
import { vectorJacobianProduct, withNestedGradients } from './tape-guard.js';
import { solveAdjoint, type AdjointOptions } from './adjoint.js';
import { recordForVjp } from './tape-replay.js';
import { deqSwitches } from './switches.js';

/** A map z ↦ f(z) whose other inputs are the given tensors (data and parameters), in order. */
export type ParametrizedMap = (z: tf.Tensor, inputs: readonly tf.Tensor[]) => tf.Tensor;

/**
 * A forward fixed-point solve: the fixed point `u`, its residual f(u) − u, and a report without
 * tensors (statistics).
 */
export type ForwardSolve<R> = (f: (z: tf.Tensor) => tf.Tensor, u0: tf.Tensor) => { u: tf.Tensor; residual: tf.Tensor; report: R };

type GradSave = (tensors: tf.Tensor[]) => void;

/**
 * Solves z* = f(z*, inputs) with `solve` without recording the iterations on the gradient tape,
 * and differentiates through the fixed point with the implicit function theorem: for an upstream
 * gradient g it solves (I − ∂f/∂zᵀ) λ = g with vector–Jacobian products (see {@link solveAdjoint})
 * and returns λᵀ ∂f/∂inputs for every input; the initial guess u0 gets no gradient (as in the
 * Skip DEQ paper). Memory does not depend on the number of solver iterations.
 *
 * @returns the fixed point (on the tape), its residual (no gradient flows through it) and the
 * solver's report. Both tensors are ordinary results of the call: an enclosing tf.tidy frees
 * them like any other (no tf.keep escapes).
 *
 * @example
 * ```ts
 * // see DeepEquilibriumNetwork for the usual entry point
 * ```
 */
export function implicitFixedPoint<R>(
  f: ParametrizedMap,
  u0: tf.Tensor,
  inputs: readonly tf.Tensor[],
  solve: ForwardSolve<R>,
  adjoint: AdjointOptions,
  onAdjoint?: (stats: { iterations: number; residualNorm: number }) => void,
): { zStar: tf.Tensor; residual: tf.Tensor; report: R } {
  let report: R | undefined;
  const op = tf.customGrad(((...args: Array<tf.Tensor | GradSave>) => {
    const save = args[args.length - 1] as GradSave;
    const start = args[0] as tf.Tensor;
    const rest = args.slice(1, -1) as tf.Tensor[];
    const solved = solve((z) => f(z, rest), start);
    report = solved.report;
    save([solved.u, ...rest]);
    // customGrad returns one tensor: the fixed point and its residual travel stacked.
    return {
      value: tf.stack([solved.u, solved.residual]),
      gradFunc: (dyStacked: tf.Tensor, saved: tf.Tensor[]) => {
        const [zStar, ...savedInputs] = saved;
        const dy = tf.squeeze(tf.slice(dyStacked, 0, 1), [0]);
        // f(z*, x) is recorded once and its tape replayed for every VJP (unless inside an outer
        // tape, i.e. a higher-order gradient, where each VJP records f afresh).
        const recorded = deqSwitches.tapeReplay ? recordForVjp(() => f(zStar, savedInputs), [[zStar], savedInputs]) : null;
        try {
          const lambda = solveAdjoint(
            (v) => (recorded ? recorded.vjp(0, v)[0] : vectorJacobianProduct(() => f(zStar, savedInputs), [zStar], v)[0]),
            dy,
            adjoint,
            onAdjoint,
          );
          const inputGrads = recorded
            ? recorded.vjp(1, lambda)
            : withNestedGradients(() => vectorJacobianProduct(() => f(zStar, savedInputs), savedInputs, lambda));
          lambda.dispose();
          return [tf.zerosLike(start), ...inputGrads];
        } finally {
          recorded?.dispose();
        }
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  const stacked = (op as unknown as (...t: tf.Tensor[]) => tf.Tensor)(u0, ...inputs);
  const [zStar, residual] = tf.unstack(stacked);
  return { zStar, residual, report: report as R };
}

/**
 * Runs `fn` so that nothing it computes is recorded on the gradient tape: its result gets zero
 * gradient (a stop-gradient for a whole computation, e.g. the forward solve of a JFB or phantom
 * gradient DEQ). `anchor` is any tensor input of the computation (it receives the zero gradient).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { withoutTape } from '@deqts/deq';
 * const x = tf.scalar(2);
 * const y = withoutTape(x, () => tf.square(x)); // value 4, gradient 0
 * ```
 */
export function withoutTape(anchor: tf.Tensor, fn: () => tf.Tensor): tf.Tensor {
  const op = tf.customGrad(((a: tf.Tensor) => ({
    value: fn(),
    gradFunc: () => [tf.zerosLike(a)],
  })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return (op as unknown as (t: tf.Tensor) => tf.Tensor)(anchor);
}
