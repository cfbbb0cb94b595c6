import * as tf from '@tensorflow/tfjs-core';
import { DeqtsError, ShapeError, StateStructureError } from './errors.js';
import { Xoshiro } from './rng.js';
import { isTensor, isTreeNode, treeDispose, treeLeaves, type Tree } from './tree.js';

/** A parameter tree: plain objects of tensors (or of sub-trees). */
export type Params = { readonly [key: string]: Tree<tf.Tensor> | undefined };

/** A state tree: plain objects whose leaves may be tensors, booleans, numbers or rngs. */
export type States = { readonly [key: string]: unknown };

/** What a layer call returns: the output and the updated state (same keys as the input state). */
export type LayerResult<Y, S> = readonly [Y, S];

/**
 * A layer: a value holding only its configuration, callable as `(x, ps, st) => [y, st]`.
 * Parameters `ps` and states `st` are plain trees the caller owns; calling a layer never mutates
 * or disposes them. Build the trees with {@link setup}.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { Dense, setup, Xoshiro } from '@deqts/core-layers';
 * const layer = Dense(4, 2);
 * const [ps, st] = setup(new Xoshiro(0), layer);
 * const [y, st2] = layer(tf.ones([3, 4]), ps, st); // y: [3, 2]
 * ```
 */
export type Layer<X = tf.Tensor, Y = tf.Tensor, P extends Params = Params, S extends States = States> = {
  (x: X, ps: P, st: S): LayerResult<Y, S>;
  /** The layer's type name, e.g. 'Dense'. */
  readonly name: string;
  /** A compact one-line description with the non-default options, e.g. 'Dense(2 => 3, relu)'. */
  readonly description: string;
  /** Child layers by key (empty for a leaf layer). */
  readonly children: Readonly<Record<string, AnyLayer>>;
  /** Fresh parameters drawn from `rng` (advances it). */
  initialParameters(rng: Xoshiro): P;
  /** Fresh states drawn from `rng` (advances it). */
  initialStates(rng: Xoshiro): S;
};

/**
 * Any layer, whatever its input, output, parameter and state types. Used as a constraint by
 * containers; `any` here is confined to the type parameters' variance, not to values.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyLayer = Layer<any, any, any, any>;

/** The input type of a layer. */
export type InputOf<L> = L extends Layer<infer X, infer _Y, infer _P, infer _S> ? X : never;
/** The output type of a layer. */
export type OutputOf<L> = L extends Layer<infer _X, infer Y, infer _P, infer _S> ? Y : never;
/** The parameter tree type of a layer. */
export type ParamsOf<L> = L extends Layer<infer _X, infer _Y, infer P, infer _S> ? P : never;
/** The state tree type of a layer. */
export type StatesOf<L> = L extends Layer<infer _X, infer _Y, infer _P, infer S> ? S : never;

/** What a layer implementation provides to {@link defineLayer}. */
export type LayerSpec<X, Y, P extends Params, S extends States> = {
  readonly name: string;
  readonly description?: string;
  readonly children?: Readonly<Record<string, AnyLayer>>;
  /**
   * Expected parameter shapes, checked on every call (a mismatch is a ShapeError naming the
   * parameter). Omit for containers; they check their children's keys.
   */
  readonly parameterShapes?: Readonly<Record<string, readonly number[]>>;
  /** The keys of the state, checked on every call (a mismatch is a StateStructureError). */
  readonly stateKeys?: readonly string[];
  initialParameters(rng: Xoshiro): P;
  initialStates(rng: Xoshiro): S;
  forward(x: X, ps: P, st: S): LayerResult<Y, S>;
};

function keysOf(value: unknown): string[] {
  return isTreeNode(value) && !Array.isArray(value) ? Object.keys(value) : [];
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((k) => b.includes(k));
}

