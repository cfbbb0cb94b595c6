import * as tf from '@tensorflow/tfjs-core';

/**
 * `tf.tidy` with the return type kept: runs `fn` synchronously, disposes every tensor it created
 * except those reachable in its result (nested objects and arrays of tensors, which may also hold
 * numbers, booleans, strings or other values). `fn` must not be async.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { tidy } from '@deqts/core-layers';
 * const out = tidy(() => ({ y: tf.square(tf.ones([2])), steps: 3 })); // out.y survives
 * ```
 */
export function tidy<T>(fn: () => T): T {
  return tf.tidy(fn as unknown as () => tf.TensorContainer) as unknown as T;
}
