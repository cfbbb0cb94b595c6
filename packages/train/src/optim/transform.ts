import * as tf from '@tensorflow/tfjs-core';
import { isTensor, treeMap, treeZipWith, type Tree } from '@deqts/core-layers';

/**
 * An optimizer's state: a plain tree whose leaves are tensors, numbers (step counts) or `null`
 * (for parameter leaves that are not tensors). Being a plain tree, it can be checkpointed with
 * `saveCheckpoint` and freed with `disposeReplaced`/`treeDispose` like parameters.
 */
export type OptState = Tree<unknown>;

/**
 * An Optax-style gradient transformation: a pair of pure functions.
 * - `init(params)` builds the initial state for a parameter tree (new tensors the caller owns).
 * - `update(updates, state, params?)` returns `[newUpdates, newState]`: transformed updates with
 *   the structure of `updates`, and the next state. It never disposes or mutates its arguments;
 *   the tensors it returns are new (or, for leaves it leaves untouched, the same objects), and its
 *   intermediates are freed (it runs in `tf.tidy`).
 *
 * Optimizers are built by {@link chain}ing transformations, e.g. `adam` is
 * `chain(scaleByAdam(), scaleByLearningRate(lr))`. Apply the final updates with {@link applyUpdates}.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { sgd, applyUpdates } from '@deqts/train';
 * const ps = { w: tf.tensor1d([1, 2]) };
 * const opt = sgd({ learningRate: 0.1 });
 * const state = opt.init(ps);
 * const [updates, next] = opt.update({ w: tf.tensor1d([1, 1]) }, state, ps);
 * applyUpdates(ps, updates).w.print(); // [0.9, 1.9]
 * ```
 */
export type GradientTransformation<S extends OptState = OptState> = {
  // Method syntax on purpose: a transformation with a specific state type (AdamState) is then
  // usable where any transformation is expected (chain, TrainState).
  init<P>(params: P): S;
  update<T>(updates: T, state: S, params?: T): readonly [T, S];
};

/**
 * Runs `fn` in `tf.tidy`, keeping every tensor reachable from the (plain-tree) result. tfjs's own
 * typing only admits tensor containers; state trees also hold numbers and `null`, which tidy
 * ignores.
 */
export function tidyTree<T>(fn: () => T): T {
  return tf.tidy(fn as unknown as () => tf.TensorContainer) as unknown as T;
}

/**
 * Maps `fn` over the tensor leaves of `tree` paired by key with the leaves of `others` (the
 * structures must match, else a StateStructureError names the first difference). Non-tensor
 * leaves of `tree` pass through unchanged.
 */
export function mapTensorLeaves<T>(fn: (leaf: tf.Tensor, ...rest: unknown[]) => unknown, tree: T, ...others: unknown[]): T {
  const call = fn;
  if (others.length === 0) return treeMap((leaf: unknown) => (isTensor(leaf) ? call(leaf) : leaf), tree as Tree) as T;
  return treeZipWith(
    (leaf: unknown, ...rest: unknown[]) => (isTensor(leaf) ? call(leaf, ...rest) : leaf),
    tree as Tree,
    ...(others as Tree[]),
  ) as T;
}

/** A tree like `params` with zeros for each tensor leaf and `null` for every other leaf. */
export function zerosLikeTree(params: unknown): Tree<tf.Tensor | null> {
  return treeMap((leaf: unknown) => (isTensor(leaf) ? tf.zerosLike(leaf) : null), params as Tree) as Tree<tf.Tensor | null>;
}

/**
 * The transformation that changes nothing (state `{}`).
 *
 * @example
 * ```ts
 * import { identity } from '@deqts/train';
 * const t = identity(); // t.update(g, t.init(ps)) returns g itself
 * ```
 */
export function identity(): GradientTransformation<Record<string, never>> {
  return {
    init: () => ({}),
    update: (updates, state) => [updates, state],
  };
}

/**
 * Composes transformations left to right: the updates of each feed the next. The state is the
 * array of the inner states, in order.
 *
 * @example
 * ```ts
 * import { chain, clipByGlobalNorm, scaleByAdam, scaleByLearningRate } from '@deqts/train';
 * const opt = chain(clipByGlobalNorm(1), scaleByAdam(), scaleByLearningRate(1e-3));
 * ```
 */
export function chain(...transforms: GradientTransformation[]): GradientTransformation<OptState[]> {
  const inner = transforms;
  return {
    init: (params) => inner.map((t) => t.init(params)),
    update: (updates, state, params) => {
      if (!Array.isArray(state) || state.length !== inner.length) {
        throw new TypeError(
          `chain: expected a state array of length ${inner.length} (one per transformation), got ${
            Array.isArray(state) ? `length ${state.length}` : typeof state
          }. Was this state built by this optimizer's init()?`,
        );
      }
      return tidyTree(() => {
        let current = updates;
        const next: OptState[] = [];
        inner.forEach((t, i) => {
          const [u, s] = t.update(current, state[i], params);
          current = u;
          next.push(s);
        });
        return [current, next] as const;
      });
    },
  };
}

/**
 * Adds the updates to the parameters: `ps + updates`, leaf by leaf (paired by key; the structures
 * must match). Optimizer updates are already signed (`scaleByLearningRate` negates), so this is a
 * descent step. Non-tensor parameter leaves are kept. Returns new tensors; `ps` is not disposed.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { applyUpdates } from '@deqts/train';
 * applyUpdates({ w: tf.scalar(1) }, { w: tf.scalar(-0.5) }).w.print(); // 0.5
 * ```
 */
export function applyUpdates<P>(ps: P, updates: unknown): P {
  return tidyTree(() =>
    mapTensorLeaves((p, u) => (isTensor(u) ? tf.add(p, u.dtype === p.dtype ? u : tf.cast(u, p.dtype)) : p), ps, updates),
  );
}
