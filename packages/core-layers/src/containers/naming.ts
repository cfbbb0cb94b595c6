import type { AnyLayer, Params, ParamsOf, States, StatesOf } from '../core/layer.js';
import { OptionError } from '../core/errors.js';

type Counter = unknown[];
/** `{ layer_1: L1, layer_2: L2, … }` for a tuple of layers. */
export type PositionalNames<Ls extends readonly unknown[], Acc extends Counter = []> = Ls extends readonly [
  infer H,
  ...infer R,
]
  ? { [K in `layer_${[...Acc, 0]['length'] & number}`]: H } & PositionalNames<R, [...Acc, 0]>
  : Ls extends readonly [] ? unknown : { [key: `layer_${number}`]: Ls[number] };

type Flat<T> = { [K in keyof T]: T[K] };

/** The children of a container given positionally (tuple) or by name (object). */
export type ChildrenOf<C> = C extends readonly unknown[] ? Flat<PositionalNames<C>> : C;

/** The parameter tree of a container: one entry per child. */
export type ContainerParams<C> = Flat<{ [K in keyof ChildrenOf<C>]: ParamsOf<ChildrenOf<C>[K]> }> & Params;
/** The state tree of a container: one entry per child. */
export type ContainerStates<C> = Flat<{ [K in keyof ChildrenOf<C>]: StatesOf<ChildrenOf<C>[K]> }> & States;

/**
 * Names a container's children: `layer_1 … layer_N` for a list, the user's keys for an object.
 * Throws an OptionError when an element is not a layer.
 */
export function nameChildren(owner: string, layers: readonly unknown[] | Record<string, unknown>): Record<string, AnyLayer> {
  const entries: Array<[string, unknown]> = Array.isArray(layers)
    ? layers.map((l, i) => [`layer_${i + 1}`, l])
    : Object.entries(layers);
  const out: Record<string, AnyLayer> = {};
  for (const [key, layer] of entries) {
    if (typeof layer !== 'function' || !('initialParameters' in layer)) {
      throw new OptionError(`${owner}: child '${key}' is not a layer (got ${typeof layer}); wrap plain functions in WrappedFunction`);
    }
    out[key] = layer as AnyLayer;
  }
  return out;
}

/** Initial parameters of every child, each from its own split of `rng`. */
export function childParameters(children: Record<string, AnyLayer>, rng: import('../core/rng.js').Xoshiro): Record<string, Params> {
  const out: Record<string, Params> = {};
  for (const [k, child] of Object.entries(children)) out[k] = child.initialParameters(rng.split());
  return out;
}

/** Initial states of every child, each from its own split of `rng`. */
export function childStates(children: Record<string, AnyLayer>, rng: import('../core/rng.js').Xoshiro): Record<string, States> {
  const out: Record<string, States> = {};
  for (const [k, child] of Object.entries(children)) out[k] = child.initialStates(rng.split());
  return out;
}
