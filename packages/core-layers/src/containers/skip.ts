import { callChild, defineLayer, type AnyLayer, type InputOf, type Layer, type ParamsOf, type StatesOf } from '../core/layer.js';
import { OptionError } from '../core/errors.js';

/**
 * SkipConnection(layer, connection): `y = connection(layer(x), x)` (Lux's SkipConnection;
 * e.g. a residual block with `connection = tf.add`).
 *
 * ## Parameters / States
 * Those of `layer`, under the key `layers` (as Lux: the wrapped child is the field `layers`).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { SkipConnection, Dense, setup, Xoshiro } from '@deqts/core-layers';
 * const res = SkipConnection(Dense(4, 4, { activation: 'tanh' }), (y: tf.Tensor, x: tf.Tensor) => tf.add(y, x));
 * const [ps, st] = setup(new Xoshiro(0), res);
 * const [y] = res(tf.ones([2, 4]), ps, st);
 * ```
 */
export function SkipConnection<L extends AnyLayer, Z>(
  layer: L,
  connection: (y: never, x: never) => Z,
): Layer<InputOf<L>, Z, { layers: ParamsOf<L> }, { layers: StatesOf<L> }> {
  if (typeof connection !== 'function') throw new OptionError(`SkipConnection: argument 'connection' must be a function, got ${typeof connection}`);
  const children = { layers: layer as AnyLayer };
  const combine = connection as unknown as (y: unknown, x: unknown) => Z;
  return defineLayer<InputOf<L>, Z, { layers: ParamsOf<L> }, { layers: StatesOf<L> }>({
    name: 'SkipConnection',
    description: `SkipConnection(${connection.name || 'connection'})`,
    children,
    stateKeys: ['layers'],
    initialParameters: (rng) => ({ layers: layer.initialParameters(rng.split()) }),
    initialStates: (rng) => ({ layers: layer.initialStates(rng.split()) }),
    forward: (x, ps, st) => {
      const [y, s] = callChild('layers', layer, x, ps, st);
      return [combine(y, x), { layers: s as StatesOf<L> }];
    },
  });
}
