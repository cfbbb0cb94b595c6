import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { OptionError, StateStructureError } from '../../core/errors.js';
import { defineLayer, type AnyLayer, type InputOf, type Layer, type OutputOf, type Params, type StatesOf } from '../../core/layer.js';
import { parseOptions } from '../../core/options.js';
import { isTensor, isTreeNode } from '../../core/tree.js';
import { range } from './common.js';

const axesSchema = z.union([z.number().int(), z.array(z.number().int())]);

const WeightNormSchema = z.strictObject({
  whichParams: z.array(z.string().min(1)).min(1).default(['weight']),
  dims: z.array(axesSchema).optional(),
});

/** Options of {@link WeightNorm}. */
export type WeightNormOptions = {
  /** Names of the layer's parameters to reparametrise. Default `['weight']`. */
  readonly whichParams?: readonly string[];
  /**
   * For each parameter of `whichParams`, the axis (or axes) the norm is *not* taken over: `g` has
   * the parameter's size along them and 1 elsewhere (Lux's `dims`). Default: the last axis of
   * each parameter — for a Dense weight `[out, in]` one norm per input column, for a conv kernel
   * `[kh, kw, cin, cout]` one norm per output channel, as Lux's default.
   */
  readonly dims?: readonly (number | readonly number[])[];
};

/**
 * Parameters of a WeightNorm layer: `normalized` holds `<name>_g` and `<name>_v` for each
 * reparametrised parameter, `unnormalized` the layer's other parameters unchanged.
 */
export type WeightNormParams = {
  readonly normalized: { readonly [name: string]: tf.Tensor };
  readonly unnormalized: Params;
};

const FLOAT32_EPSILON = 1.1920928955078125e-7;

/**
 * WeightNorm(layer, options): weight normalisation (Salimans & Kingma 2016) of some of a layer's
 * parameters. Each parameter `w` in `whichParams` is stored as a direction `w_v` and a magnitude
 * `w_g`, and the layer is called with `w = w_g · w_v / (‖w_v‖ + ε)` (ε = float32 machine epsilon,
 * as Lux), the norm taken over every axis except those in `dims`.
 *
 * At setup, `w_v` is the layer's initial `w` and `w_g` its norm, so the initial function is the
 * layer's. A reparametrised parameter that is all zeros is an OptionError (its norm is zero,
 * which gives NaN gradients), as Lux's ArgumentError.
 *
 * ## Arguments
 * - `layer`: the layer whose parameters are reparametrised (a leaf layer such as Dense or Conv).
 *
 * ## Options
 * `whichParams` (`['weight']`), `dims` (the last axis of each parameter).
 *
 * ## Inputs / Returns
 * Those of `layer`.
 *
 * ## Parameters
 * `{ normalized: { weight_g, weight_v, … }, unnormalized: { bias, … } }` (Lux's structure).
 *
 * ## States
 * Those of `layer`.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { Dense, WeightNorm, setup, Xoshiro } from '@deqts/core-layers';
 * const wn = WeightNorm(Dense(3, 2));
 * const [ps, st] = setup(new Xoshiro(0), wn);
 * // ps: { normalized: { weight_g: [1, 3], weight_v: [2, 3] }, unnormalized: { bias: [2] } }
 * const [y] = wn(tf.ones([4, 3]), ps, st); // [4, 2]
 * ```
 */
