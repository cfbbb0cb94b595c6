import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { stopGradient } from '../../core/autodiff.js';
import { OptionError, ShapeError, StateStructureError } from '../../core/errors.js';
import { callChild, defineLayer, type AnyLayer, type InputOf, type Layer, type OutputOf, type Params, type ParamsOf, type StatesOf } from '../../core/layer.js';
import { parseOptions } from '../../core/options.js';
import { Xoshiro } from '../../core/rng.js';
import { isTensor, treeDispose } from '../../core/tree.js';
import { readTrainingFlag } from './common.js';

const SpectralNormSchema = z.strictObject({
  nPowerIterations: z.number().int().positive().default(1),
  whichParam: z.string().min(1).default('weight'),
  epsilon: z.number().positive().default(1e-12),
});

/** Options of {@link SpectralNorm}. */
export type SpectralNormOptions = {
  /** Power-iteration steps per training-mode call. Default 1 (as PyTorch). */
  readonly nPowerIterations?: number;
  /** The parameter to normalise. Default `'weight'`. */
  readonly whichParam?: string;
  /** Guards the normalisation of the power-iteration vectors. Default 1e-12. */
  readonly epsilon?: number;
};

/** States of a SpectralNorm layer: the wrapped layer's state, the left singular vector estimate and the mode flag. */
export type SpectralNormStates<S> = { readonly layer: S; readonly u: tf.Tensor1D; readonly training: boolean };

/**
 * SpectralNorm(layer, options): spectral normalisation (Miyato et al. 2018). The layer is called
 * with `W / σ(W)` in place of its parameter `W`, where σ is the largest singular value of `W`
 * viewed as a matrix `[size / last, last]` (a Dense weight `[out, in]` as is, a conv kernel
 * `[kh, kw, cin, cout]` as `[kh·kw·cin, cout]`), estimated by power iteration:
 *
 * - training mode: starting from the state's `u`, `nPowerIterations` times
 *   `v = Mᵀu/‖Mᵀu‖, u = Mv/‖Mv‖`; the new `u` is returned in the state;
 * - test mode: `u` is the state's (not updated) and `v = Mᵀu/‖Mᵀu‖`;
 * - then `σ = uᵀ M v`. As in the paper and PyTorch, u and v are treated as constants when
 *   differentiating, so ∂σ/∂M = u vᵀ (exact in test mode, and in training mode once u has
 *   converged).
 *
 * There is no Lux counterpart; this follows PyTorch's `spectral_norm` with Lux-style explicit
 * state. Run a few training-mode calls (or set `nPowerIterations` higher) before relying on σ.
 *
 * ## Arguments
 * - `layer`: the layer whose parameter is normalised (e.g. Dense, Conv).
 *
 * ## Options
 * `nPowerIterations` (1), `whichParam` (`'weight'`), `epsilon` (1e-12).
 *
 * ## Inputs / Returns
 * Those of `layer`, with the state updated.
 *
 * ## Parameters
 * The layer's, unchanged (the stored `W` is the unnormalised weight).
 *
 * ## States
 * `{ layer: <the layer's state>, u: [size / last] (a random unit vector at setup), training }`.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { Dense, SpectralNorm, setup, Xoshiro } from '@deqts/core-layers';
 * const sn = SpectralNorm(Dense(8, 8), { nPowerIterations: 2 });
 * const [ps, st] = setup(new Xoshiro(0), sn);
 * const [y, st2] = sn(tf.ones([4, 8]), ps, st); // st2.u is the refined singular vector
 * ```
 */
