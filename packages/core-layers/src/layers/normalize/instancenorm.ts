import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { ShapeError } from '../../core/errors.js';
import { defineLayer, type Layer } from '../../core/layer.js';
import { parseOptions } from '../../core/options.js';
import { positiveInt } from '../schemas.js';
import {
  describeExtras,
  expectChannelsLast,
  explicitMoments,
  normalizationFields,
  normalizeCentered,
  range,
  readTrainingFlag,
  resolveNormalization,
  runningStatisticsFields,
  sizeOf,
  updateRunningStatistics,
  type NormalizationOptions,
} from './common.js';

const InstanceNormSchema = z.strictObject({
  ...normalizationFields,
  ...runningStatisticsFields,
  trackStats: runningStatisticsFields.trackStats.default(false),
});

/** Options of {@link InstanceNorm}. */
export type InstanceNormOptions = NormalizationOptions & {
  /** Weight of the new statistics in the running statistics. Default 0.1. */
  readonly momentum?: number;
  /** Keep running statistics (used in test mode) in the state. Default false (Lux). */
  readonly trackStats?: boolean;
};

/** Parameters of an InstanceNorm layer: `scale` and `bias` `[channels]` (none without affine). */
export type InstanceNormParams = { readonly scale?: tf.Tensor1D; readonly bias?: tf.Tensor1D };

/** States of an InstanceNorm layer: running statistics (with trackStats) and the mode flag. */
export type InstanceNormStates = {
  readonly running_mean?: tf.Tensor1D;
  readonly running_var?: tf.Tensor1D;
  readonly training: boolean;
};

/**
 * InstanceNorm(channels, options): instance normalisation. Each sample and channel is
 * normalised over the spatial axes, `y = activation((x − μ)/√(σ² + ε) · scale + bias)`.
 *
 * With `trackStats`, training mode also updates running statistics (the per-instance statistics
 * averaged over the batch, with Lux's rule `rσ²' = (1−m)·rσ² + m·n/(n−1)·σ²`, n = spatial size)
 * and test mode normalises with them; without it (the default) both modes use the instance
 * statistics.
 *
 * ## Arguments
 * - `channels`: size of the last axis of the input.
 *
 * ## Options
 * `activation` (identity), `epsilon` (1e-5), `affine` (true), `trackStats` (false), `momentum`
 * (0.1), `initScale` (ones), `initBias` (zeros). Lux ≥ 1.0 defaults `affine` to false; pass
 * `affine: false` for that.
 *
 * ## Inputs
 * `x`: `[batch, …spatial, channels]` with at least one spatial axis (rank ≥ 3; NHWC for images).
 *
 * ## Returns
 * The normalised `x` (same shape) and the state (new running statistics in training mode).
 *
 * ## Parameters
 * `scale` and `bias` `[channels]` when `affine` (2·channels numbers).
 *
 * ## States
 * `running_mean`, `running_var` `[channels]` when `trackStats`, and `training`.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { InstanceNorm, setup, stateCount, Xoshiro } from '@deqts/core-layers';
 * const inorm = InstanceNorm(3);
 * stateCount(inorm); // 1
 * const [ps, st] = setup(new Xoshiro(0), inorm);
 * const [y] = inorm(tf.randomNormal([2, 5, 5, 3]), ps, st); // [2, 5, 5, 3]
 * ```
 */
export function InstanceNorm(channels: number, options: InstanceNormOptions = {}): Layer<tf.Tensor, tf.Tensor, InstanceNormParams, InstanceNormStates> {
  positiveInt('InstanceNorm', 'channels', channels);
  const opts = parseOptions(InstanceNormSchema, options, 'InstanceNorm');
  const norm = resolveNormalization(opts, 'InstanceNorm');
  const { momentum, trackStats } = opts;
  const description = `InstanceNorm(${channels}${describeExtras(norm.actName, [
    !norm.affine && 'affine=false',
    trackStats && 'trackStats=true',
    momentum !== 0.1 && `momentum=${momentum}`,
    norm.epsilon !== 1e-5 && `epsilon=${norm.epsilon}`,
  ])})`;
  return defineLayer<tf.Tensor, tf.Tensor, InstanceNormParams, InstanceNormStates>({
    name: 'InstanceNorm',
    description,
    parameterShapes: norm.affine ? { scale: [channels], bias: [channels] } : {},
    stateKeys: trackStats ? ['running_mean', 'running_var', 'training'] : ['training'],
    initialParameters: (rng) =>
      norm.affine
        ? { scale: norm.initScale(rng, [channels]) as tf.Tensor1D, bias: norm.initBias(rng, [channels]) as tf.Tensor1D }
        : {},
    initialStates: () =>
      trackStats
        ? { running_mean: tf.zeros([channels]) as tf.Tensor1D, running_var: tf.ones([channels]) as tf.Tensor1D, training: true }
        : { training: true },
    forward: (x, ps, st) => {
      expectChannelsLast(x, description, channels, 3);
      const training = readTrainingFlag(st, description);
      if (!training && trackStats) {
        const y = tf.tidy(() =>
          normalizeCentered(tf.sub(x, st.running_mean as tf.Tensor), st.running_var as tf.Tensor, norm.epsilon, norm.act, ps.scale, ps.bias),
        );
        return [y, st];
      }
      const spatial = range(x.rank - 1, 1);
      const count = sizeOf(x.shape, spatial);
      const update = training && trackStats;
      if (update && count === 1) {
        throw new ShapeError(
          `${description}: running statistics need more than one spatial position per instance, got input [${x.shape.join(', ')}]`,
        );
      }
      const out = tf.tidy((): { y: tf.Tensor; runningMean?: tf.Tensor1D; runningVar?: tf.Tensor1D } => {
        const { mean, centered, variance } = explicitMoments(x, spatial);
        const y = normalizeCentered(centered, variance, norm.epsilon, norm.act, ps.scale, ps.bias);
        if (!update) return { y };
        const batchMean = tf.mean(tf.reshape(mean, [x.shape[0], channels]), 0);
        const batchVar = tf.mean(tf.reshape(variance, [x.shape[0], channels]), 0);
        const stats = updateRunningStatistics(st.running_mean as tf.Tensor, st.running_var as tf.Tensor, batchMean, batchVar, momentum, count);
        return { y, ...stats };
      });
      if (!out.runningMean || !out.runningVar) return [out.y, st];
      return [out.y, { running_mean: out.runningMean, running_var: out.runningVar, training }];
    },
  });
}
