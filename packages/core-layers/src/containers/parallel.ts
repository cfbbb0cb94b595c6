import type * as tf from '@tensorflow/tfjs-core';
import { callChild, defineLayer, type AnyLayer, type Layer, type States } from '../core/layer.js';
import { OptionError, ShapeError } from '../core/errors.js';
import { childParameters, childStates, nameChildren, type ContainerParams, type ContainerStates } from './naming.js';

/**
 * Combines the outputs of parallel branches, e.g. `(a, b) => tf.add(a, b)`. Typed with `never`
 * inputs so any function of tensors is accepted; `Z` is what it returns.
 */
export type Connection<Z = tf.Tensor> = (...outputs: never[]) => Z;

const callConnection = <Z>(connection: Connection<Z>, outputs: unknown[]): Z =>
  (connection as unknown as (...o: unknown[]) => Z)(...outputs);

function runBranches(children: Record<string, AnyLayer>, inputs: (key: string, i: number) => unknown, ps: Record<string, unknown>, st: Record<string, unknown>): [unknown[], Record<string, States>] {
  const outputs: unknown[] = [];
  const newStates: Record<string, States> = {};
  Object.keys(children).forEach((key, i) => {
    const [y, s] = callChild(key, children[key], inputs(key, i), ps as never, st as never);
    outputs.push(y);
    newStates[key] = s;
  });
  return [outputs, newStates];
}

/**
 * Parallel(connection, ...layers): runs layers side by side and combines their outputs.
 * With an array input of the same length as the layers, layer i gets element i; with any other
 * input, every layer gets the whole input (Lux's semantics). `connection` combines the outputs
 * (e.g. `add`); `null` returns the array of outputs.
 *
 * ## Inputs / Returns
 * `x` or `[x₁, …, xₙ]`; `connection(y₁, …, yₙ)` or `[y₁, …, yₙ]`.
 *
 * ## Parameters / States
 * `{ layer_1, …, layer_N }` (or the user's keys when given an object of layers).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { Parallel, Dense, setup, Xoshiro } from '@deqts/core-layers';
 * const f = Parallel((a: tf.Tensor, b: tf.Tensor) => tf.add(a, b), Dense(2, 2, { useBias: false }), Dense(2, 2, { useBias: false }));
 * const [ps, st] = setup(new Xoshiro(0), f);
 * const [y] = f([tf.ones([1, 2]), tf.zeros([1, 2])], ps, st);
 * ```
 */
export function Parallel<Z, const Ls extends readonly AnyLayer[]>(
  connection: Connection<Z>,
  ...layers: Ls
): Layer<unknown, Z, ContainerParams<Ls>, ContainerStates<Ls>>;
export function Parallel<const Ls extends readonly AnyLayer[]>(
  connection: null,
  ...layers: Ls
): Layer<unknown, unknown[], ContainerParams<Ls>, ContainerStates<Ls>>;
export function Parallel<Z, const C extends Record<string, AnyLayer>>(
  connection: Connection<Z> | null,
  layers: C,
): Layer<unknown, Z | unknown[], ContainerParams<C>, ContainerStates<C>>;
export function Parallel(connection: Connection<unknown> | null, ...args: readonly unknown[]): unknown {
  return parallelLayer('Parallel', connection, args, false);
}

/** Parallel's implementation; `shareInput` feeds the whole input to every branch (BranchLayer). */
function parallelLayer(owner: string, connection: Connection<unknown> | null, args: readonly unknown[], shareInput: boolean): unknown {
  if (connection !== null && typeof connection !== 'function') {
    throw new OptionError(`${owner}: argument 'connection' must be a function or null, got ${typeof connection}`);
  }
  const named = args.length === 1 && typeof args[0] === 'object' && args[0] !== null && !Array.isArray(args[0]);
  const children = nameChildren(owner, named ? (args[0] as Record<string, unknown>) : args);
  const n = Object.keys(children).length;
  if (n === 0) throw new OptionError(`${owner}: needs at least one layer`);
  return defineLayer({
    name: owner,
    description: `${owner}(${connection ? connection.name || 'connection' : 'null'})`,
    children,
    stateKeys: Object.keys(children),
    initialParameters: (rng) => childParameters(children, rng),
    initialStates: (rng) => childStates(children, rng),
    forward: (x: unknown, ps, st) => {
      const perBranch = !shareInput && Array.isArray(x) && x.length === n;
      if (!shareInput && Array.isArray(x) && x.length !== n && x.length > 1 && n > 1) {
        throw new ShapeError(`${owner} with ${n} branches got an array of ${x.length} inputs; give ${n} inputs or a single input shared by all branches`);
      }
      const [outputs, newStates] = runBranches(children, (_k, i) => (perBranch ? (x as unknown[])[i] : x), ps, st);
      return [connection ? callConnection(connection, outputs) : outputs, newStates];
    },
  });
}

