import * as tf from '@tensorflow/tfjs-core';
import { GradientError } from './errors.js';
import { isTensor, treeFlatten, treeKeep, treeUnflatten, type Tree } from './tree.js';

/** Options of {@link valueAndGrad}. */
export type ValueAndGradOptions = {
  /** When true, `f` returns `[loss, aux]`; `aux` (e.g. the new layer states) is kept and returned. */
  readonly hasAux?: boolean;
};

type GradResult<T> = [tf.Scalar, T];
type GradAuxResult<T, A> = [tf.Scalar, T, A];

/**
 * Differentiates a scalar function of a tree of tensors. Returns `[value, grads]` where `grads`
 * has the structure of the argument; non-tensor leaves come back unchanged and tensor leaves with
 * no path to the loss get zeros (not an exception, unlike `tf.grads`). With `{ hasAux: true }`, `f`
 * returns `[loss, aux]` and the result is `[value, grads, aux]`; the tensors in `aux` survive the
 * gradient's internal scope and are owned by the caller.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { valueAndGrad } from '@deqts/core-layers';
 * const ps = { w: tf.tensor1d([1, 2]), unused: tf.ones([3]) };
 * const [loss, grads] = valueAndGrad((p: typeof ps) => tf.sum(tf.square(p.w)))(ps);
 * grads.w.print(); // [2, 4]; grads.unused is zeros([3])
 * ```
 */
export function valueAndGrad<T>(f: (arg: T) => tf.Scalar | tf.Tensor, options?: { hasAux?: false }): (arg: T) => GradResult<T>;
export function valueAndGrad<T, A>(
  f: (arg: T) => readonly [tf.Scalar | tf.Tensor, A],
  options: { hasAux: true },
): (arg: T) => GradAuxResult<T, A>;
export function valueAndGrad<T, A>(
  f: ((arg: T) => tf.Tensor) | ((arg: T) => readonly [tf.Tensor, A]),
  options: ValueAndGradOptions = {},
): (arg: T) => GradResult<T> | GradAuxResult<T, A> {
  return (arg: T) => {
    const [leaves, def] = treeFlatten(arg as Tree);
    const tensorIndices: number[] = [];
    leaves.forEach((leaf, i) => {
      if (isTensor(leaf)) tensorIndices.push(i);
    });
    const xs = tensorIndices.map((i) => leaves[i] as tf.Tensor);
    let aux: A | undefined;
    const { value, grads } = tf.engine().gradients(
      () => {
        const out = (f as (a: T) => tf.Tensor | readonly [tf.Tensor, A])(arg);
        let loss: tf.Tensor;
        if (options.hasAux) {
          const pair = out as readonly [tf.Tensor, A];
          loss = pair[0];
          aux = treeKeep(pair[1]);
        } else {
          loss = out as tf.Tensor;
        }
        if (!isTensor(loss) || loss.rank !== 0) {
          throw new GradientError(
            `valueAndGrad: the function must return a scalar tensor${options.hasAux ? ' as the first element of [loss, aux]' : ''}, got ${
              isTensor(loss) ? `shape [${loss.shape.join(', ')}]` : typeof loss
            }. Reduce it, e.g. with tf.mean.`,
          );
        }
        return loss;
      },
      xs,
      undefined,
      true,
    );
    const gradLeaves = leaves.slice() as unknown[];
    tensorIndices.forEach((leafIndex, j) => {
      const g = grads[j] as tf.Tensor | null;
      gradLeaves[leafIndex] = g ?? tf.zerosLike(xs[j]);
    });
    const gradTree = treeUnflatten(def, gradLeaves) as T;
    return options.hasAux ? [value as tf.Scalar, gradTree, aux as A] : [value as tf.Scalar, gradTree];
  };
}

/**
 * Identity in the forward pass, zero gradient in the backward pass (tfjs has no stopGradient).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { stopGradient } from '@deqts/core-layers';
 * const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(x, stopGradient(x))))(tf.tensor1d([3]));
 * g.print(); // [3]
 * ```
 */
export const stopGradient: <T extends tf.Tensor>(x: T) => T = tf.customGrad(((x: tf.Tensor) => ({
  value: tf.clone(x),
  gradFunc: (dy: tf.Tensor) => [tf.zerosLike(dy)],
})) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as <T extends tf.Tensor>(x: T) => T;
