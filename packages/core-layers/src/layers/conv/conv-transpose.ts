import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { OptionError, ShapeError } from '../../core/errors.js';
import { defineLayer, type Layer } from '../../core/layer.js';
import { parseOptions } from '../../core/options.js';
import { expectShape } from '../../core/shape-checks.js';
import { glorotUniform, zeros, type Initializer } from '../../init/initializers.js';
import { activationName, resolveActivation, type Activation } from '../activations.js';
import { activationSchema, initializerSchema, positiveIntSchema } from '../schemas.js';
import { biasActivation, checkChannels } from './conv.js';
import { crossCorrelate, spreadAxis } from './conv-ops.js';
import {
  convTransposeOutputSize,
  effectiveKernel,
  expandPair,
  formatPair,
  formatSides,
  noPadding,
  paddingSchema,
  pairSchema,
  resolvePadding,
  spatialArgument,
  type Pair,
  type Padding,
  type Sides,
} from './geometry.js';

const nonNegativeInt = z.number().int().nonnegative();

const ConvTransposeOptionsSchema = z.strictObject({
  stride: pairSchema.default(1),
  padding: paddingSchema.default(0),
  outputPadding: z.union([nonNegativeInt, z.tuple([nonNegativeInt, nonNegativeInt])]).default(0),
  dilation: pairSchema.default(1),
  groups: positiveIntSchema.default(1),
  activation: activationSchema.optional(),
  useBias: z.boolean().default(true),
  crossCorrelation: z.boolean().default(false),
  initWeight: initializerSchema.optional(),
  initBias: initializerSchema.optional(),
});

/** Options of {@link ConvTranspose}. */
export type ConvTransposeOptions = {
  /** Upsampling step (the stride of the convolution this layer transposes). Default 1. */
  readonly stride?: Pair;
  /**
   * Padding of the convolution this layer transposes: it crops the output. A number, `[ph, pw]`,
   * `[top, bottom, left, right]`, `'valid'` (0) or `'same'` (Lux's: output = input·stride). Default 0.
   */
  readonly padding?: Padding;
  /** Extra rows/columns added at the bottom/right of the output (Lux's `outpad`). Default 0. */
  readonly outputPadding?: number | readonly [number, number];
  /** Spacing between kernel taps. Default 1. */
  readonly dilation?: Pair;
  /** Channel groups; both channel counts must be divisible by it. Default 1. */
  readonly groups?: number;
  /** Activation applied after the bias. Default identity. */
  readonly activation?: Activation;
  /** Add a bias. Default true. */
  readonly useBias?: boolean;
  /** Transpose a cross-correlation instead of a true convolution (Lux's default). Default false. */
  readonly crossCorrelation?: boolean;
  /** Weight initialiser. Default glorotUniform() (Lux's ConvTranspose default). */
  readonly initWeight?: Initializer;
  /** Bias initialiser. Default zeros() (Lux's ConvTranspose default). */
  readonly initBias?: Initializer;
};

/** Parameters of a ConvTranspose layer: weight `[kh, kw, outChannels / groups, inChannels]`, bias `[outChannels]`. */
export type ConvTransposeParams = { readonly weight: tf.Tensor4D; readonly bias?: tf.Tensor1D };

function samePadding(kernel: [number, number], stride: [number, number], dilation: [number, number]): Sides {
  // Lux: calc_padding(SamePad(), k − s + 1, dilation, stride).
  const reduced: [number, number] = [kernel[0] - stride[0] + 1, kernel[1] - stride[1] + 1];
  if (reduced[0] < 1 || reduced[1] < 1) {
    throw new OptionError(
      `ConvTranspose: padding 'same' needs a kernel at least as large as the stride on each axis; ` +
        `got kernel [${kernel.join(', ')}] and stride [${stride.join(', ')}]`,
    );
  }
  return resolvePadding('same', reduced, dilation);
}

/** The kernel of the adjoint convolution: per group, `[kh, kw, out/g, in/g]` → `[kh, kw, in/g, out/g]`. */
function adjointKernel(weight: tf.Tensor4D, groups: number): tf.Tensor4D {
  if (groups === 1) return tf.transpose(weight, [0, 1, 3, 2]);
  const parts = tf.split(weight, groups, 3).map((w) => tf.transpose(w, [0, 1, 3, 2]));
  return tf.concat(parts, 3) as tf.Tensor4D;
}

/**
 * ConvTranspose(kernel, inChannels, outChannels, options): the transpose (adjoint) of a 2-D
 * convolution, as Lux's ConvTranspose: it maps `[batch, h, w, inChannels]` to a larger image, e.g.
 * stride 2 doubles the size. Its output equals the gradient of `Conv(kernel, outChannels,
 * inChannels)` (same weight, stride, padding, dilation, groups) with respect to its input.
 *
 * ## Arguments
 * - `kernel`: `[kh, kw]` (or one number).
 * - `inChannels`, `outChannels`: positive integers, both divisible by `groups`.
 *
 * ## Options
 * `stride` (1), `padding` (0), `outputPadding` (0), `dilation` (1), `groups` (1), `activation`
 * (identity), `useBias` (true), `crossCorrelation` (false), `initWeight` (glorotUniform),
 * `initBias` (zeros) — Lux's defaults.
 *
 * ## Inputs
 * `x`: `[batch, height, width, inChannels]`.
 *
 * ## Returns
 * `[batch, oh, ow, outChannels]` with `o = (i − 1)s + 1 + d(k − 1) − pLo − pHi + outputPadding`,
 * and the unchanged (empty) state.
 *
 * ## Parameters
 * `weight` `[kh, kw, outChannels / groups, inChannels]`, `bias` `[outChannels]`:
 * `kh·kw·inChannels·outChannels / groups + outChannels` numbers, as in Lux.
 *
 * ## States
 * None (`{}`).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { ConvTranspose, setup, Xoshiro } from '@deqts/core-layers';
 * const up = ConvTranspose([2, 2], 8, 4, { stride: 2 });
 * const [ps, st] = setup(new Xoshiro(0), up);
 * const [y] = up(tf.zeros([1, 5, 5, 8]), ps, st); // [1, 10, 10, 4]
 * ```
 */
