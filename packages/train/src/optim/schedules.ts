import { z } from 'zod';
import { OptionError, parseOptions } from '@deqts/core-layers';

/**
 * A learning-rate schedule: a function of the optimizer step (0 for the first update) returning a
 * number. Schedules are plain functions, evaluated on the host, so they cost no tensor work.
 */
export type Schedule = (step: number) => number;

/** A learning rate: a constant or a {@link Schedule}. */
export type LearningRate = number | Schedule;

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().nonnegative();

/**
 * The schedule that always returns `value`.
 *
 * @example
 * ```ts
 * import { constantSchedule } from '@deqts/train';
 * constantSchedule(1e-3)(500); // 0.001
 * ```
 */
export function constantSchedule(value: number): Schedule {
  parseOptions(z.strictObject({ value: finite }), { value }, 'constantSchedule');
  return () => value;
}

const LinearOptions = z.strictObject({
  init: finite,
  end: finite,
  transitionSteps: positiveInt,
  transitionBegin: nonNegativeInt.default(0),
});

/** Options of {@link linearSchedule}. */
export type LinearScheduleOptions = {
  /** Value up to `transitionBegin`. */
  readonly init: number;
  /** Value from `transitionBegin + transitionSteps` on. */
  readonly end: number;
  /** Number of steps of the linear ramp (positive integer). */
  readonly transitionSteps: number;
  /** Step at which the ramp starts. Default 0. */
  readonly transitionBegin?: number;
};

/**
 * Linear interpolation from `init` to `end` over `transitionSteps` steps starting at
 * `transitionBegin` (Optax's `linear_schedule`); constant before and after. Useful as a warmup
 * piece in {@link joinSchedules}.
 *
 * @example
 * ```ts
 * import { linearSchedule } from '@deqts/train';
 * const s = linearSchedule({ init: 0, end: 1, transitionSteps: 10 });
 * s(5); // 0.5
 * ```
 */
export function linearSchedule(options: LinearScheduleOptions): Schedule {
  const { init, end, transitionSteps, transitionBegin } = parseOptions(LinearOptions, options, 'linearSchedule');
  return (step) => {
    const t = Math.min(Math.max(step - transitionBegin, 0), transitionSteps);
    return (init - end) * (1 - t / transitionSteps) + end;
  };
}

const CosineOptions = z.strictObject({
  init: finite,
  decaySteps: positiveInt,
  alpha: finite.default(0),
  exponent: finite.default(1),
});

/** Options of {@link cosineSchedule}. */
export type CosineScheduleOptions = {
  /** Value at step 0. */
  readonly init: number;
  /** Steps over which to decay (positive integer); constant afterwards. */
  readonly decaySteps: number;
  /** Final value as a fraction of `init`. Default 0. */
  readonly alpha?: number;
  /** Power applied to the cosine factor. Default 1. */
  readonly exponent?: number;
};

/**
 * Cosine decay with Optax's `cosine_decay_schedule` semantics: with `t = min(step, decaySteps)`,
 * `init · ((1 − alpha) · (½(1 + cos(π t / decaySteps)))^exponent + alpha)`. It goes from `init` at
 * step 0 to `alpha · init` at `decaySteps` and stays there.
 *
 * @example
 * ```ts
 * import { cosineSchedule } from '@deqts/train';
 * const s = cosineSchedule({ init: 1e-3, decaySteps: 20_000, alpha: 1e-3 }); // 1e-3 → 1e-6
 * s(10_000); // ≈ 5.005e-4
 * ```
 */
export function cosineSchedule(options: CosineScheduleOptions): Schedule {
  const { init, decaySteps, alpha, exponent } = parseOptions(CosineOptions, options, 'cosineSchedule');
  return (step) => {
    const t = Math.min(Math.max(step, 0), decaySteps);
    const cosine = 0.5 * (1 + Math.cos((Math.PI * t) / decaySteps));
    return init * ((1 - alpha) * cosine ** exponent + alpha);
  };
}

const PiecewiseOptions = z.strictObject({
  init: finite,
  boundaries: z.array(nonNegativeInt),
  scales: z.array(finite),
});

/** Options of {@link piecewiseConstantSchedule}. */
export type PiecewiseConstantScheduleOptions = {
  /** Value before the first boundary. */
  readonly init: number;
  /** Steps (increasing integers) at which the value is multiplied by the matching scale. */
  readonly boundaries: readonly number[];
  /** One multiplier per boundary; they accumulate. */
  readonly scales: readonly number[];
};

/**
 * Piecewise constant (Optax's `piecewise_constant_schedule`): starts at `init`; from step
 * `boundaries[i]` on, the value is multiplied by `scales[i]` (the multipliers accumulate).
 *
 * @example
 * ```ts
 * import { piecewiseConstantSchedule } from '@deqts/train';
 * const s = piecewiseConstantSchedule({ init: 0.1, boundaries: [100, 200], scales: [0.1, 0.5] });
 * s(99); s(100); s(250); // 0.1, 0.01, 0.005
 * ```
 */
export function piecewiseConstantSchedule(options: PiecewiseConstantScheduleOptions): Schedule {
  const { init, boundaries, scales } = parseOptions(PiecewiseOptions, options, 'piecewiseConstantSchedule');
  if (boundaries.length !== scales.length) {
    throw new OptionError(
      `piecewiseConstantSchedule: 'boundaries' and 'scales' must have the same length, got ${boundaries.length} and ${scales.length}`,
    );
  }
  if (boundaries.some((b, i) => i > 0 && b <= boundaries[i - 1])) {
    throw new OptionError(`piecewiseConstantSchedule: 'boundaries' must be strictly increasing, got [${boundaries.join(', ')}]`);
  }
  return (step) => {
    let value = init;
    boundaries.forEach((b, i) => {
      if (step >= b) value *= scales[i];
    });
    return value;
  };
}

