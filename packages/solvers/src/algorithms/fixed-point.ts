import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { TerminationOptions } from '../termination.js';
import { selectRunning } from '../internal/batch.js';
import { NonlinearAlgorithm, parseAlgorithmOptions, type NonlinearContext, type NonlinearMethod, type StepInput, type StepOutput } from './base.js';

const fields = {
  damping: z.number().gt(0).lte(2).default(1),
};

/**
 * Options of {@link FixedPointIteration}: its own, plus every {@link TerminationOptions} field.
 *
 * @example
 * ```ts
 * import type { FixedPointIterationOptions } from '@deqts/solvers';
 * const damped: FixedPointIterationOptions = { damping: 0.5, maxiters: 100 };
 * ```
 */
export type FixedPointIterationOptions = TerminationOptions & {
  /** Step fraction β in u ← u + β (f(u) − u), in (0, 2]. Default 1 (plain iteration). */
  readonly damping?: number;
};

/**
 * Damped fixed-point (Picard) iteration: `u ← u + β (f(u) − u)`. One f-evaluation per iteration;
 * converges linearly, at the rate of f's contraction factor (with β = 1). The cheapest per
 * iteration and the most robust for strongly contractive maps; use Anderson or Broyden when the
 * contraction is weak.
 *
 * ## Options
 * `damping` β (default 1), and the termination options (`abstol`, `reltol`, `maxiters`, …).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { FixedPointIteration, solveSteadyState } from '@deqts/solvers';
 * const sol = solveSteadyState((u) => tf.cos(u), tf.zeros([2, 1]), new FixedPointIteration({ maxiters: 100 }));
 * sol.u.print(); // ≈ 0.739
 * ```
 */
export class FixedPointIteration extends NonlinearAlgorithm<{ readonly damping: number }> {
  readonly name = 'FixedPointIteration';

  constructor(options: FixedPointIterationOptions = {}) {
    const { own, termination } = parseAlgorithmOptions(fields, options, 'FixedPointIteration');
    super(own, termination);
  }

  /** @internal */
  createMethod(ctx: NonlinearContext): NonlinearMethod {
    const beta = this.options.damping;
    return {
      init: () => undefined,
      step: ({ u, r, active, activeHost }: StepInput): StepOutput => {
        const next = selectRunning(active, activeHost, (beta === 1 ? tf.add(u, r) : tf.add(u, tf.mul(r, beta))) as tf.Tensor2D, u);
        return { u: next, fu: ctx.evaluate(next) };
      },
      dispose: () => undefined,
    };
  }
}
