import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { OptionError, ShapeError } from '../../core/errors.js';
import { defineLayer, type Layer } from '../../core/layer.js';
import { parseOptions } from '../../core/options.js';
import { expectShape } from '../../core/shape-checks.js';
import { expandPair, formatPair, pairSchema } from './geometry.js';

const positiveNumber = z.number().positive().finite();

const UpsampleOptionsSchema = z.strictObject({
  scale: z.union([positiveNumber, z.tuple([positiveNumber, positiveNumber])]).optional(),
  size: pairSchema.optional(),
  mode: z.enum(['nearest', 'bilinear']).default('nearest'),
  alignCorners: z.boolean().default(true),
});

/** Options of {@link Upsample}: exactly one of `scale` and `size`. */
export type UpsampleOptions = {
  /** Factor along height and width (one number or `[sh, sw]`); integers for 'nearest'. */
  readonly scale?: number | readonly [number, number];
  /** Output `[height, width]` (or one number); for 'nearest' a multiple of the input size. */
  readonly size?: number | readonly [number, number];
  /** 'nearest' (repeat pixels; default) or 'bilinear'. */
  readonly mode?: 'nearest' | 'bilinear';
  /**
   * Bilinear only: align the corner pixels of input and output (sample at `o·(in − 1)/(out − 1)`).
   * Default true: what Lux's Upsample computes (it calls NNlib's `upsample_bilinear`, whose default
   * is `align_corners = true`). false samples at `(o + ½)·in/out − ½` (PyTorch's default).
   */
  readonly alignCorners?: boolean;
};

/**
 * The `[out, in]` matrix of 1-D linear interpolation from `inSize` to `outSize` samples, as
 * NNlib's `upsample_linear` (source index clamped to the input).
 */
export function linearInterpolationMatrix(inSize: number, outSize: number, alignCorners: boolean): Float32Array {
  const m = new Float32Array(outSize * inSize);
  for (let o = 0; o < outSize; o++) {
    const source = alignCorners
      ? outSize > 1
        ? (o * (inSize - 1)) / (outSize - 1)
        : 0
      : Math.max(0, ((o + 0.5) * inSize) / outSize - 0.5);
    const i0 = Math.min(Math.floor(source), inSize - 1);
    const i1 = Math.min(i0 + 1, inSize - 1);
    const t = source - i0;
    m[o * inSize + i0] += 1 - t;
    m[o * inSize + i1] += t;
  }
  return m;
}

/** Applies `[out, in]` matrix `m` along `axis` (1 = height, 2 = width) of an NHWC tensor. */
function interpolateAxis(x: tf.Tensor4D, axis: 1 | 2, m: Float32Array, outSize: number): tf.Tensor4D {
  // Bring `axis` to the front, contract it with a matmul, and put it back.
  const perm = axis === 1 ? [1, 0, 2, 3] : [2, 0, 1, 3];
  const moved = tf.transpose(x, perm);
  const [n, ...rest] = moved.shape;
  const product = tf.matMul(tf.tensor2d(m, [outSize, n]), tf.reshape(moved, [n, -1]));
  const back = tf.reshape(product, [outSize, ...rest]);
  return tf.transpose(back, axis === 1 ? [1, 0, 2, 3] : [1, 2, 0, 3]) as tf.Tensor4D;
}

/** Repeats every entry along `axis` (1 or 2) of an NHWC tensor `factor` times. */
function repeatAxis(x: tf.Tensor4D, axis: 1 | 2, factor: number): tf.Tensor4D {
  if (factor === 1) return x;
  const [b, h, w, c] = x.shape;
  // A broadcasting multiply (rank 4): its gradient is a plain sum on every backend.
  const column = axis === 1 ? tf.reshape(x, [b, h, 1, w * c]) : tf.reshape(x, [b * h, w, 1, c]);
  const repeated = tf.mul(column, tf.ones([1, 1, factor, 1]));
  return tf.reshape(repeated, axis === 1 ? [b, h * factor, w, c] : [b, h, w * factor, c]);
}

