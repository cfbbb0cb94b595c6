import * as tf from '@tensorflow/tfjs-core';
import { defineLayer, type Layer } from '../../core/layer.js';
import {
  describeExtras,
  expectChannelsLast,
  explicitMoments,
  normalizeCentered,
  readTrainingFlag,
  resolveNormalization,
  sizeOf,
  updateRunningStatistics,
} from './common.js';

/** Parameters of BatchNorm / InstanceNorm: `scale` and `bias` `[channels]` (none without affine). */
export type RunningNormParams = { readonly scale?: tf.Tensor1D; readonly bias?: tf.Tensor1D };

/** States of BatchNorm / InstanceNorm: running statistics (with trackStats) and the mode flag. */
export type RunningNormStates = {
  readonly running_mean?: tf.Tensor1D;
  readonly running_var?: tf.Tensor1D;
  readonly training: boolean;
};

/** What tells BatchNorm and InstanceNorm apart; everything else is shared. */
export type RunningNormSpec = {
  readonly name: 'BatchNorm' | 'InstanceNorm';
  readonly channels: number;
  /** The options as zod parsed them. */
  readonly options: Parameters<typeof resolveNormalization>[0] & { readonly momentum: number; readonly trackStats: boolean };
  /** trackStats's default, so the description names only a changed setting. */
  readonly trackStatsDefault: boolean;
  readonly minRank: number;
  /** The axes the statistics are taken over, for an input of this shape. */
  readonly statisticAxes: (shape: readonly number[]) => number[];
  /** Throws when the statistics are undefined for this input (a ShapeError naming the layer). */
  readonly checkInput: (x: tf.Tensor, description: string, updating: boolean, training: boolean) => void;
  /** Per-channel mean and variance for the running statistics, from the statistics over the axes. */
  readonly channelStatistics: (mean: tf.Tensor, variance: tf.Tensor, x: tf.Tensor) => { mean: tf.Tensor; variance: tf.Tensor };
};

/**
 * The one implementation behind BatchNorm and InstanceNorm: normalise over the spec's axes; in
 * training mode with trackStats update the running statistics (Lux's rule); in test mode with
 * trackStats normalise with them.
 */
export function runningStatisticsNorm(spec: RunningNormSpec): Layer<tf.Tensor, tf.Tensor, RunningNormParams, RunningNormStates> {
  const { name, channels, options } = spec;
  const norm = resolveNormalization(options, name);
  const { momentum, trackStats } = options;
  const description = `${name}(${channels}${describeExtras(norm.actName, [
    !norm.affine && 'affine=false',
    trackStats !== spec.trackStatsDefault && `trackStats=${trackStats}`,
    momentum !== 0.1 && `momentum=${momentum}`,
    norm.epsilon !== 1e-5 && `epsilon=${norm.epsilon}`,
  ])})`;
  return defineLayer<tf.Tensor, tf.Tensor, RunningNormParams, RunningNormStates>({
    name,
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
      expectChannelsLast(x, description, channels, spec.minRank);
      const training = readTrainingFlag(st, description);
      const updating = training && trackStats;
      spec.checkInput(x, description, updating, training);
      if (!training && trackStats) {
        const y = tf.tidy(() =>
          normalizeCentered(tf.sub(x, st.running_mean as tf.Tensor), st.running_var as tf.Tensor, norm.epsilon, norm.act, ps.scale, ps.bias),
        );
        return [y, st];
      }
      const axes = spec.statisticAxes(x.shape);
      const out = tf.tidy((): { y: tf.Tensor; runningMean?: tf.Tensor1D; runningVar?: tf.Tensor1D } => {
        const { mean, centered, variance } = explicitMoments(x, axes);
        const y = normalizeCentered(centered, variance, norm.epsilon, norm.act, ps.scale, ps.bias);
        if (!updating) return { y };
        const stats = spec.channelStatistics(mean, variance, x);
        const count = sizeOf(x.shape, axes);
        return { y, ...updateRunningStatistics(st.running_mean as tf.Tensor, st.running_var as tf.Tensor, stats.mean, stats.variance, momentum, count) };
      });
      if (!out.runningMean || !out.runningVar) return [out.y, st];
      return [out.y, { running_mean: out.runningMean, running_var: out.runningVar, training }];
    },
  });
}
