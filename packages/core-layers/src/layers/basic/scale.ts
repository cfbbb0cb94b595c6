import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { OptionError, ShapeError } from '../../core/errors.js';
import { defineLayer, type Layer } from '../../core/layer.js';
import { parseOptions } from '../../core/options.js';
import { glorotUniform, zeros, type Initializer } from '../../init/initializers.js';
import { activationName, resolveActivation, type Activation } from '../activations.js';
import { activationSchema, initializerSchema } from '../schemas.js';

const ScaleSchema = z.strictObject({
  activation: activationSchema.optional(),
  useBias: z.boolean().default(true),
  initWeight: initializerSchema.optional(),
  initBias: initializerSchema.optional(),
});

/** Options of {@link Scale}. */
export type ScaleOptions = {
  /** Activation applied after the elementwise affine map (name or function). Default identity. */
  readonly activation?: Activation;
  /** Add a bias. Default true. */
  readonly useBias?: boolean;
  /** Weight initialiser. Default Glorot uniform, as Lux's code (its docstring says ones). */
  readonly initWeight?: Initializer;
  /** Bias initialiser. Default zeros. */
  readonly initBias?: Initializer;
};

/** Parameters of a Scale layer: `weight` and (with useBias) `bias`, both of shape `dims`. */
export type ScaleParams = { readonly weight: tf.Tensor; readonly bias?: tf.Tensor };

/**
 * Glorot uniform with Lux's fan rule for a vector (fanIn 1, fanOut n, "a vector is an n×1
 * matrix"): U(±√(6/(1+n))); other shapes as {@link glorotUniform}.
 */
function luxGlorotUniform(): Initializer {
  return (rng, shape) =>
    shape.length === 1
      ? tf.tensor(rng.uniformArray(shape[0], -Math.sqrt(6 / (1 + shape[0])), Math.sqrt(6 / (1 + shape[0]))), [shape[0]], 'float32')
      : glorotUniform()(rng, shape);
}

/**
 * Scale(dims, options): an elementwise affine map, `y = activation(weight ⊙ x + bias)`, with
 * `weight` and `bias` of shape `dims` broadcast over the batch (Lux's `Scale`).
 *
 * ## Arguments
 * - `dims`: the trailing input shape, a positive integer or an array of them (a size of 1
 *   broadcasts).
 *
 * ## Options
 * `activation` (identity), `useBias` (true), `initWeight` (Glorot uniform, as Lux's code),
 * `initBias` (zeros).
 *
 * ## Inputs
 * `x`: `[batch, …, ...dims]`.
 *
 * ## Returns
 * `activation(weight ⊙ x + bias)`, the shape of `x`, and the unchanged (empty) state.
 *
 * ## Parameters
 * `weight` and `bias` of shape `dims` (Lux: 2·prod(dims) numbers; prod(dims) without bias).
 *
 * ## States
 * None (`{}`).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { Scale, parameterCount, setup, Xoshiro } from '@deqts/core-layers';
 * const s = Scale([4], { activation: 'tanh' });
 * parameterCount(s); // 8
 * const [ps, st] = setup(new Xoshiro(0), s);
 * const [y] = s(tf.ones([2, 4]), ps, st); // [2, 4]
 * ```
 */
export function Scale(dims: number | readonly number[], options: ScaleOptions = {}): Layer<tf.Tensor, tf.Tensor, ScaleParams, Record<string, never>> {
  const shape = typeof dims === 'number' ? [dims] : Array.isArray(dims) ? [...dims] : [];
  if (shape.length === 0 || shape.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw new OptionError(`Scale: argument 'dims' must be a positive integer or a non-empty array of them, got ${JSON.stringify(dims)}`);
  }
  const opts = parseOptions(ScaleSchema, options, 'Scale');
  const act = resolveActivation(opts.activation as Activation | undefined, 'Scale');
  const actName = activationName(opts.activation as Activation | undefined);
  const initWeight = (opts.initWeight as Initializer | undefined) ?? luxGlorotUniform();
  const initBias = (opts.initBias as Initializer | undefined) ?? zeros();
  const description = `Scale([${shape.join(', ')}]${actName === 'identity' ? '' : `, ${actName}`}${opts.useBias ? '' : ', useBias=false'})`;
  const expected = `[batch, …, ${shape.join(', ')}]`;
  return defineLayer<tf.Tensor, tf.Tensor, ScaleParams, Record<string, never>>({
    name: 'Scale',
    description,
    parameterShapes: opts.useBias ? { weight: shape, bias: shape } : { weight: shape },
    stateKeys: [],
    initialParameters: (rng) => {
      const weight = initWeight(rng, shape);
      return opts.useBias ? { weight, bias: initBias(rng, shape) } : { weight };
    },
    initialStates: () => ({}),
    forward: (x, ps, st) => {
      const offset = x instanceof tf.Tensor ? x.rank - shape.length : -1;
      if (!(x instanceof tf.Tensor) || offset < 1 || shape.some((d, i) => d !== 1 && x.shape[offset + i] !== d)) {
        const got = x instanceof tf.Tensor ? `[${x.shape.join(', ')}]` : typeof x;
        throw new ShapeError(`${description} expects input of shape ${expected}, got ${got}`);
      }
      const y = tf.tidy(() => {
        let out = tf.mul(x, ps.weight);
        if (ps.bias) out = tf.add(out, ps.bias);
        return act(out);
      });
      return [y, st];
    },
  });
}