/**
 * Upsample(options): enlarges NHWC images by `scale` or to `size`, by nearest-neighbour repetition
 * or bilinear interpolation, as Lux's Upsample. Bilinear interpolation is computed as two small
 * matrix products (one per axis), so its gradient is exact on every backend (tfjs's own
 * resizeBilinear gradient is wrong on the cpu backend for non-square images).
 *
 * ## Options
 * `scale` or `size` (exactly one), `mode` ('nearest' | 'bilinear'; default 'nearest'),
 * `alignCorners` (bilinear only; default true, as Lux computes).
 *
 * ## Inputs
 * `x`: `[batch, height, width, channels]`.
 *
 * ## Returns
 * `[batch, oh, ow, channels]` with `o = floor(scale·i)` or `size`; the empty state.
 *
 * ## Parameters / States
 * None.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { Upsample, setup, Xoshiro } from '@deqts/core-layers';
 * const up = Upsample({ scale: 2, mode: 'bilinear' });
 * const [y] = up(tf.ones([1, 3, 4, 2]), ...setup(new Xoshiro(0), up)); // [1, 6, 8, 2]
 * ```
 */
export function Upsample(options: UpsampleOptions): Layer<tf.Tensor, tf.Tensor, Record<string, never>, Record<string, never>> {
  const opts = parseOptions(UpsampleOptionsSchema, options, 'Upsample');
  if ((opts.scale === undefined) === (opts.size === undefined)) {
    throw new OptionError("Upsample: give exactly one of the options 'scale' and 'size'");
  }
  const scale = opts.scale === undefined ? undefined : expandPair(opts.scale);
  const size = opts.size === undefined ? undefined : expandPair(opts.size);
  if (opts.mode === 'nearest' && scale && !scale.every(Number.isInteger)) {
    throw new OptionError(`Upsample: option 'scale' must be integers in mode 'nearest', got ${formatPair(scale)}; use mode 'bilinear'`);
  }
  const extras = [
    opts.mode,
    scale ? `scale=${formatPair(scale)}` : `size=[${size?.join(', ')}]`,
    opts.mode === 'bilinear' && !opts.alignCorners ? 'alignCorners=false' : '',
  ].filter((s) => s !== '');
  const description = `Upsample(${extras.join(', ')})`;
  return defineLayer<tf.Tensor, tf.Tensor, Record<string, never>, Record<string, never>>({
    name: 'Upsample',
    description,
    parameterShapes: {},
    stateKeys: [],
    initialParameters: () => ({}),
    initialStates: () => ({}),
    forward: (x, _ps, st) => {
      expectShape(x, description, { rank: 4, expected: ['batch', 'height', 'width', 'channels'] });
      const [, h, w] = x.shape;
      const [sh, sw] = scale ?? [1, 1];
      const [oh, ow] = size ?? [Math.floor(sh * h), Math.floor(sw * w)];
      if (oh < 1 || ow < 1) throw new ShapeError(`${description}: input of shape [${x.shape.join(', ')}] gives an empty output`);
      const y = tf.tidy(() => {
        const x4 = x as tf.Tensor4D;
        if (opts.mode === 'nearest') {
          if (oh % h !== 0 || ow % w !== 0) {
            throw new ShapeError(
              `${description} expects an input whose height and width divide [${oh}, ${ow}], got [${x.shape.join(', ')}]`,
            );
          }
          const repeated = repeatAxis(repeatAxis(x4, 1, oh / h), 2, ow / w);
          return repeated === x4 ? tf.clone(x4) : repeated; // never hand back the caller's tensor
        }
        const rows = interpolateAxis(x4, 1, linearInterpolationMatrix(h, oh, opts.alignCorners), oh);
        return interpolateAxis(rows, 2, linearInterpolationMatrix(w, ow, opts.alignCorners), ow);
      });
      return [y, st];
    },
  });
}