export function ConvTranspose(
  kernel: Pair,
  inChannels: number,
  outChannels: number,
  options: ConvTransposeOptions = {},
): Layer<tf.Tensor, tf.Tensor, ConvTransposeParams, Record<string, never>> {
  const kernelSize = spatialArgument('ConvTranspose', 'kernel', kernel);
  const opts = parseOptions(ConvTransposeOptionsSchema, options, 'ConvTranspose');
  checkChannels('ConvTranspose', inChannels, outChannels, opts.groups);
  const stride = expandPair(opts.stride);
  const dilation = expandPair(opts.dilation);
  const outputPadding = expandPair(opts.outputPadding as Pair);
  const sides = opts.padding === 'same' ? samePadding(kernelSize, stride, dilation) : resolvePadding(opts.padding, kernelSize, dilation);
  const groups = opts.groups;
  const activation = opts.activation as Activation | undefined;
  const act = resolveActivation(activation, 'ConvTranspose');
  const weightShape = [kernelSize[0], kernelSize[1], outChannels / groups, inChannels] as const;
  const initWeight = (opts.initWeight as Initializer | undefined) ?? glorotUniform();
  const initBias = (opts.initBias as Initializer | undefined) ?? zeros();
  const [eh, ew] = effectiveKernel(kernelSize, dilation);
  // The adjoint of a (padded, strided) convolution is a stride-1 convolution of the input spread
  // out by the stride, padded by k_eff − 1 − p on each side (negative: cropped).
  const adjointSides: Sides = [
    eh - 1 - sides[0],
    eh - 1 - sides[1] + outputPadding[0],
    ew - 1 - sides[2],
    ew - 1 - sides[3] + outputPadding[1],
  ];
  const flipped = opts.crossCorrelation && (kernelSize[0] > 1 || kernelSize[1] > 1);
  const actName = activationName(activation);
  const extras = [
    actName === 'identity' ? '' : actName,
    noPadding(sides) ? '' : `padding=${formatSides(sides)}`,
    stride[0] === 1 && stride[1] === 1 ? '' : `stride=${formatPair(stride)}`,
    dilation[0] === 1 && dilation[1] === 1 ? '' : `dilation=${formatPair(dilation)}`,
    groups === 1 ? '' : `groups=${groups}`,
    outputPadding[0] === 0 && outputPadding[1] === 0 ? '' : `outputPadding=${formatPair(outputPadding)}`,
    opts.useBias ? '' : 'useBias=false',
    opts.crossCorrelation ? 'crossCorrelation=true' : '',
  ].filter((s) => s !== '');
  const description = `ConvTranspose([${kernelSize.join(', ')}], ${inChannels} => ${outChannels}${extras.map((s) => `, ${s}`).join('')})`;
  return defineLayer<tf.Tensor, tf.Tensor, ConvTransposeParams, Record<string, never>>({
    name: 'ConvTranspose',
    description,
    parameterShapes: opts.useBias ? { weight: weightShape, bias: [outChannels] } : { weight: weightShape },
    stateKeys: [],
    initialParameters: (rng) => {
      const weight = initWeight(rng, weightShape) as tf.Tensor4D;
      return opts.useBias ? { weight, bias: initBias(rng, [outChannels]) as tf.Tensor1D } : { weight };
    },
    initialStates: () => ({}),
    forward: (x, ps, st) => {
      expectShape(x, description, { rank: 4, trailing: [inChannels], expected: ['batch', 'height', 'width', inChannels] });
      const [, h, w] = (x as tf.Tensor4D).shape;
      const oh = convTransposeOutputSize(h, kernelSize[0], stride[0], sides[0], sides[1], dilation[0], outputPadding[0]);
      const ow = convTransposeOutputSize(w, kernelSize[1], stride[1], sides[2], sides[3], dilation[1], outputPadding[1]);
      if (oh < 1 || ow < 1) {
        throw new ShapeError(`${description}: input of shape [${x.shape.join(', ')}] gives an empty output [${oh}, ${ow}]; reduce the padding`);
      }
      const y = tf.tidy(() => {
        const weight = flipped ? (tf.reverse(ps.weight, [0, 1]) as tf.Tensor4D) : ps.weight;
        const spread = spreadAxis(spreadAxis(x as tf.Tensor4D, 1, stride[0]), 2, stride[1]);
        const z = crossCorrelate(spread, adjointKernel(weight, groups), { stride: [1, 1], sides: adjointSides, dilation, groups });
        return biasActivation(z, ps.bias, act);
      });
      return [y, st];
    },
  });
}
