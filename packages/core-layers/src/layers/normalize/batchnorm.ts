import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { ShapeError } from '../../core/errors.js';
import type { Layer } from '../../core/layer.js';
import { parseOptions } from '../../core/options.js';
import { positiveInt } from '../schemas.js';
import { normalizationFields, range, runningStatisticsFields, type NormalizationOptions } from './common.js';
import { runningStatisticsNorm, type RunningNormParams, type RunningNormStates } from './running-norm.js';

const BatchNormSchema = z.strictObject({
  ...normalizationFields,
  ...runningStatisticsFields,
  trackStats: runningStatisticsFields.trackStats.default(true),
});

/** Options of {@link BatchNorm}. */
export type BatchNormOptions = NormalizationOptions & {
  /** Weight of the new batch statistics in the running statistics. Default 0.1 (Lux). */
  readonly momentum?: number;
  /** Keep running statistics (for test mode) in the state. Default true. */
  readonly trackStats?: boolean;
};

/** Parameters of a BatchNorm layer: `scale` and `bias` `[channels]` (none without affine). */
export type BatchNormParams = RunningNormParams;

/** States of a BatchNorm layer: running statistics (with trackStats) and the mode flag. */
export type BatchNormStates = RunningNormStates;

/**
 * BatchNorm(channels, options): batch normalisation over every axis but the last (channel) one,
 * `y = activation((x − μ)/√(σ² + ε) · scale + bias)`.
 *
 * In training mode (`st.training === true`, the default after `setup`) μ and σ² are the
 * statistics of the batch (σ² biased) and, with `trackStats`, the running statistics are updated
 * as in Lux: `rμ' = (1−m)·rμ + m·μ`, `rσ²' = (1−m)·rσ² + m·n/(n−1)·σ²` with n the number of
 * values per channel (batch × spatial). In test mode (`testmode(st)`) the running statistics
 * are used; without `trackStats` the batch statistics are used in both modes.
 *
 * ## Arguments
 * - `channels`: size of the last axis of the input (features of `[batch, F]`, channels of NHWC).
 *
 * ## Options
 * `activation` (identity), `momentum` (0.1), `epsilon` (1e-5), `affine` (true), `trackStats`
 * (true), `initScale` (ones), `initBias` (zeros) — Lux's defaults.
 *
 * ## Inputs
 * `x`: `[batch, …, channels]` (rank ≥ 2). In training mode the batch must have more than one
 * sample (as in Lux): a batch of one is a ShapeError.
 *
 * ## Returns
 * The normalised `x` (same shape) and the state, with new running statistics in training mode.
 *
 * ## Parameters
 * `scale` and `bias` `[channels]` when `affine` (Lux: 2·channels numbers).
 *
 * ## States
 * `running_mean` (zeros) and `running_var` (ones) `[channels]` when `trackStats`, and `training`
 * (Lux's state count: 2·channels + 1).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { BatchNorm, parameterCount, setup, stateCount, testmode, Xoshiro } from '@deqts/core-layers';
 * const bn = BatchNorm(16, { activation: 'relu' });
 * parameterCount(bn); // 32
 * stateCount(BatchNorm(3)); // 7
 * const [ps, st] = setup(new Xoshiro(0), bn);
 * const [y, st2] = bn(tf.randomNormal([8, 4, 4, 16]), ps, st); // batch statistics; st2 has new running stats
 * const [yTest] = bn(tf.randomNormal([1, 4, 4, 16]), ps, testmode(st2)); // running statistics
 * ```
 */
export function BatchNorm(channels: number, options: BatchNormOptions = {}): Layer<tf.Tensor, tf.Tensor, BatchNormParams, BatchNormStates> {
  positiveInt('BatchNorm', 'channels', channels);
  return runningStatisticsNorm({
    name: 'BatchNorm',
    channels,
    options: parseOptions(BatchNormSchema, options, 'BatchNorm'),
    trackStatsDefault: true,
    minRank: 2,
    statisticAxes: (shape) => range(shape.length - 1),
    checkInput: (x, description, _updating, training) => {
      if (training && x.shape[0] === 1) {
        throw new ShapeError(
          `${description}: a batch of size 1 cannot be normalised in training mode (its variance is zero), ` +
            `got input [${x.shape.join(', ')}]. Use a larger batch, or call testmode(st) for inference.`,
        );
      }
    },
    channelStatistics: (mean, variance) => ({ mean, variance }),
  });
}
