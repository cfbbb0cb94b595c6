import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { OptionError } from '../../core/errors.js';
import { defineLayer, type Layer } from '../../core/layer.js';
import { parseOptions } from '../../core/options.js';
import { expectShape } from '../../core/shape-checks.js';
import { kaimingUniform, uniformInit, type Initializer } from '../../init/initializers.js';
import { activationGain, activationName, resolveActivation, type Activation } from '../activations.js';
import { activationSchema, initializerSchema, positiveInt, positiveIntSchema } from '../schemas.js';
import { crossCorrelate } from './conv-ops.js';
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
} from './geometry.js';

const ConvOptionsSchema = z.strictObject({
  stride: pairSchema.default(1),
  padding: paddingSchema.default(0),
  dilation: pairSchema.default(1),
  groups: positiveIntSchema.default(1),
  activation: activationSchema.optional(),
  useBias: z.boolean().default(true),
  crossCorrelation: z.boolean().default(false),
  initWeight: initializerSchema.optional(),
  initBias: initializerSchema.optional(),
});

/** Options of {@link Conv}. */
export type ConvOptions = {
  /** Step of the kernel over height and width. Default 1. */
  readonly stride?: Pair;
  /** Zero padding (see {@link Padding}). Default 0, as in Lux. */
  readonly padding?: Padding;
  /** Spacing between kernel taps. Default 1. */
  readonly dilation?: Pair;
  /** Channel groups; both channel counts must be divisible by it (`inChannels` = depthwise). Default 1. */
  readonly groups?: number;
  /** Activation applied after the bias (name or function). Default identity. */
  readonly activation?: Activation;
  /** Add a bias. Default true. */
  readonly useBias?: boolean;
  /**
   * Cross-correlate (PyTorch, TensorFlow) instead of convolving with the spatially flipped kernel
   * (Lux's default). Default false. The two differ only by a flip of the kernel.
   */
  readonly crossCorrelation?: boolean;
  /** Weight initialiser. Default Lux's: U(±gain·√(3 / fanIn)), fanIn = kh·kw·inChannels/groups. */
  readonly initWeight?: Initializer;
  /** Bias initialiser. Default Lux's: U(±1/√fanIn). */
  readonly initBias?: Initializer;
};

/** Parameters of a Conv layer: weight `[kh, kw, inChannels / groups, outChannels]`, bias `[outChannels]`. */
export type ConvParams = { readonly weight: tf.Tensor4D; readonly bias?: tf.Tensor1D };

/** Checks the channel arguments shared by Conv and ConvTranspose. */
export function checkChannels(owner: string, inChannels: unknown, outChannels: unknown, groups: number): void {
  positiveInt(owner, 'inChannels', inChannels);
  positiveInt(owner, 'outChannels', outChannels);
  for (const [name, value] of [
    ['inChannels', inChannels],
    ['outChannels', outChannels],
  ] as const) {
    if (value % groups !== 0) {
      throw new OptionError(`${owner}: ${name} (${value}) must be divisible by option 'groups' (${groups})`);
    }
  }
}

/** Adds the bias (if any) and applies the activation: the tail shared by Conv and ConvTranspose. */
export function biasActivation(y: tf.Tensor4D, bias: tf.Tensor1D | undefined, activation: (x: tf.Tensor) => tf.Tensor): tf.Tensor4D {
  return activation(bias ? tf.add(y, bias) : y) as tf.Tensor4D;
}

