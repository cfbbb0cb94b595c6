import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { OptionError, ShapeError } from '../../core/errors.js';
import { defineLayer, type Layer } from '../../core/layer.js';
import { parseOptions } from '../../core/options.js';
import { expectShape } from '../../core/shape-checks.js';
import { padOrCrop } from './conv-ops.js';
import {
  expandPair,
  formatPair,
  formatSides,
  noPadding,
  paddingSchema,
  pairSchema,
  resolvePadding,
  slidingOutputShape,
  spatialArgument,
  type Pair,
  type Padding,
  type Sides,
} from './geometry.js';

/** A parameter-free layer over NHWC images: no parameters, empty state. */
export type PoolLayer = Layer<tf.Tensor, tf.Tensor, Record<string, never>, Record<string, never>>;

/** Options of {@link MaxPool} and {@link MeanPool}. */
export type PoolOptions = {
  /** Step of the window. Default: the window (non-overlapping windows), as in Lux. */
  readonly stride?: Pair;
  /**
   * Padding (see {@link Padding}); each side must be smaller than the window. Max pooling ignores
   * padded positions; mean pooling counts them as zeros (divides by the full window, like NNlib).
   * Default 0.
   */
  readonly padding?: Padding;
};

const PoolOptionsSchema = z.strictObject({ stride: pairSchema.optional(), padding: paddingSchema.default(0) });

const imageShape = ['batch', 'height', 'width', 'channels'] as const;

function poolLayer(name: string, description: string, compute: (x: tf.Tensor4D) => tf.Tensor): PoolLayer {
  return defineLayer<tf.Tensor, tf.Tensor, Record<string, never>, Record<string, never>>({
    name,
    description,
    parameterShapes: {},
    stateKeys: [],
    initialParameters: () => ({}),
    initialStates: () => ({}),
    forward: (x, _ps, st) => {
      expectShape(x, description, { rank: 4, expected: imageShape });
      return [compute(x as tf.Tensor4D), st];
    },
  });
}

function windowedPool(kind: 'MaxPool' | 'MeanPool', window: Pair, options: PoolOptions): PoolLayer {
  const windowSize = spatialArgument(kind, 'window', window);
  const opts = parseOptions(PoolOptionsSchema, options, kind);
  const stride = opts.stride === undefined ? windowSize : expandPair(opts.stride);
  const sides: Sides = resolvePadding(opts.padding, windowSize, [1, 1]);
  if (sides[0] >= windowSize[0] || sides[1] >= windowSize[0] || sides[2] >= windowSize[1] || sides[3] >= windowSize[1]) {
    throw new OptionError(
      `${kind}: option 'padding' (${formatSides(sides)}) must be smaller than the window [${windowSize.join(', ')}] on each side`,
    );
  }
  const extras = [
    noPadding(sides) ? '' : `padding=${formatSides(sides)}`,
    stride[0] === windowSize[0] && stride[1] === windowSize[1] ? '' : `stride=${formatPair(stride)}`,
  ].filter((s) => s !== '');
  const description = `${kind}([${windowSize.join(', ')}]${extras.map((s) => `, ${s}`).join('')})`;
  const explicit: [[number, number], [number, number], [number, number], [number, number]] = [
    [0, 0],
    [sides[0], sides[1]],
    [sides[2], sides[3]],
    [0, 0],
  ];
  return poolLayer(kind, description, (x) => {
    slidingOutputShape(description, x.shape, windowSize, stride, sides);
    return tf.tidy(() =>
      kind === 'MaxPool'
        ? tf.maxPool(x, windowSize, stride, noPadding(sides) ? 'valid' : explicit)
        : tf.avgPool(padOrCrop(x, sides), windowSize, stride, 'valid'),
    );
  });
}

/**
 * MaxPool(window, options): the maximum over each `window` of every channel, as Lux's MaxPool.
 *
 * ## Arguments
 * `window`: `[kh, kw]` (or one number).
 *
 * ## Options
 * `stride` (default: the window), `padding` (default 0; padded positions never win).
 *
 * ## Inputs
 * `x`: `[batch, height, width, channels]`.
 *
 * ## Returns
 * `[batch, oh, ow, channels]` with `o = floor((i + pLo + pHi − k) / s) + 1`; the empty state.
 *
 * ## Parameters / States
 * None.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { MaxPool, setup, Xoshiro } from '@deqts/core-layers';
 * const pool = MaxPool([2, 2]);
 * const [ps, st] = setup(new Xoshiro(0), pool);
 * const [y] = pool(tf.zeros([1, 6, 6, 3]), ps, st); // [1, 3, 3, 3]
 * ```
 */
export function MaxPool(window: Pair, options: PoolOptions = {}): PoolLayer {
  return windowedPool('MaxPool', window, options);
}

/**
 * MeanPool(window, options): the mean over each `window` of every channel, as Lux's MeanPool
 * (padding counts as zeros in the mean).
 *
 * ## Arguments
 * `window`: `[kh, kw]` (or one number).
 *
 * ## Options
 * `stride` (default: the window), `padding` (default 0).
 *
 * ## Inputs
 * `x`: `[batch, height, width, channels]`.
 *
 * ## Returns
 * `[batch, oh, ow, channels]` with `o = floor((i + pLo + pHi − k) / s) + 1`; the empty state.
 *
 * ## Parameters / States
 * None.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { MeanPool, setup, Xoshiro } from '@deqts/core-layers';
 * const pool = MeanPool([3, 3], { stride: 1, padding: 1 });
 * const [ps, st] = setup(new Xoshiro(0), pool);
 * const [y] = pool(tf.ones([1, 4, 4, 2]), ps, st); // [1, 4, 4, 2]; corners 4/9
 * ```
 */
