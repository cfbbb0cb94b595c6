import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { OptionError, ShapeError } from '../../core/errors.js';
import { defineLayer, type Layer } from '../../core/layer.js';
import { parseOptions } from '../../core/options.js';
import {
  describeExtras,
  explicitMoments,
  normalizationFields,
  normalizeCentered,
  range,
  resolveAxes,
  resolveNormalization,
  type NormalizationOptions,
} from './common.js';

const LayerNormSchema = z.strictObject({
  ...normalizationFields,
  dims: z.array(z.number().int()).min(1).optional(),
});

/** Options of {@link LayerNorm}. */
export type LayerNormOptions = NormalizationOptions & {
  /**
   * Input axes to compute the statistics over (negative counts from the end). Default: the last
   * `shape.length` axes, i.e. each sample is normalised over the trailing `shape`.
   */
  readonly dims?: readonly number[];
};

/** Parameters of a LayerNorm layer: `bias` and `scale` of the given shape (none without affine). */
export type LayerNormParams = { readonly bias?: tf.Tensor; readonly scale?: tf.Tensor };

/** States of a LayerNorm layer: none. */
export type LayerNormStates = Record<string, never>;

/**
 * LayerNorm(shape, options): layer normalisation, `y = activation((x − μ)/√(σ² + ε) · scale + bias)`
 * with μ, σ² (biased) computed per sample over the trailing `shape` axes, and `scale`, `bias`
 * elementwise of shape `shape`.
 *
 * Lux's `LayerNorm(shape)` defaults to `dims = :` (statistics over the whole array, batch
 * included); here the default is per sample over the trailing `shape`, the usual layer
 * normalisation. Pass `dims` to choose the axes (e.g. `[0, -1]` to include the batch axis).
 *
 * ## Arguments
 * - `shape`: the trailing input dimensions, e.g. `[C]` for `[batch, C]` or `[batch, T, C]`, or
 *   `[H, W, C]` for NHWC images. A size of 1 broadcasts (as Lux's `(1, 3, 1)`).
 *
 * ## Options
 * `activation` (identity), `epsilon` (1e-5), `affine` (true), `initScale` (ones), `initBias`
 * (zeros), `dims` (the trailing `shape.length` axes).
 *
 * ## Inputs
 * `x`: `[batch, …, ...shape]`, rank ≥ `shape.length + 1`.
 *
 * ## Returns
 * The normalised `x` (same shape) and the unchanged (empty) state.
 *
 * ## Parameters
 * `bias` and `scale` of shape `shape` when `affine` (Lux: 2·prod(shape) numbers).
 *
 * ## States
 * None (`{}`).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { LayerNorm, parameterCount, setup, Xoshiro } from '@deqts/core-layers';
 * const ln = LayerNorm([64]);
 * parameterCount(ln); // 128
 * const [ps, st] = setup(new Xoshiro(0), ln);
 * const [y] = ln(tf.randomNormal([2, 10, 64]), ps, st); // each [b, t, :] has mean 0, variance ≈ 1
 * ```
 */
export function LayerNorm(shape: number | readonly number[], options: LayerNormOptions = {}): Layer<tf.Tensor, tf.Tensor, LayerNormParams, LayerNormStates> {
  const dimsShape = typeof shape === 'number' ? [shape] : [...shape];
  if (!Array.isArray(dimsShape) || dimsShape.length === 0 || dimsShape.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw new OptionError(`LayerNorm: argument 'shape' must be a positive integer or a non-empty array of them, got ${JSON.stringify(shape)}`);
  }
  const opts = parseOptions(LayerNormSchema, options, 'LayerNorm');
  const norm = resolveNormalization(opts, 'LayerNorm');
  const description = `LayerNorm([${dimsShape.join(', ')}]${describeExtras(norm.actName, [
    !norm.affine && 'affine=false',
    opts.dims !== undefined && `dims=[${opts.dims.join(', ')}]`,
    norm.epsilon !== 1e-5 && `epsilon=${norm.epsilon}`,
  ])})`;
  const expected = `[batch, …, ${dimsShape.join(', ')}]`;
  return defineLayer<tf.Tensor, tf.Tensor, LayerNormParams, LayerNormStates>({
    name: 'LayerNorm',
    description,
    parameterShapes: norm.affine ? { bias: dimsShape, scale: dimsShape } : {},
    stateKeys: [],
    initialParameters: (rng) => (norm.affine ? { bias: norm.initBias(rng, dimsShape), scale: norm.initScale(rng, dimsShape) } : {}),
    initialStates: () => ({}),
    forward: (x, ps, st) => {
      const offset = x instanceof tf.Tensor ? x.rank - dimsShape.length : -1;
      const fits =
        x instanceof tf.Tensor && offset >= 1 && dimsShape.every((d, i) => d === 1 || x.shape[offset + i] === d);
      if (!fits) {
        const got = x instanceof tf.Tensor ? `[${x.shape.join(', ')}]` : typeof x;
        throw new ShapeError(`${description} expects input of shape ${expected}, got ${got}`);
      }
      const axes = opts.dims ? resolveAxes(opts.dims, x.rank, description, 'dims') : range(x.rank, offset);
      const y = tf.tidy(() => {
        const { centered, variance } = explicitMoments(x, axes);
        return normalizeCentered(centered, variance, norm.epsilon, norm.act, ps.scale, ps.bias);
      });
      return [y, st];
    },
  });
}