export function SpectralNorm<L extends AnyLayer>(
  layer: L,
  options: SpectralNormOptions = {},
): Layer<InputOf<L>, OutputOf<L>, ParamsOf<L>, SpectralNormStates<StatesOf<L>>> {
  if (typeof layer !== 'function' || !('initialParameters' in layer)) {
    throw new OptionError(`SpectralNorm: argument 'layer' must be a layer, got ${typeof layer}`);
  }
  const opts = parseOptions(SpectralNormSchema, options, 'SpectralNorm');
  const { nPowerIterations, whichParam, epsilon } = opts;
  const description = `SpectralNorm(${layer.description}${whichParam === 'weight' ? '' : `, whichParam=${whichParam}`}${
    nPowerIterations === 1 ? '' : `, nPowerIterations=${nPowerIterations}`
  })`;
  let rows: number | undefined;
  /** The number of rows of the matrix view of the parameter, from a throwaway initialisation. */
  const matrixRows = (): number => {
    if (rows !== undefined) return rows;
    const probe = layer.initialParameters(new Xoshiro(0)) as Record<string, unknown>;
    const w = probe[whichParam];
    const keys = Object.keys(probe);
    const shape = isTensor(w) ? w.shape : undefined;
    treeDispose(probe);
    if (!shape || shape.length === 0) {
      throw new OptionError(`${description}: the layer has no tensor parameter '${whichParam}' of rank ≥ 1; its parameters are {${keys.join(', ')}}`);
    }
    rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
    return rows;
  };
  const normalize = (t: tf.Tensor): tf.Tensor => tf.div(t, tf.add(tf.norm(t), epsilon));

  return defineLayer<InputOf<L>, OutputOf<L>, ParamsOf<L>, SpectralNormStates<StatesOf<L>>>({
    name: 'SpectralNorm',
    description,
    children: { layer },
    stateKeys: ['layer', 'u', 'training'],
    initialParameters: (rng) => layer.initialParameters(rng) as ParamsOf<L>,
    initialStates: (rng) => {
      const m = matrixRows();
      const u = rng.normalArray(m);
      const n = Math.hypot(...u) || 1;
      return {
        layer: layer.initialStates(rng.split()) as StatesOf<L>,
        u: tf.tensor1d(u.map((e) => e / n)),
        training: true,
      };
    },
    forward: (x, ps, st) => {
      const training = readTrainingFlag(st, description);
      const w = (ps as Record<string, unknown>)[whichParam];
      if (!isTensor(w) || w.rank === 0) {
        throw new StateStructureError(
          `${description} expects a tensor parameter '${whichParam}', got {${Object.keys(ps).join(', ')}}; were these parameters built by setup() for this model?`,
        );
      }
      const n = w.shape[w.rank - 1];
      const m = w.size / n;
      if (!isTensor(st.u) || st.u.rank !== 1 || st.u.size !== m) {
        throw new ShapeError(
          `${description}: state 'u' must have shape [${m}] for parameter '${whichParam}' of shape [${w.shape.join(', ')}], got ${
            isTensor(st.u) ? `[${st.u.shape.join(', ')}]` : typeof st.u
          }`,
        );
      }
      const result = tf.tidy(() => {
        const matrix = tf.reshape(w, [m, n]);
        const frozen = stopGradient(matrix);
        let u: tf.Tensor = tf.reshape(st.u, [m, 1]);
        let v: tf.Tensor = normalize(tf.matMul(frozen, u, true, false));
        if (training) {
          for (let i = 0; i < nPowerIterations; i++) {
            if (i > 0) v = normalize(tf.matMul(frozen, u, true, false));
            u = normalize(tf.matMul(frozen, v));
          }
        }
        const sigma = tf.sum(tf.mul(u, tf.matMul(matrix, v)));
        const params = { ...(ps as Record<string, unknown>), [whichParam]: tf.div(w, sigma) };
        const [y, s] = callChild('layer', layer, x, { layer: params as Params }, { layer: st.layer });
        return { y, s, u: training ? tf.reshape(u, [m]) : st.u } as unknown as tf.TensorContainer;
      }) as unknown as { y: OutputOf<L>; s: StatesOf<L>; u: tf.Tensor1D };
      return [result.y, { layer: result.s, u: result.u, training }];
    },
  });
}
