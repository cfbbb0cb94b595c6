import { z } from 'zod';
import { callChild, defineLayer, type AnyLayer, type Layer, type ParamsOf, type States, type StatesOf } from '../core/layer.js';
import { ShapeError } from '../core/errors.js';
import { parseOptions } from '../core/options.js';

const RepeatedOptions = z.strictObject({
  repeats: z.number().int().nonnegative().default(10),
  inputInjection: z.boolean().default(false),
});

/** Options of {@link RepeatedLayer}. */
export type RepeatedLayerOptions = {
  /** How many times the model is applied. Default 10. */
  readonly repeats?: number;
  /** Call the model as `model([z, x])` with the original input x every time. Default false. */
  readonly inputInjection?: boolean;
};

/**
 * RepeatedLayer(model, { repeats, inputInjection }): applies a weight-tied model `repeats` times.
 * - Without injection: `z = x; repeat: z = model(z)`.
 * - With injection and a pair input `[z0, x]`: `z = z0; repeat: z = model([z, x])` — the
 *   unrolled DEQ iteration (DeepEquilibriumNetworks.jl v1 semantics).
 * - With injection and a single input x: `z = x; repeat: z = model([z, x])`.
 * Lux.jl's implementation applies the model to the original x on every repeat (only the state is
 * threaded through), contrary to its docstring; this layer iterates for real.
 *
 * ## Parameters / States
 * Those of `model`, under the key `model`. The state is threaded through the repeats.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { RepeatedLayer, Dense, setup, Xoshiro } from '@deqts/core-layers';
 * const r = RepeatedLayer(Dense(3, 3, { activation: 'tanh' }), { repeats: 4 });
 * const [ps, st] = setup(new Xoshiro(0), r);
 * const [z] = r(tf.ones([2, 3]), ps, st);
 * ```
 */
export function RepeatedLayer<L extends AnyLayer>(
  model: L,
  options: RepeatedLayerOptions = {},
): Layer<unknown, unknown, { model: ParamsOf<L> }, { model: StatesOf<L> }> {
  const opts = parseOptions(RepeatedOptions, options, 'RepeatedLayer');
  return defineLayer<unknown, unknown, { model: ParamsOf<L> }, { model: StatesOf<L> }>({
    name: 'RepeatedLayer',
    description: `RepeatedLayer(repeats=${opts.repeats}${opts.inputInjection ? ', inputInjection=true' : ''})`,
    children: { model },
    stateKeys: ['model'],
    initialParameters: (rng) => ({ model: model.initialParameters(rng.split()) }),
    initialStates: (rng) => ({ model: model.initialStates(rng.split()) }),
    forward: (x, ps, st) => {
      let z: unknown;
      let injected: unknown;
      if (opts.inputInjection) {
        if (Array.isArray(x)) {
          if (x.length !== 2) throw new ShapeError(`RepeatedLayer with input injection expects [z0, x] or x, got an array of ${x.length}`);
          [z, injected] = x;
        } else {
          z = x;
          injected = x;
        }
      } else {
        z = x;
      }
      let s: States = st.model;
      for (let i = 0; i < opts.repeats; i++) {
        const [next, ns] = callChild('model', model, opts.inputInjection ? [z, injected] : z, ps, { model: s });
        z = next;
        s = ns;
      }
      return [z, { model: s as StatesOf<L> }];
    },
  });
}
