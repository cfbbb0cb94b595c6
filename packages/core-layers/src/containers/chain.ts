import { callChild, defineLayer, type AnyLayer, type InputOf, type Layer, type OutputOf, type States } from '../core/layer.js';
import { OptionError } from '../core/errors.js';
import { childParameters, childStates, nameChildren, type ContainerParams, type ContainerStates } from './naming.js';

type First<Ls> = Ls extends readonly [infer H, ...unknown[]] ? H : Ls extends Record<string, infer V> ? V : never;
type Last<Ls> = Ls extends readonly [...unknown[], infer T] ? T : Ls extends Record<string, infer V> ? V : never;

/** The layer type of `Chain(...layers)`. */
export type ChainLayer<C> = Layer<InputOf<First<C>>, OutputOf<Last<C>>, ContainerParams<C>, ContainerStates<C>>;

/**
 * Chain(...layers): applies layers in sequence, `y = lₙ(…l₂(l₁(x)))`.
 *
 * ## Arguments
 * Layers positionally (children named `layer_1 … layer_N`), or one object `{ name: layer }` whose
 * keys name the children.
 *
 * ## Inputs / Returns
 * Whatever the first layer takes; whatever the last returns, with the updated states.
 *
 * ## Parameters / States
 * `{ layer_1: ps₁, …}` and `{ layer_1: st₁, …}` (or the user's keys).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { Chain, Dense, setup, Xoshiro } from '@deqts/core-layers';
 * const model = Chain(Dense(784, 128, { activation: 'relu' }), Dense(128, 10));
 * const [ps, st] = setup(new Xoshiro(0), model);
 * const [logits] = model(tf.zeros([2, 784]), ps, st); // [2, 10]
 * ```
 */
export function Chain<const Ls extends readonly AnyLayer[]>(...layers: Ls): ChainLayer<Ls>;
export function Chain<const C extends Record<string, AnyLayer>>(layers: C): ChainLayer<C>;
export function Chain(...args: readonly unknown[]): unknown {
  const named = args.length === 1 && typeof args[0] === 'object' && args[0] !== null && !Array.isArray(args[0]);
  const children = nameChildren('Chain', named ? (args[0] as Record<string, unknown>) : args);
  const keys = Object.keys(children);
  if (keys.length === 0) throw new OptionError('Chain: needs at least one layer');
  return defineLayer({
    name: 'Chain',
    children,
    stateKeys: keys,
    initialParameters: (rng) => childParameters(children, rng),
    initialStates: (rng) => childStates(children, rng),
    forward: (x: unknown, ps, st) => {
      let h = x;
      const newStates: Record<string, States> = {};
      for (const key of keys) {
        const [y, s] = callChild(key, children[key], h, ps, st);
        h = y;
        newStates[key] = s;
      }
      return [h, newStates];
    },
  });
}
