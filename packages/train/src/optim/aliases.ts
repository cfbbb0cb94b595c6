import { z } from 'zod';
import { parseOptions } from '@deqts/core-layers';
import { AdamMomentOptions, adamApplyStep, scaleByAdam } from './adam.js';
import { FUSED_APPLY } from './fused-apply.js';
import { learningRateSchema, type LearningRate } from './schedules.js';
import { addDecayedWeights, scaleByLearningRate, trace, type AddDecayedWeightsOptions } from './transforms.js';
import { chain, identity, type GradientTransformation, type OptState } from './transform.js';

const SgdOptions = z.strictObject({
  learningRate: learningRateSchema,
  momentum: z.number().min(0).lt(1).default(0),
  nesterov: z.boolean().default(false),
});

/** Options of {@link sgd}. */
export type SgdOptions = {
  /** Step size: a number or a schedule of the step. */
  readonly learningRate: LearningRate;
  /** Momentum coefficient in [0, 1). Default 0 (plain SGD). */
  readonly momentum?: number;
  /** Nesterov momentum (needs `momentum > 0`). Default false. */
  readonly nesterov?: boolean;
};

/**
 * Stochastic gradient descent, optionally with (Nesterov) momentum:
 * `chain(trace({ decay: momentum, nesterov }), scaleByLearningRate(learningRate))`, or
 * `chain(identity(), scaleByLearningRate(learningRate))` without momentum.
 *
 * @example
 * ```ts
 * import { sgd, cosineSchedule } from '@deqts/train';
 * const opt = sgd({ learningRate: cosineSchedule({ init: 0.1, decaySteps: 1000 }), momentum: 0.9, nesterov: true });
 * ```
 */
export function sgd(options: SgdOptions): GradientTransformation<OptState[]> {
  const o = parseOptions(SgdOptions, options, 'sgd');
  const momentum = o.momentum > 0 ? trace({ decay: o.momentum, nesterov: o.nesterov }) : identity();
  return chain(momentum, scaleByLearningRate(o.learningRate));
}

const AdamOptions = AdamMomentOptions.extend({ learningRate: learningRateSchema });

/** Options of {@link adam}. */
export type AdamOptions = {
  /** Step size: a number or a schedule of the step. */
  readonly learningRate: LearningRate;
  /** Decay of the first moment. Default 0.9. */
  readonly b1?: number;
  /** Decay of the second moment. Default 0.999. */
  readonly b2?: number;
  /** Denominator term outside the square root. Default 1e-8. */
  readonly eps?: number;
  /** Denominator term inside the square root. Default 0. */
  readonly epsRoot?: number;
};

/**
 * Adam: `chain(scaleByAdam({ b1, b2, eps, epsRoot }), scaleByLearningRate(learningRate))`.
 *
 * @example
 * ```ts
 * import { adam } from '@deqts/train';
 * const opt = adam({ learningRate: 1e-3 });
 * ```
 */
export function adam(options: AdamOptions): GradientTransformation<OptState[]> {
  const { learningRate, ...moments } = parseOptions(AdamOptions, options, 'adam');
  const optimizer = chain(scaleByAdam(moments), scaleByLearningRate(learningRate));
  // A constant learning rate scales by −lr with state {}: TrainState may then take Adam's fused
  // parameter step (same float32 results, one wasm kernel per parameter tensor instead of three).
  return typeof learningRate === 'number' ? Object.assign(optimizer, { [FUSED_APPLY]: adamApplyStep(moments, -learningRate) }) : optimizer;
}

const AdamwOptions = AdamOptions.extend({
  weightDecay: z.number().nonnegative().refine(Number.isFinite, 'must be finite').default(1e-4),
  mask: z.custom<AddDecayedWeightsOptions['mask']>((v) => typeof v === 'function', 'must be a function').optional(),
});

/** Options of {@link adamw}. */
export type AdamwOptions = AdamOptions & {
  /** Decoupled weight decay coefficient (multiplied by the learning rate). Default 1e-4. */
  readonly weightDecay?: number;
  /** Which parameters to decay (see {@link addDecayedWeights}). Default: all. */
  readonly mask?: AddDecayedWeightsOptions['mask'];
};

/**
 * AdamW (Loshchilov & Hutter) as in Optax:
 * `chain(scaleByAdam(…), addDecayedWeights(weightDecay, { mask }), scaleByLearningRate(learningRate))`,
 * so the decay is scaled by the learning rate (and its schedule).
 *
 * @example
 * ```ts
 * import { adamw, cosineSchedule } from '@deqts/train';
 * const opt = adamw({ learningRate: cosineSchedule({ init: 1e-3, decaySteps: 20_000, alpha: 1e-3 }), weightDecay: 2.5e-6 });
 * ```
 */
export function adamw(options: AdamwOptions): GradientTransformation<OptState[]> {
  const { learningRate, weightDecay, mask, ...moments } = parseOptions(AdamwOptions, options, 'adamw');
  return chain(
    scaleByAdam(moments),
    addDecayedWeights(weightDecay, mask ? { mask } : {}),
    scaleByLearningRate(learningRate),
  );
}
