import { defineLayer, type Layer } from '../core/layer.js';
import { OptionError } from '../core/errors.js';

type EmptyParams = Record<string, never>;
type EmptyStates = Record<string, never>;

/**
 * NoOpLayer(): returns its input unchanged (the identity layer; DEQ.jl's Skip Reg init, the
 * diagonal of multiscale mapping layers).
 *
 * ## Inputs / Returns
 * Anything; the same value. No parameters, no states.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { NoOpLayer, setup, Xoshiro } from '@deqts/core-layers';
 * const id = NoOpLayer();
 * const [ps, st] = setup(new Xoshiro(0), id);
 * const [y] = id(tf.ones([2]), ps, st); // the same tensor
 * ```
 */
export function NoOpLayer<X = unknown>(): Layer<X, X, EmptyParams, EmptyStates> {
  return defineLayer<X, X, EmptyParams, EmptyStates>({
    name: 'NoOpLayer',
    description: 'NoOpLayer()',
    parameterShapes: {},
    stateKeys: [],
    initialParameters: () => ({}),
    initialStates: () => ({}),
    forward: (x, _ps, st) => [x, st],
  });
}

/**
 * WrappedFunction(fn): a parameter-free, state-free layer computing `fn(x)` (Lux's
 * `WrappedFunction`). `fn` must be a pure tfjs computation; the layer is differentiable if `fn` is.
 *
 * ## Arguments
 * - `fn`: `(x) => y`. Its `name` is shown by `summary`.
 *
 * ## Inputs / Returns
 * `x` of whatever `fn` accepts; `fn(x)`. No parameters, no states.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { Chain, Dense, WrappedFunction, setup, Xoshiro } from '@deqts/core-layers';
 * const model = Chain(Dense(3, 3), WrappedFunction((x: tf.Tensor) => tf.relu(x)));
 * const [ps, st] = setup(new Xoshiro(0), model);
 * const [y] = model(tf.ones([2, 3]), ps, st);
 * ```
 */
export function WrappedFunction<X, Y>(fn: (x: X) => Y, name?: string): Layer<X, Y, EmptyParams, EmptyStates> {
  if (typeof fn !== 'function') throw new OptionError(`WrappedFunction: argument 'fn' must be a function, got ${typeof fn}`);
  return defineLayer<X, Y, EmptyParams, EmptyStates>({
    name: 'WrappedFunction',
    description: `WrappedFunction(${name ?? (fn.name || 'anonymous')})`,
    parameterShapes: {},
    stateKeys: [],
    initialParameters: () => ({}),
    initialStates: () => ({}),
    forward: (x, _ps, st) => [fn(x), st],
  });
}
