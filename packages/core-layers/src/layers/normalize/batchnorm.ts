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
export type BatchNormParams = { readonly scale?: tf.Tensor1D; readonly bias?: tf.Tensor1D };

/** States of a BatchNorm layer: running statistics (with trackStats) and the mode flag. */
export type BatchNormStates = {
  readonly running_mean?: tf.Tensor1D;
  readonly running_var?: tf.Tensor1D;
  readonly training: boolean;
};

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
  const opts = parseOptions(BatchNormSchema, options, 'BatchNorm');
  const norm = resolveNormalization(opts, 'BatchNorm');
  const { momentum, trackStats } = opts;
  const description = `BatchNorm(${channels}${describeExtras(norm.actName, [
    !norm.affine && 'affine=false',
    !trackStats && 'trackStats=false',
    momentum !== 0.1 && `momentum=${momentum}`,
    norm.epsilon !== 1e-5 && `epsilon=${norm.epsilon}`,
  ])})`;
  return defineLayer<tf.Tensor, tf.Tensor, BatchNormParams, BatchNormStates>({
    name: 'BatchNorm',
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
      expectChannelsLast(x, description, channels, 2);
      const training = readTrainingFlag(st, description);
      if (training && x.shape[0] === 1) {
        throw new ShapeError(
          `${description}: a batch of size 1 cannot be normalised in training mode (its variance is zero), ` +
            `got input [${x.shape.join(', ')}]. Use a larger batch, or call testmode(st) for inference.`,
        );
      }
      const axes = range(x.rank - 1);
      if (!training && trackStats) {
        const y = tf.tidy(() =>
          normalizeCentered(tf.sub(x, st.running_mean as tf.Tensor), st.running_var as tf.Tensor, norm.epsilon, norm.act, ps.scale, ps.bias),
        );
        return [y, st];
      }
      const out = tf.tidy((): { y: tf.Tensor; runningMean?: tf.Tensor1D; runningVar?: tf.Tensor1D } => {
        const { mean, centered, variance } = explicitMoments(x, axes);
        const y = normalizeCentered(centered, variance, norm.epsilon, norm.act, ps.scale, ps.bias);
        if (!(training && trackStats)) return { y };
        const count = sizeOf(x.shape, axes);
        const stats = updateRunningStatistics(st.running_mean as tf.Tensor, st.running_var as tf.Tensor, mean, variance, momentum, count);
        return { y, ...stats };
      });
      if (!out.runningMean || !out.runningVar) return [out.y, st];
      return [out.y, { running_mean: out.runningMean, running_var: out.runningVar, training }];
    },
  });
}
