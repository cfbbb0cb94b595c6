import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { ShapeError } from '../../core/errors.js';
import type { Layer } from '../../core/layer.js';
import { parseOptions } from '../../core/options.js';
import { positiveInt } from '../schemas.js';
import { normalizationFields, range, runningStatisticsFields, sizeOf, type NormalizationOptions } from './common.js';
import { runningStatisticsNorm, type RunningNormParams, type RunningNormStates } from './running-norm.js';

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
export type InstanceNormParams = RunningNormParams;

/** States of an InstanceNorm layer: running statistics (with trackStats) and the mode flag. */
export type InstanceNormStates = RunningNormStates;

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
  return runningStatisticsNorm({
    name: 'InstanceNorm',
    channels,
    options: parseOptions(InstanceNormSchema, options, 'InstanceNorm'),
    trackStatsDefault: false,
    minRank: 3,
    statisticAxes: (shape) => range(shape.length - 1, 1),
    checkInput: (x, description, updating) => {
      if (updating && sizeOf(x.shape, range(x.rank - 1, 1)) === 1) {
        throw new ShapeError(
          `${description}: running statistics need more than one spatial position per instance, got input [${x.shape.join(', ')}]`,
        );
      }
    },
    // the per-instance statistics averaged over the batch
    channelStatistics: (mean, variance, x) => ({
      mean: tf.mean(tf.reshape(mean, [x.shape[0], channels]), 0),
      variance: tf.mean(tf.reshape(variance, [x.shape[0], channels]), 0),
    }),
  });
}