function checkParameters(spec: LayerSpec<unknown, unknown, Params, States>, ps: unknown, label: string): void {
  const shapes = spec.parameterShapes;
  if (!shapes) return;
  const expected = Object.keys(shapes);
  const got = keysOf(ps);
  if (!isTreeNode(ps) || !sameKeys(expected, got)) {
    throw new StateStructureError(
      `${label} expects parameters {${expected.join(', ')}}, got {${got.join(', ')}}. ` +
        'Were these parameters built by setup() for a different model?',
    );
  }
  for (const k of expected) {
    const leaf = (ps as Record<string, unknown>)[k];
    const shape = shapes[k];
    if (!isTensor(leaf)) throw new StateStructureError(`${label}: parameter '${k}' must be a tensor`);
    if (leaf.shape.length !== shape.length || leaf.shape.some((d, i) => d !== shape[i])) {
      throw new ShapeError(`${label}: parameter '${k}' must have shape [${shape.join(', ')}], got [${leaf.shape.join(', ')}]`);
    }
  }
}

function checkStateKeys(expected: readonly string[] | undefined, st: unknown, label: string, when: string): void {
  if (!expected) return;
  const got = keysOf(st);
  if (!isTreeNode(st) || !sameKeys(expected, got)) {
    throw new StateStructureError(
      `${label} ${when} state {${expected.join(', ')}}, got {${got.join(', ')}}. ` +
        'Pass the state that setup() returned for this model (or the one its last call returned).',
    );
  }
}

/**
 * Builds a callable {@link Layer} from an implementation. Used by every built-in layer, and the
 * way to write your own: give the initialisers and the forward pass; the call checks parameter
 * shapes and state keys and returns the state with the same keys.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { defineLayer, setup, Xoshiro } from '@deqts/core-layers';
 * const Doubler = defineLayer({
 *   name: 'Doubler',
 *   initialParameters: () => ({}),
 *   initialStates: () => ({}),
 *   forward: (x: tf.Tensor, ps, st) => [tf.mul(x, 2), st],
 * });
 * const [ps, st] = setup(new Xoshiro(0), Doubler);
 * Doubler(tf.ones([2]), ps, st)[0].print(); // [2, 2]
 * ```
 */
export function defineLayer<X, Y, P extends Params, S extends States>(spec: LayerSpec<X, Y, P, S>): Layer<X, Y, P, S> {
  const label = spec.description ?? spec.name;
  const call = (x: X, ps: P, st: S): LayerResult<Y, S> => {
    checkParameters(spec as unknown as LayerSpec<unknown, unknown, Params, States>, ps, label);
    checkStateKeys(spec.stateKeys, st, label, 'expects');
    const result = spec.forward(x, ps, st);
    checkStateKeys(spec.stateKeys, result[1], label, 'returned');
    return result;
  };
  Object.defineProperty(call, 'name', { value: spec.name });
  return Object.assign(call, {
    description: label,
    children: spec.children ?? {},
    initialParameters: (rng: Xoshiro) => spec.initialParameters(rng),
    initialStates: (rng: Xoshiro) => spec.initialStates(rng),
  }) as unknown as Layer<X, Y, P, S>;
}

/**
 * Calls `child` as the child `key` of a container: checks that the container's trees hold the key
 * and prefixes any error the child raises with the key, so errors name the full layer path.
 *
 * @example
 * ```ts
 * // inside a container's forward:
 * // const [y, stChild] = callChild('layer_1', child, x, ps, st);
 * ```
 */
export function callChild<X, Y>(
  key: string,
  child: AnyLayer,
  x: X,
  ps: Params,
  st: States,
): readonly [Y, States] {
  if (!(key in ps)) {
    throw new StateStructureError(
      `missing parameters for child '${key}' (have {${Object.keys(ps).join(', ')}}); ` +
        'were these parameters built by setup() for a different model?',
    );
  }
  if (!(key in st)) {
    throw new StateStructureError(
      `missing state for child '${key}' (have {${Object.keys(st).join(', ')}}); ` +
        'was this state built by setup() for a different model?',
    );
  }
  try {
    return child(x, ps[key], st[key]) as readonly [Y, States];
  } catch (e) {
    if (e instanceof DeqtsError) throw e.withOuterPath(key);
    throw e;
  }
}

/**
 * Builds a layer's parameters and states: `[initialParameters(rng), initialStates(rng)]`.
 * Advances `rng`. The caller owns (and eventually disposes) the tensors returned.
 *
 * @example
 * ```ts
 * import { Chain, Dense, setup, Xoshiro } from '@deqts/core-layers';
 * const [ps, st] = setup(new Xoshiro(0), Chain(Dense(2, 3, { activation: 'relu' }), Dense(3, 1)));
 * ```
 */
