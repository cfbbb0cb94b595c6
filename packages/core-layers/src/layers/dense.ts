import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { defineLayer, type Layer } from '../core/layer.js';
import { parseOptions } from '../core/options.js';
import { expectShape } from '../core/shape-checks.js';
import { kaimingUniform, uniformInit, type Initializer } from '../init/initializers.js';
import { activationGain, activationName, resolveActivation, type Activation } from './activations.js';
import { positiveInt, activationSchema, initializerSchema } from './schemas.js';

const DenseOptions = z.strictObject({
  activation: activationSchema.optional(),
  useBias: z.boolean().default(true),
  initWeight: initializerSchema.optional(),
  initBias: initializerSchema.optional(),
});

/** Options of {@link Dense}. */
export type DenseOptions = {
  /** Activation applied after the affine map (name or function). Default identity. */
  readonly activation?: Activation;
  /** Add a bias. Default true. */
  readonly useBias?: boolean;
  /** Weight initialiser. Default U(±gain·√(3/in)) with the activation's gain (Lux's default). */
  readonly initWeight?: Initializer;
  /** Bias initialiser. Default U(±1/√in) (Lux's default). */
  readonly initBias?: Initializer;
};

/** Parameters of a Dense layer: weight [out, in] and (with useBias) bias [out]. */
export type DenseParams = { readonly weight: tf.Tensor2D; readonly bias?: tf.Tensor1D };

/**
 * Dense(inFeatures, outFeatures, options): `y = activation(x·Wᵀ + b)`.
 *
 * ## Arguments
 * - `inFeatures`, `outFeatures`: positive integers.
 *
 * ## Options
 * `activation` (default identity), `useBias` (true), `initWeight`, `initBias` (Lux's defaults).
 *
 * ## Inputs
 * `x`: `[..., inFeatures]` (rank ≥ 1; usually `[batch, inFeatures]`).
 *
 * ## Returns
 * `[..., outFeatures]` and the unchanged (empty) state.
 *
 * ## Parameters
 * `weight` `[outFeatures, inFeatures]`, `bias` `[outFeatures]` (Lux: in·out + out numbers).
 *
 * ## States
 * None (`{}`).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { Dense, setup, parameterCount, Xoshiro } from '@deqts/core-layers';
 * const d = Dense(784, 128, { activation: 'relu' });
 * parameterCount(d); // 100480
 * const [ps, st] = setup(new Xoshiro(0), d);
 * const [y] = d(tf.zeros([32, 784]), ps, st); // [32, 128]
 * ```
 */
export function Dense(inFeatures: number, outFeatures: number, options: DenseOptions = {}): Layer<tf.Tensor, tf.Tensor, DenseParams, Record<string, never>> {
  positiveInt('Dense', 'inFeatures', inFeatures);
  positiveInt('Dense', 'outFeatures', outFeatures);
  const opts = parseOptions(DenseOptions, options, 'Dense');
  const act = resolveActivation(opts.activation as Activation | undefined, 'Dense');
  const actName = activationName(opts.activation as Activation | undefined);
  const initWeight = (opts.initWeight as Initializer | undefined) ?? kaimingUniform({ gain: activationGain(opts.activation as Activation | undefined) });
  const initBias = (opts.initBias as Initializer | undefined) ?? uniformInit(1 / Math.sqrt(inFeatures));
  const description = `Dense(${inFeatures} => ${outFeatures}${actName === 'identity' ? '' : `, ${actName}`}${opts.useBias ? '' : ', useBias=false'})`;
  return defineLayer<tf.Tensor, tf.Tensor, DenseParams, Record<string, never>>({
    name: 'Dense',
    description,
    parameterShapes: opts.useBias ? { weight: [outFeatures, inFeatures], bias: [outFeatures] } : { weight: [outFeatures, inFeatures] },
    stateKeys: [],
    initialParameters: (rng) => {
      const weight = initWeight(rng, [outFeatures, inFeatures]) as tf.Tensor2D;
      return opts.useBias ? { weight, bias: initBias(rng, [outFeatures]) as tf.Tensor1D } : { weight };
    },
    initialStates: () => ({}),
    forward: (x, ps, st) => {
      expectShape(x, description, { trailing: [inFeatures], expected: ['batch', inFeatures] });
      const y = tf.tidy(() => {
        const flat = x.rank === 2 ? x : tf.reshape(x, [-1, inFeatures]);
        let out: tf.Tensor = tf.matMul(flat, ps.weight, false, true);
        if (ps.bias) out = tf.add(out, ps.bias);
        out = act(out);
        return x.rank === 2 ? out : tf.reshape(out, [...x.shape.slice(0, -1), outFeatures]);
      });
      return [y, st];
    },
  });
}
