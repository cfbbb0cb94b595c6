import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { OptionError, isTensor, parseOptions, treeLeaves, treeMap, type Tree, type TreeKey } from '@deqts/core-layers';
import { learningRateAt, learningRateSchema, type LearningRate } from './schedules.js';
import { mapTensorLeaves, tidyTree, zerosLikeTree, type GradientTransformation, type OptState } from './transform.js';

const finite = z.number().refine(Number.isFinite, 'must be a finite number');

/** State of {@link scaleByLearningRate} (and {@link scaleBySchedule}): the number of updates so far. */
export type ScheduleState = { readonly count: number };

/**
 * Multiplies every update by a constant `factor` (state `{}`).
 *
 * @example
 * ```ts
 * import { scale } from '@deqts/train';
 * const half = scale(0.5);
 * ```
 */
export function scale(factor: number): GradientTransformation<Record<string, never>> {
  parseOptions(z.strictObject({ factor: finite }), { factor }, 'scale');
  return {
    init: () => ({}),
    update: (updates, state) => [tidyTree(() => mapTensorLeaves((u) => tf.mul(u, factor), updates)), state],
  };
}

/**
 * Multiplies every update by `schedule(count)`, where `count` is the number of updates done
 * before this one (0 first). State `{ count }`, a plain number, so checkpoints store it exactly.
 *
 * @example
 * ```ts
 * import { scaleBySchedule, cosineSchedule } from '@deqts/train';
 * const t = scaleBySchedule(cosineSchedule({ init: 1, decaySteps: 100 }));
 * ```
 */
export function scaleBySchedule(schedule: (step: number) => number): GradientTransformation<ScheduleState> {
  if (typeof schedule !== 'function') throw new OptionError('scaleBySchedule: the argument must be a function of the step');
  return {
    init: () => ({ count: 0 }),
    update: (updates, state) => {
      const factor = schedule(state.count);
      if (!Number.isFinite(factor)) {
        throw new OptionError(`scaleBySchedule: the schedule returned ${factor} at step ${state.count}; it must be a finite number`);
      }
      return [tidyTree(() => mapTensorLeaves((u) => tf.mul(u, factor), updates)), { count: state.count + 1 }];
    },
  };
}

/**
 * Multiplies the updates by `−learningRate` (a number or a schedule of the step), turning
 * descent directions into parameter increments for {@link applyUpdates}. A constant rate has
 * state `{}`; a schedule has `{ count }`.
 *
 * @example
 * ```ts
 * import { chain, scaleByAdam, scaleByLearningRate } from '@deqts/train';
 * const myAdam = chain(scaleByAdam(), scaleByLearningRate(1e-3));
 * ```
 */
export function scaleByLearningRate(learningRate: LearningRate): GradientTransformation<OptState> {
  const { learningRate: lr } = parseOptions(z.strictObject({ learningRate: learningRateSchema }), { learningRate }, 'scaleByLearningRate');
  if (typeof lr === 'number') return scale(-lr) as GradientTransformation<OptState>;
  return scaleBySchedule((step) => -learningRateAt(lr, step)) as unknown as GradientTransformation<OptState>;
}

/** State of {@link trace}: the momentum buffer, shaped like the parameters. */
export type TraceState = { readonly trace: Tree<tf.Tensor | null> };

const TraceOptions = z.strictObject({ decay: finite, nesterov: z.boolean().default(false) });

/** Options of {@link trace}. */
export type TraceOptions = {
  /** Momentum coefficient. */
  readonly decay: number;
  /** Use Nesterov momentum. Default false. */
  readonly nesterov?: boolean;
};

/**
 * Heavy-ball momentum: `t ← g + decay · t`; the update is `t` (or `g + decay · t` with Nesterov).
 * State `{ trace }`, zeros at init.
 *
 * @example
 * ```ts
 * import { chain, trace, scaleByLearningRate } from '@deqts/train';
 * const momentumSgd = chain(trace({ decay: 0.9 }), scaleByLearningRate(0.1));
 * ```
 */
