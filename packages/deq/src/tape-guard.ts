import * as tf from '@tensorflow/tfjs-core';
import { GradientError } from '@deqts/core-layers';

/**
 * The part of tfjs's engine state that nested gradients clobber. tfjs 4.22's `gradients()`
 * replaces `ENGINE.state.activeTape` and sets it to null when done; called inside a customGrad
 * gradient function, that breaks the outer backward pass ("Cannot read properties of null
 * (reading 'forEach')"). Saving and restoring the field around the nested call fixes it.
 * This relies on tfjs internals: @tensorflow/tfjs-core is pinned, and
 * test/tape-guard.test.ts fails loudly if the field disappears or the behaviour changes.
 */
type EngineStateWithTape = { activeTape: unknown };

function engineState(): EngineStateWithTape {
  const state = (tf.engine() as unknown as { state?: Partial<EngineStateWithTape> }).state;
  if (!state || typeof state !== 'object') {
    throw new GradientError(
      'tfjs engine internals changed: ENGINE.state is missing. The implicit DEQ gradient ' +
        'needs it; use the pinned @tensorflow/tfjs-core version or gradient: "jfb".',
    );
  }
  return state as EngineStateWithTape;
}

/**
 * Runs `fn` (which may call tf.grads / ENGINE.gradients) from inside a customGrad gradient
 * function without corrupting the outer backward pass.
 *
 * @example
 * ```ts
 * // inside a tf.customGrad gradFunc:
 * // const g = withNestedGradients(() => vectorJacobianProduct(...));
 * ```
 */
export function withNestedGradients<T>(fn: () => T): T {
  const state = engineState();
  const saved = state.activeTape;
  try {
    return fn();
  } finally {
    state.activeTape = saved;
  }
}

/**
 * Vector–Jacobian products of `f` at fixed inputs: returns `[cotangentᵀ ∂f/∂xᵢ]` for each tensor
 * in `wrt` (zeros where `f` does not depend on it). Safe to call inside a customGrad gradient.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { vectorJacobianProduct } from '@deqts/deq';
 * const x = tf.tensor1d([1, 2]);
 * const [g] = vectorJacobianProduct(() => tf.square(x), [x], tf.ones([2])); // [2, 4]
 * ```
 */
export function vectorJacobianProduct(f: () => tf.Tensor, wrt: tf.Tensor[], cotangent: tf.Tensor): tf.Tensor[] {
  return withNestedGradients(() => {
    const { value, grads } = tf.engine().gradients(() => tf.sum(tf.mul(f(), cotangent)), wrt, undefined, true);
    value.dispose();
    return grads.map((g, i) => (g ?? tf.zerosLike(wrt[i])) as tf.Tensor);
  });
}