export function WeightNorm<L extends AnyLayer>(
  layer: L,
  options: WeightNormOptions = {},
): Layer<InputOf<L>, OutputOf<L>, WeightNormParams, StatesOf<L>> {
  if (typeof layer !== 'function' || !('initialParameters' in layer)) {
    throw new OptionError(`WeightNorm: argument 'layer' must be a layer, got ${typeof layer}`);
  }
  const opts = parseOptions(WeightNormSchema, options, 'WeightNorm');
  const which = opts.whichParams;
  if (new Set(which).size !== which.length) throw new OptionError(`WeightNorm: option 'whichParams' repeats a name: [${which.join(', ')}]`);
  if (opts.dims && opts.dims.length !== which.length) {
    throw new OptionError(
      `WeightNorm: option 'dims' must give one entry per parameter of 'whichParams' (${which.length}), got ${opts.dims.length}`,
    );
  }
  const description = `WeightNorm(${layer.description}, whichParams=[${which.join(', ')}]${
    opts.dims ? `, dims=${JSON.stringify(opts.dims)}` : ''
  })`;

  /** The axes the norm of parameter i (of the given rank) is taken over. */
  const reducedAxes = (i: number, rank: number): number[] => {
    const given = opts.dims?.[i];
    const kept = given === undefined ? [rank - 1] : typeof given === 'number' ? [given] : given;
    const resolved = kept.map((a) => {
      if (a < -rank || a >= rank) {
        throw new OptionError(`${description}: axis ${a} in option 'dims' is out of range for parameter '${which[i]}' of rank ${rank}`);
      }
      return a < 0 ? a + rank : a;
    });
    return range(rank).filter((a) => !resolved.includes(a));
  };
  const normOf = (v: tf.Tensor, axes: number[]): tf.Tensor => (axes.length === 0 ? tf.abs(v) : tf.sqrt(tf.sum(tf.square(v), axes, true)));

  return defineLayer<InputOf<L>, OutputOf<L>, WeightNormParams, StatesOf<L>>({
    name: 'WeightNorm',
    description,
    children: { layer },
    initialParameters: (rng) => {
      const inner = layer.initialParameters(rng) as Record<string, unknown>;
      const missing = which.filter((k) => !isTensor(inner[k]));
      if (missing.length > 0) {
        for (const leaf of Object.values(inner)) if (isTensor(leaf)) leaf.dispose();
        throw new OptionError(
          `${description}: the layer has no tensor parameter ${missing.map((k) => `'${k}'`).join(', ')}; its parameters are {${Object.keys(inner).join(', ')}}`,
        );
      }
      const normalized: Record<string, tf.Tensor> = {};
      const unnormalized: Record<string, unknown> = {};
      for (const [k, value] of Object.entries(inner)) {
        const i = which.indexOf(k);
        if (i < 0) {
          unnormalized[k] = value;
          continue;
        }
        const v = value as tf.Tensor;
        if (v.dataSync().every((e) => e === 0)) {
          for (const leaf of Object.values(inner)) if (isTensor(leaf)) leaf.dispose();
          for (const t of Object.values(normalized)) t.dispose();
          const init = `init${k.charAt(0).toUpperCase()}${k.slice(1)}`;
          throw new OptionError(
            `${description}: parameter '${k}' is completely zero. This gives NaN gradients (its norm is zero). ` +
              `Either remove '${k}' from 'whichParams' or change the layer's initialisation (typically its '${init}' option).`,
          );
        }
        normalized[`${k}_g`] = tf.tidy(() => normOf(v, reducedAxes(i, v.rank)));
        normalized[`${k}_v`] = v;
      }
      return { normalized, unnormalized: unnormalized as Params };
    },
    initialStates: (rng) => layer.initialStates(rng) as StatesOf<L>,
    forward: (x, ps, st) => {
      const { normalized, unnormalized } = ps as Partial<WeightNormParams>;
      if (!isTreeNode(normalized) || !isTreeNode(unnormalized)) {
        throw new StateStructureError(
          `${description} expects parameters {normalized, unnormalized}, got {${isTreeNode(ps) ? Object.keys(ps).join(', ') : typeof ps}}. ` +
            'Were these parameters built by setup() for a different model?',
        );
      }
      for (const k of which) {
        if (!isTensor(normalized[`${k}_g`]) || !isTensor(normalized[`${k}_v`])) {
          throw new StateStructureError(
            `${description} expects normalized parameters '${k}_g' and '${k}_v', got {${Object.keys(normalized).join(', ')}}`,
          );
        }
      }
      const result = tf.tidy(() => {
        const merged: Record<string, unknown> = { ...unnormalized };
        which.forEach((k, i) => {
          const v = normalized[`${k}_v`];
          const g = normalized[`${k}_g`];
          merged[k] = tf.mul(v, tf.div(g, tf.add(normOf(v, reducedAxes(i, v.rank)), FLOAT32_EPSILON)));
        });
        const [y, s] = layer(x, merged as Params, st);
        return { y, s } as unknown as tf.TensorContainer;
      }) as unknown as { y: OutputOf<L>; s: StatesOf<L> };
      return [result.y, result.s];
    },
  });
}