export function trace(options: TraceOptions): GradientTransformation<TraceState> {
  const { decay, nesterov } = parseOptions(TraceOptions, options, 'trace');
  return {
    init: (params) => ({ trace: zerosLikeTree(params) }),
    update: (updates, state) =>
      tidyTree(() => {
        const next = mapTensorLeaves((g, t) => (isTensor(t) ? tf.add(g, tf.mul(t, decay)) : g), updates, state.trace);
        const out = nesterov ? mapTensorLeaves((g, t) => tf.add(g, tf.mul(t as tf.Tensor, decay)), updates, next) : next;
        return [out, { trace: next as Tree<tf.Tensor | null> }] as const;
      }),
  };
}

/** Options of {@link addDecayedWeights}. */
export type AddDecayedWeightsOptions = {
  /**
   * Which parameters to decay: called with each tensor leaf's path and value; `false` skips it
   * (e.g. `(path) => path[path.length - 1] !== 'bias'`). Default: all.
   */
  readonly mask?: (path: readonly TreeKey[], param: tf.Tensor) => boolean;
};

/**
 * Adds `weightDecay · params` to the updates (decoupled weight decay, as in AdamW when placed
 * before the learning-rate scaling). Needs `params` in `update`. State `{}`.
 *
 * @example
 * ```ts
 * import { chain, scaleByAdam, addDecayedWeights, scaleByLearningRate } from '@deqts/train';
 * const myAdamw = chain(scaleByAdam(), addDecayedWeights(1e-4), scaleByLearningRate(1e-3));
 * ```
 */
export function addDecayedWeights(weightDecay: number, options: AddDecayedWeightsOptions = {}): GradientTransformation<Record<string, never>> {
  parseOptions(z.strictObject({ weightDecay: finite }), { weightDecay }, 'addDecayedWeights');
  const { mask } = parseOptions(
    z.strictObject({ mask: z.custom<AddDecayedWeightsOptions['mask']>((v) => typeof v === 'function', 'must be a function').optional() }),
    options,
    'addDecayedWeights',
  );
  return {
    init: () => ({}),
    update: (updates, state, params) => {
      if (params === undefined) {
        throw new OptionError('addDecayedWeights: update() needs the parameters as its third argument (update(grads, state, ps))');
      }
      const selected = treeMap((p: unknown, path) => (isTensor(p) && (mask ? mask(path, p) : true) ? p : null), params as Tree);
      return [
        tidyTree(() => mapTensorLeaves((u, p) => (isTensor(p) ? tf.add(u, tf.mul(p, weightDecay)) : u), updates, selected)),
        state,
      ];
    },
  };
}

/**
 * Rescales the updates so that their global L2 norm (over all leaves) is at most `maxNorm`:
 * `u · min(1, maxNorm / ‖u‖)`. Updates whose norm is already below `maxNorm` are unchanged. The
 * factor stays a tensor (no device-to-host read). State `{}`.
 *
 * @example
 * ```ts
 * import { chain, clipByGlobalNorm, adam } from '@deqts/train';
 * const opt = chain(clipByGlobalNorm(1.0), adam({ learningRate: 1e-3 }));
 * ```
 */
export function clipByGlobalNorm(maxNorm: number): GradientTransformation<Record<string, never>> {
  parseOptions(z.strictObject({ maxNorm: z.number().positive().refine(Number.isFinite, 'must be finite') }), { maxNorm }, 'clipByGlobalNorm');
  return {
    init: () => ({}),
    update: (updates, state) =>
      tidyTree(() => {
        const leaves = treeLeaves(updates as Tree).filter(isTensor);
        if (leaves.length === 0) return [updates, state] as const;
        const squared = leaves.map((u) => tf.sum(tf.square(tf.cast(u, 'float32'))));
        const norm = tf.sqrt(squared.length === 1 ? squared[0] : tf.addN(squared));
        const factor = tf.div(tf.scalar(maxNorm), tf.maximum(norm, tf.scalar(maxNorm)));
        return [mapTensorLeaves((u) => tf.mul(u, factor), updates), state] as const;
      }),
  };
}