const StepOptions = z.strictObject({ init: finite, stepSize: positiveInt, gamma: finite.default(0.1) });

/** Options of {@link stepSchedule}. */
export type StepScheduleOptions = {
  /** Value for the first `stepSize` steps. */
  readonly init: number;
  /** Steps between decays (positive integer). */
  readonly stepSize: number;
  /** Multiplier applied every `stepSize` steps. Default 0.1. */
  readonly gamma?: number;
};

/**
 * Staircase decay (PyTorch's `StepLR`): `init · gamma^floor(step / stepSize)`.
 *
 * @example
 * ```ts
 * import { stepSchedule } from '@deqts/train';
 * stepSchedule({ init: 0.1, stepSize: 30, gamma: 0.1 })(65); // 0.001
 * ```
 */
export function stepSchedule(options: StepScheduleOptions): Schedule {
  const { init, stepSize, gamma } = parseOptions(StepOptions, options, 'stepSchedule');
  return (step) => init * gamma ** Math.floor(Math.max(step, 0) / stepSize);
}

/**
 * Runs `schedules[0]` until `boundaries[0]`, then `schedules[1]` with its step counted from that
 * boundary, and so on (Optax's `join_schedules`).
 *
 * @example
 * ```ts
 * import { joinSchedules, linearSchedule, cosineSchedule } from '@deqts/train';
 * const warm = linearSchedule({ init: 0, end: 1e-3, transitionSteps: 100 });
 * const s = joinSchedules([warm, cosineSchedule({ init: 1e-3, decaySteps: 900 })], [100]);
 * s(100); // 1e-3
 * ```
 */
export function joinSchedules(schedules: readonly Schedule[], boundaries: readonly number[]): Schedule {
  if (schedules.length !== boundaries.length + 1) {
    throw new OptionError(
      `joinSchedules: expected one more schedule than boundaries, got ${schedules.length} schedules and ${boundaries.length} boundaries`,
    );
  }
  parseOptions(z.strictObject({ boundaries: z.array(nonNegativeInt) }), { boundaries: [...boundaries] }, 'joinSchedules');
  return (step) => {
    let index = 0;
    while (index < boundaries.length && step >= boundaries[index]) index++;
    return schedules[index](index === 0 ? step : step - boundaries[index - 1]);
  };
}

const WarmupCosineOptions = z.strictObject({
  init: finite.default(0),
  peak: finite,
  warmupSteps: nonNegativeInt,
  decaySteps: positiveInt,
  end: finite.default(0),
  exponent: finite.default(1),
});

/** Options of {@link warmupCosineSchedule}. */
export type WarmupCosineScheduleOptions = {
  /** Value at step 0. Default 0. */
  readonly init?: number;
  /** Value reached after the warmup. */
  readonly peak: number;
  /** Steps of linear warmup. */
  readonly warmupSteps: number;
  /** Total steps, warmup included (as in Optax); the cosine part lasts `decaySteps − warmupSteps`. */
  readonly decaySteps: number;
  /** Final value. Default 0. */
  readonly end?: number;
  /** Power of the cosine factor. Default 1. */
  readonly exponent?: number;
};

/**
 * Linear warmup from `init` to `peak`, then cosine decay to `end` (Optax's
 * `warmup_cosine_decay_schedule`; `decaySteps` counts the warmup).
 *
 * @example
 * ```ts
 * import { warmupCosineSchedule } from '@deqts/train';
 * const s = warmupCosineSchedule({ peak: 1e-3, warmupSteps: 100, decaySteps: 1000 });
 * s(0); s(100); s(1000); // 0, 0.001, 0
 * ```
 */
export function warmupCosineSchedule(options: WarmupCosineScheduleOptions): Schedule {
  const o = parseOptions(WarmupCosineOptions, options, 'warmupCosineSchedule');
  if (o.decaySteps <= o.warmupSteps) {
    throw new OptionError(`warmupCosineSchedule: 'decaySteps' (${o.decaySteps}) must exceed 'warmupSteps' (${o.warmupSteps}); it counts the warmup`);
  }
  if (o.peak === 0) throw new OptionError("warmupCosineSchedule: option 'peak' must be non-zero");
  const cosine = cosineSchedule({ init: o.peak, decaySteps: o.decaySteps - o.warmupSteps, alpha: o.end / o.peak, exponent: o.exponent });
  if (o.warmupSteps === 0) return cosine;
  const warm = linearSchedule({ init: o.init, end: o.peak, transitionSteps: o.warmupSteps });
  return joinSchedules([warm, cosine], [o.warmupSteps]);
}

/** Evaluates a learning rate (a number or a schedule) at `step`. Internal (not exported by the package). */
export function learningRateAt(learningRate: LearningRate, step: number): number {
  return typeof learningRate === 'function' ? learningRate(step) : learningRate;
}

/** Zod schema for a learning rate option: a finite number or a schedule function. Internal. */
export const learningRateSchema = z.union([finite, z.custom<Schedule>((v) => typeof v === 'function', 'must be a number or a schedule function')]);