export function MeanPool(window: Pair, options: PoolOptions = {}): PoolLayer {
  return windowedPool('MeanPool', window, options);
}

/**
 * GlobalMeanPool(): the mean over height and width of every channel. Keeps the spatial axes, as
 * Lux does: `[batch, h, w, c]` → `[batch, 1, 1, c]` (follow with FlattenLayer for `[batch, c]`).
 *
 * ## Inputs / Returns
 * `[batch, height, width, channels]` → `[batch, 1, 1, channels]`; the empty state.
 *
 * ## Parameters / States
 * None.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { GlobalMeanPool, setup, Xoshiro } from '@deqts/core-layers';
 * const pool = GlobalMeanPool();
 * const [y] = pool(tf.ones([2, 5, 5, 3]), ...setup(new Xoshiro(0), pool)); // [2, 1, 1, 3]
 * ```
 */
export function GlobalMeanPool(): PoolLayer {
  return poolLayer('GlobalMeanPool', 'GlobalMeanPool()', (x) => tf.mean(x, [1, 2], true));
}

/**
 * GlobalMaxPool(): the maximum over height and width of every channel,
 * `[batch, h, w, c]` → `[batch, 1, 1, c]` (as Lux).
 *
 * ## Inputs / Returns
 * `[batch, height, width, channels]` → `[batch, 1, 1, channels]`; the empty state.
 *
 * ## Parameters / States
 * None.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { GlobalMaxPool, setup, Xoshiro } from '@deqts/core-layers';
 * const pool = GlobalMaxPool();
 * const [y] = pool(tf.ones([2, 5, 5, 3]), ...setup(new Xoshiro(0), pool)); // [2, 1, 1, 3]
 * ```
 */
export function GlobalMaxPool(): PoolLayer {
  return poolLayer('GlobalMaxPool', 'GlobalMaxPool()', (x) => tf.max(x, [1, 2], true));
}

/**
 * The window Lux's adaptive pooling uses to bring `size` to `out`: stride `floor(size / out)`,
 * kernel `size − (out − 1)·stride`, no padding.
 */
export function adaptiveWindow(size: number, out: number): { readonly kernel: number; readonly stride: number } {
  const stride = Math.floor(size / out);
  return { kernel: size - (out - 1) * stride, stride };
}

function adaptivePool(kind: 'AdaptiveMeanPool' | 'AdaptiveMaxPool', outSize: Pair): PoolLayer {
  const [oh, ow] = spatialArgument(kind, 'outSize', outSize);
  const description = `${kind}([${oh}, ${ow}])`;
  return poolLayer(kind, description, (x) => {
    const [, h, w] = x.shape;
    if (h < oh || w < ow) {
      throw new ShapeError(
        `${description} expects input of shape [batch, height ≥ ${oh}, width ≥ ${ow}, channels], got [${x.shape.join(', ')}]`,
      );
    }
    const rows = adaptiveWindow(h, oh);
    const cols = adaptiveWindow(w, ow);
    const pool = kind === 'AdaptiveMaxPool' ? tf.maxPool : tf.avgPool;
    return tf.tidy(() => pool(x, [rows.kernel, cols.kernel], [rows.stride, cols.stride], 'valid'));
  });
}

/**
 * AdaptiveMeanPool(outSize): mean pooling with the window chosen so the output has height and
 * width `outSize`, as Lux: stride `floor(in / out)`, window `in − (out − 1)·stride` (exact
 * non-overlapping windows when `in` is divisible by `out`).
 *
 * ## Arguments
 * `outSize`: `[oh, ow]` (or one number); each at most the input's size.
 *
 * ## Inputs / Returns
 * `[batch, height, width, channels]` → `[batch, oh, ow, channels]`; the empty state.
 *
 * ## Parameters / States
 * None.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { AdaptiveMeanPool, setup, Xoshiro } from '@deqts/core-layers';
 * const pool = AdaptiveMeanPool([4, 4]);
 * const [y] = pool(tf.ones([2, 28, 28, 16]), ...setup(new Xoshiro(0), pool)); // [2, 4, 4, 16]
 * ```
 */
export function AdaptiveMeanPool(outSize: Pair): PoolLayer {
  return adaptivePool('AdaptiveMeanPool', outSize);
}

/**
 * AdaptiveMaxPool(outSize): max pooling with the window chosen so the output has height and width
 * `outSize` (Lux's rule, as {@link AdaptiveMeanPool}).
 *
 * ## Arguments
 * `outSize`: `[oh, ow]` (or one number); each at most the input's size.
 *
 * ## Inputs / Returns
 * `[batch, height, width, channels]` → `[batch, oh, ow, channels]`; the empty state.
 *
 * ## Parameters / States
 * None.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { AdaptiveMaxPool, setup, Xoshiro } from '@deqts/core-layers';
 * const pool = AdaptiveMaxPool([2, 2]);
 * const [y] = pool(tf.ones([1, 7, 7, 3]), ...setup(new Xoshiro(0), pool)); // [1, 2, 2, 3]
 * ```
 */
export function AdaptiveMaxPool(outSize: Pair): PoolLayer {
  return adaptivePool('AdaptiveMaxPool', outSize);
}
