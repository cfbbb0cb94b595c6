import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { OptionError, ShapeError } from '../../core/errors.js';
import { defineLayer, type Layer } from '../../core/layer.js';
import { parseOptions } from '../../core/options.js';
import { expectShape } from '../../core/shape-checks.js';
import { positiveIntSchema } from '../schemas.js';

/** A parameter-free, state-free layer from tensors to tensors. */
export type ReshapingLayer = Layer<tf.Tensor, tf.Tensor, Record<string, never>, Record<string, never>>;

const product = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);

function reshapingLayer(name: string, description: string, compute: (x: tf.Tensor) => tf.Tensor): ReshapingLayer {
  return defineLayer<tf.Tensor, tf.Tensor, Record<string, never>, Record<string, never>>({
    name,
    description,
    parameterShapes: {},
    stateKeys: [],
    initialParameters: () => ({}),
    initialStates: () => ({}),
    forward: (x, _ps, st) => [compute(x), st],
  });
}

const FlattenOptionsSchema = z.strictObject({ nDims: positiveIntSchema.optional() });

/** Options of {@link FlattenLayer}. */
export type FlattenOptions = {
  /**
   * Flatten only the first `nDims` dimensions after the batch (Lux's `N`); the rest are kept.
   * Default: all of them, giving `[batch, features]`.
   */
  readonly nDims?: number;
};

/**
 * FlattenLayer(options): flattens every sample, `[batch, d1, …, dk]` → `[batch, d1·…·dk]`, as
 * Lux's FlattenLayer (the batch axis is never flattened). With `nDims = n`, only `d1 … dn` merge:
 * `[batch, d1·…·dn, dn+1, …, dk]`.
 *
 * ## Options
 * `nDims` (default: all dimensions after the batch).
 *
 * ## Inputs
 * `x`: `[batch, ...]` of rank ≥ 2 (rank > nDims).
 *
 * ## Returns
 * The reshaped tensor (row-major order, as tfjs) and the empty state.
 *
 * ## Parameters / States
 * None.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { FlattenLayer, setup, Xoshiro } from '@deqts/core-layers';
 * const flat = FlattenLayer();
 * const [y] = flat(tf.zeros([2, 4, 4, 16]), ...setup(new Xoshiro(0), flat)); // [2, 256]
 * ```
 */
export function FlattenLayer(options: FlattenOptions = {}): ReshapingLayer {
  const { nDims } = parseOptions(FlattenOptionsSchema, options, 'FlattenLayer');
  const description = nDims === undefined ? 'FlattenLayer()' : `FlattenLayer(nDims=${nDims})`;
  return reshapingLayer('FlattenLayer', description, (x) => {
    const minRank = nDims === undefined ? 2 : nDims + 1;
    if (!(x instanceof tf.Tensor) || x.rank < minRank) {
      const expected = nDims === undefined ? '[batch, ...features]' : `[batch, d1, …, d${nDims}, ...] (rank ≥ ${minRank})`;
      throw new ShapeError(`${description} expects input of shape ${expected}, got ${x instanceof tf.Tensor ? `[${x.shape.join(', ')}]` : typeof x}`);
    }
    const [batch, ...rest] = x.shape;
    const n = nDims ?? rest.length;
    return tf.reshape(x, [batch, product(rest.slice(0, n)), ...rest.slice(n)]);
  });
}

/**
 * ReshapeLayer(dims): reshapes every sample to `dims` (the batch axis excluded), as Lux's
 * ReshapeLayer: `[batch, ...]` → `[batch, ...dims]`. One entry of `dims` may be −1 (inferred).
 *
 * ## Arguments
 * `dims`: positive integers (at most one −1); their product must equal the sample size.
 *
 * ## Inputs
 * `x`: `[batch, ...]` with `prod(dims)` numbers per sample.
 *
 * ## Returns
 * `[batch, ...dims]` (row-major order, as tfjs) and the empty state.
 *
 * ## Parameters / States
 * None.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { ReshapeLayer, setup, Xoshiro } from '@deqts/core-layers';
 * const toImage = ReshapeLayer([28, 28, 1]);
 * const [y] = toImage(tf.zeros([8, 784]), ...setup(new Xoshiro(0), toImage)); // [8, 28, 28, 1]
 * ```
 */
export function ReshapeLayer(dims: readonly number[]): ReshapingLayer {
  const valid =
    Array.isArray(dims) &&
    dims.length > 0 &&
    dims.every((d) => Number.isInteger(d) && (d > 0 || d === -1)) &&
    dims.filter((d) => d === -1).length <= 1;
  if (!valid) {
    throw new OptionError(
      `ReshapeLayer: argument 'dims' must be a non-empty array of positive integers (at most one -1), got ${JSON.stringify(dims)}`,
    );
  }
  const target = [...dims];
  const known = product(target.filter((d) => d !== -1));
  const inferred = target.includes(-1);
  const description = `ReshapeLayer([${target.join(', ')}])`;
  return reshapingLayer('ReshapeLayer', description, (x) => {
    expectShape(x, description, { expected: ['batch', ...target.map((d) => (d === -1 ? '?' : d))] });
    const sample = product(x.shape.slice(1));
    if (x.rank < 1 || (inferred ? sample % known !== 0 : sample !== known)) {
      throw new ShapeError(
        `${description} expects input of shape [batch, ...] with ${inferred ? `a multiple of ${known}` : known} numbers per sample, got [${x.shape.join(', ')}]`,
      );
    }
    return tf.reshape(x, [x.shape[0], ...target]);
  });
}