/**
 * Conv(kernel, inChannels, outChannels, options): a 2-D convolution over NHWC images,
 * `y = activation(conv(x, weight) + bias)`, with Lux's semantics and defaults.
 *
 * ## Arguments
 * - `kernel`: `[kh, kw]` (or one number for a square kernel).
 * - `inChannels`, `outChannels`: positive integers, both divisible by `groups`.
 *
 * ## Options
 * `stride` (1), `padding` (0; a number, `[ph, pw]`, `[top, bottom, left, right]`, `'same'` or
 * `'valid'`), `dilation` (1), `groups` (1), `activation` (identity), `useBias` (true),
 * `crossCorrelation` (false: true convolution, like Lux), `initWeight`, `initBias` (Lux's defaults).
 *
 * ## Inputs
 * `x`: `[batch, height, width, inChannels]`.
 *
 * ## Returns
 * `[batch, oh, ow, outChannels]` with `o = floor((i + pLo + pHi − d(k − 1) − 1) / s) + 1`, and the
 * unchanged (empty) state.
 *
 * ## Parameters
 * `weight` `[kh, kw, inChannels / groups, outChannels]`, `bias` `[outChannels]`:
 * `kh·kw·inChannels·outChannels / groups + outChannels` numbers, as in Lux.
 *
 * ## States
 * None (`{}`).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { Conv, parameterCount, setup, Xoshiro } from '@deqts/core-layers';
 * const conv = Conv([3, 3], 3, 16, { padding: 1, activation: 'relu' });
 * parameterCount(conv); // 448
 * const [ps, st] = setup(new Xoshiro(0), conv);
 * const [y] = conv(tf.zeros([2, 8, 8, 3]), ps, st); // [2, 8, 8, 16]
 * ```
 */
export function Conv(
  kernel: Pair,
  inChannels: number,
  outChannels: number,
  options: ConvOptions = {},
): Layer<tf.Tensor, tf.Tensor, ConvParams, Record<string, never>> {
  const kernelSize = spatialArgument('Conv', 'kernel', kernel);
  const opts = parseOptions(ConvOptionsSchema, options, 'Conv');
  checkChannels('Conv', inChannels, outChannels, opts.groups);
  const stride = expandPair(opts.stride);
  const dilation = expandPair(opts.dilation);
  const sides = resolvePadding(opts.padding, kernelSize, dilation);
  const groups = opts.groups;
  const activation = opts.activation as Activation | undefined;
  const act = resolveActivation(activation, 'Conv');
  const weightShape = [kernelSize[0], kernelSize[1], inChannels / groups, outChannels] as const;
  const fanIn = kernelSize[0] * kernelSize[1] * (inChannels / groups);
  const initWeight = (opts.initWeight as Initializer | undefined) ?? kaimingUniform({ gain: activationGain(activation) });
  const initBias = (opts.initBias as Initializer | undefined) ?? uniformInit(1 / Math.sqrt(fanIn));
  const actName = activationName(activation);
  // A 1×1 kernel is its own flip.
  const flipped = !opts.crossCorrelation && (kernelSize[0] > 1 || kernelSize[1] > 1);
  const extras = [
    actName === 'identity' ? '' : actName,
    noPadding(sides) ? '' : `padding=${formatSides(sides)}`,
    stride[0] === 1 && stride[1] === 1 ? '' : `stride=${formatPair(stride)}`,
    dilation[0] === 1 && dilation[1] === 1 ? '' : `dilation=${formatPair(dilation)}`,
    groups === 1 ? '' : `groups=${groups}`,
    opts.useBias ? '' : 'useBias=false',
    opts.crossCorrelation ? 'crossCorrelation=true' : '',
  ].filter((s) => s !== '');
  const description = `Conv([${kernelSize.join(', ')}], ${inChannels} => ${outChannels}${extras.map((s) => `, ${s}`).join('')})`;
  return defineLayer<tf.Tensor, tf.Tensor, ConvParams, Record<string, never>>({
    name: 'Conv',
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
      slidingOutputShape(description, x.shape, kernelSize, stride, sides, dilation);
      const y = tf.tidy(() => {
        const w = flipped ? (tf.reverse(ps.weight, [0, 1]) as tf.Tensor4D) : ps.weight;
        const z = crossCorrelate(x as tf.Tensor4D, w, { stride, sides, dilation, groups });
        return biasActivation(z, ps.bias, act);
      });
      return [y, st];
    },
  });
}
