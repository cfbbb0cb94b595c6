import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { OptionError } from '../../core/errors.js';
import { defineLayer, type Layer } from '../../core/layer.js';
import { parseOptions } from '../../core/options.js';
import { positiveInt } from '../schemas.js';
import {
  describeExtras,
  expectChannelsLast,
  normalizationFields,
  resolveNormalization,
  type NormalizationOptions,
} from './common.js';
import { groupNormalizer } from './group-normalize.js';

const GroupNormSchema = z.strictObject({ ...normalizationFields });

/** Options of {@link GroupNorm}. */
export type GroupNormOptions = NormalizationOptions;

/** Parameters of a GroupNorm layer: `scale` and `bias` `[channels]` (none without affine). */
export type GroupNormParams = { readonly scale?: tf.Tensor1D; readonly bias?: tf.Tensor1D };

/** States of a GroupNorm layer: none (as Lux; it computes the same in training and test mode). */
export type GroupNormStates = Record<string, never>;

/**
 * GroupNorm(channels, groups, options): group normalisation. The channels are split into `groups`
 * consecutive groups; each sample is normalised over its spatial positions and the channels of
 * each group, `y = activation((x − μ)/√(σ² + ε) · scale + bias)` with per-channel scale and bias.
 * The same computation in training and test mode.
 *
 * ## Arguments
 * - `channels`: size of the last axis of the input.
 * - `groups`: number of groups; must divide `channels` (an OptionError otherwise, as Lux asserts).
 *
 * ## Options
 * `activation` (identity), `epsilon` (1e-5), `affine` (true), `initScale` (ones), `initBias`
 * (zeros).
 *
 * ## Inputs
 * `x`: `[batch, …spatial, channels]` (rank ≥ 2; NHWC for images).
 *
 * ## Returns
 * The normalised `x` (same shape) and the unchanged state.
 *
 * ## Parameters
 * `scale` and `bias` `[channels]` when `affine` (2·channels numbers).
 *
 * ## States
 * None (`{}`; Lux's state count is 0).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { GroupNorm, parameterCount, setup, Xoshiro } from '@deqts/core-layers';
 * const gn = GroupNorm(16, 4, { activation: 'relu' });
 * parameterCount(gn); // 32
 * const [ps, st] = setup(new Xoshiro(0), gn);
 * const [y] = gn(tf.randomNormal([2, 8, 8, 16]), ps, st); // [2, 8, 8, 16]
 * ```
 */
export function GroupNorm(channels: number, groups: number, options: GroupNormOptions = {}): Layer<tf.Tensor, tf.Tensor, GroupNormParams, GroupNormStates> {
  positiveInt('GroupNorm', 'channels', channels);
  positiveInt('GroupNorm', 'groups', groups);
  if (channels % groups !== 0) {
    throw new OptionError(`GroupNorm: the number of groups (${groups}) must divide the number of channels (${channels})`);
  }
  const opts = parseOptions(GroupNormSchema, options, 'GroupNorm');
  const norm = resolveNormalization(opts, 'GroupNorm');
  const description = `GroupNorm(${channels}, ${groups}${describeExtras(norm.actName, [
    !norm.affine && 'affine=false',
    norm.epsilon !== 1e-5 && `epsilon=${norm.epsilon}`,
  ])})`;
  // one customGrad per layer: the closed-form gradient (group-normalize.ts)
  const affine = norm.affine ? groupNormalizer(groups, norm.epsilon, true) : undefined;
  const plain = groupNormalizer(groups, norm.epsilon, false);
  return defineLayer<tf.Tensor, tf.Tensor, GroupNormParams, GroupNormStates>({
    name: 'GroupNorm',
    description,
    parameterShapes: norm.affine ? { scale: [channels], bias: [channels] } : {},
    stateKeys: [],
    initialParameters: (rng) =>
      norm.affine
        ? { scale: norm.initScale(rng, [channels]) as tf.Tensor1D, bias: norm.initBias(rng, [channels]) as tf.Tensor1D }
        : {},
    initialStates: () => ({}),
    forward: (x, ps, st) => {
      expectChannelsLast(x, description, channels, 2);
      const y = tf.tidy(() => {
        const normalized = affine && ps.scale && ps.bias ? affine(x, ps.scale, ps.bias) : plain(x);
        return norm.act(normalized);
      });
      return [y, st];
    },
  });
}