export function setup<L extends AnyLayer>(rng: Xoshiro, layer: L): [ParamsOf<L>, StatesOf<L>] {
  const ps = layer.initialParameters(rng) as ParamsOf<L>;
  const st = layer.initialStates(rng) as StatesOf<L>;
  return [ps, st];
}

/**
 * Calls a layer: the same as `layer(x, ps, st)`.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { apply, Dense, setup, Xoshiro } from '@deqts/core-layers';
 * const d = Dense(2, 2);
 * const [ps, st] = setup(new Xoshiro(0), d);
 * const [y] = apply(d, tf.ones([1, 2]), ps, st);
 * ```
 */
export function apply<X, Y, P extends Params, S extends States>(
  layer: Layer<X, Y, P, S>,
  x: X,
  ps: P,
  st: S,
): LayerResult<Y, S> {
  return layer(x, ps, st);
}

function countLeaves(tree: unknown, countOther: boolean): number {
  let n = 0;
  for (const leaf of treeLeaves(tree as Tree)) {
    if (isTensor(leaf)) n += leaf.size;
    else if (countOther && leaf !== undefined) n += 1;
  }
  return n;
}

/**
 * The number of trainable numbers of a layer (or in a parameter tree). Equal to Lux's
 * `parameterlength`: e.g. `parameterCount(Dense(784, 128)) === 100480`.
 *
 * @example
 * ```ts
 * import { Dense, parameterCount } from '@deqts/core-layers';
 * parameterCount(Dense(784, 128)); // 100480
 * ```
 */
export function parameterCount(layerOrParams: AnyLayer | Params): number {
  if (typeof layerOrParams === 'function') {
    const ps = layerOrParams.initialParameters(new Xoshiro(1234));
    const n = countLeaves(ps, false);
    treeDispose(ps);
    return n;
  }
  return countLeaves(layerOrParams, false);
}

/**
 * The number of state entries of a layer (or in a state tree), counted as Lux does: a tensor
 * counts its size, any other leaf (a `training` flag, an rng) counts 1.
 * E.g. `stateCount(BatchNorm(3)) === 7`.
 *
 * @example
 * ```ts
 * import { BatchNorm, stateCount } from '@deqts/core-layers';
 * stateCount(BatchNorm(3)); // 7: running mean (3), running variance (3), training (1)
 * ```
 */
export function stateCount(layerOrStates: AnyLayer | States): number {
  if (typeof layerOrStates === 'function') {
    const st = layerOrStates.initialStates(new Xoshiro(1234));
    const n = countLeaves(st, true);
    treeDispose(st);
    return n;
  }
  return countLeaves(layerOrStates, true);
}

/**
 * Returns a copy of the state tree with every entry named `key` replaced by `value` (at any
 * depth). Tensors are shared, not copied.
 *
 * @example
 * ```ts
 * import { updateState } from '@deqts/core-layers';
 * updateState({ layer_1: { training: true }, layer_2: { fixedDepth: 0 } }, 'fixedDepth', 5);
 * ```
 */
export function updateState<S>(st: S, key: string, value: unknown): S {
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (!isTreeNode(node)) return node;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) out[k] = k === key ? value : walk(v);
    return out;
  };
  return walk(st) as S;
}

/**
 * Sets every `training` flag in a state tree to true (dropout active, batch statistics used).
 *
 * @example
 * ```ts
 * import { trainmode } from '@deqts/core-layers';
 * trainmode({ layer_1: { training: false } }); // { layer_1: { training: true } }
 * ```
 */
export function trainmode<S>(st: S): S {
  return updateState(st, 'training', true);
}

/**
 * Sets every `training` flag in a state tree to false (dropout off, running statistics used).
 *
 * @example
 * ```ts
 * import { testmode } from '@deqts/core-layers';
 * testmode({ layer_1: { training: true } }); // { layer_1: { training: false } }
 * ```
 */
export function testmode<S>(st: S): S {
  return updateState(st, 'training', false);
}