/**
 * BranchLayer(...layers): feeds the same input to every layer (even when the input is an array
 * as long as the number of layers) and returns the array of outputs.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { BranchLayer, Dense, setup, Xoshiro } from '@deqts/core-layers';
 * const b = BranchLayer(Dense(3, 2), Dense(3, 4));
 * const [ps, st] = setup(new Xoshiro(0), b);
 * const [[y1, y2]] = b(tf.ones([5, 3]), ps, st) as unknown as [[tf.Tensor, tf.Tensor]];
 * ```
 */
export function BranchLayer<const Ls extends readonly AnyLayer[]>(
  ...layers: Ls
): Layer<unknown, unknown[], ContainerParams<Ls>, ContainerStates<Ls>> {
  return parallelLayer('BranchLayer', null, layers, true) as Layer<unknown, unknown[], ContainerParams<Ls>, ContainerStates<Ls>>;
}

/**
 * PairwiseFusion(connection, ...layers): Lux's pairwise fusion. With an array input of length
 * N + 1 (N layers): `y = x[0]; for i: y = connection(x[i+1], layer_i(y))`. With any other input:
 * `y = x; for i: y = connection(x, layer_i(y))`.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { PairwiseFusion, Dense, setup, Xoshiro } from '@deqts/core-layers';
 * const p = PairwiseFusion((a: tf.Tensor, b: tf.Tensor) => tf.add(a, b), Dense(2, 2), Dense(2, 2));
 * const [ps, st] = setup(new Xoshiro(0), p);
 * const [y] = p([tf.ones([1, 2]), tf.ones([1, 2]), tf.ones([1, 2])], ps, st);
 * ```
 */
export function PairwiseFusion<Z, const Ls extends readonly AnyLayer[]>(
  connection: Connection<Z>,
  ...layers: Ls
): Layer<unknown, Z, ContainerParams<Ls>, ContainerStates<Ls>> {
  if (typeof connection !== 'function') throw new OptionError(`PairwiseFusion: argument 'connection' must be a function, got ${typeof connection}`);
  const children = nameChildren('PairwiseFusion', layers);
  const keys = Object.keys(children);
  if (keys.length === 0) throw new OptionError('PairwiseFusion: needs at least one layer');
  return defineLayer({
    name: 'PairwiseFusion',
    description: `PairwiseFusion(${connection.name || 'connection'})`,
    children,
    stateKeys: keys,
    initialParameters: (rng) => childParameters(children, rng),
    initialStates: (rng) => childStates(children, rng),
    forward: (x: unknown, ps, st) => {
      const asTuple = Array.isArray(x) && x.length === keys.length + 1;
      if (Array.isArray(x) && !asTuple) {
        throw new ShapeError(`PairwiseFusion with ${keys.length} layers expects ${keys.length + 1} inputs (or one input), got ${x.length}`);
      }
      let y: unknown = asTuple ? (x as unknown[])[0] : x;
      const newStates: Record<string, States> = {};
      keys.forEach((key, i) => {
        const [out, s] = callChild(key, children[key], y, ps, st);
        newStates[key] = s;
        y = callConnection(connection, [asTuple ? (x as unknown[])[i + 1] : x, out]);
      });
      return [y, newStates];
    },
  }) as unknown as Layer<unknown, Z, ContainerParams<Ls>, ContainerStates<Ls>>;
}
