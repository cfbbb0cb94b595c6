import * as tf from '@tensorflow/tfjs-core';
import { OptionError } from '../core/errors.js';

/** An activation function: a tensor map applied elementwise. */
export type ActivationFunction = (x: tf.Tensor) => tf.Tensor;

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/**
 * The named activations, as in Lux/NNlib. Each is built from differentiable tfjs ops.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { activations } from '@deqts/core-layers';
 * activations.gelu(tf.tensor1d([-1, 0, 1])).print();
 * ```
 */
export const activations = {
  identity: (x: tf.Tensor) => x,
  relu: (x: tf.Tensor) => tf.relu(x),
  relu6: (x: tf.Tensor) => tf.relu6(x),
  leakyrelu: (x: tf.Tensor) => tf.leakyRelu(x, 0.01),
  elu: (x: tf.Tensor) => tf.elu(x),
  selu: (x: tf.Tensor) => tf.selu(x),
  tanh: (x: tf.Tensor) => tf.tanh(x),
  sigmoid: (x: tf.Tensor) => tf.sigmoid(x),
  softplus: (x: tf.Tensor) => tf.softplus(x),
  softsign: (x: tf.Tensor) => tf.div(x, tf.add(1, tf.abs(x))),
  swish: (x: tf.Tensor) => tf.mul(x, tf.sigmoid(x)),
  mish: (x: tf.Tensor) => tf.mul(x, tf.tanh(tf.softplus(x))),
  // tanh approximation, as NNlib's gelu
  gelu: (x: tf.Tensor) =>
    tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(tf.mul(SQRT_2_OVER_PI, tf.add(x, tf.mul(0.044715, tf.pow(x, 3))))))),
} satisfies Record<string, ActivationFunction>;

/** The name of a built-in activation. */
export type ActivationName = keyof typeof activations;

/** An activation given by name or as a function. */
export type Activation = ActivationName | ActivationFunction;

/**
 * Resolves an activation name or function to a function; an unknown name is an OptionError
 * listing the valid names.
 *
 * @example
 * ```ts
 * import { resolveActivation } from '@deqts/core-layers';
 * const relu = resolveActivation('relu');
 * ```
 */
export function resolveActivation(activation: Activation | undefined, owner = 'activation'): ActivationFunction {
  if (activation === undefined) return activations.identity;
  if (typeof activation === 'function') return activation;
  const fn = (activations as Record<string, ActivationFunction>)[activation];
  if (!fn) {
    throw new OptionError(
      `${owner}: unknown activation '${activation}'; valid names: ${Object.keys(activations).join(', ')}, or pass a function`,
    );
  }
  return fn;
}

/**
 * The display name of an activation ('relu', or the function's name).
 *
 * @example
 * ```ts
 * import { activationName } from '@deqts/core-layers';
 * activationName('relu'); // 'relu'
 * ```
 */
export function activationName(activation: Activation | undefined): string {
  if (activation === undefined) return 'identity';
  return typeof activation === 'string' ? activation : activation.name || 'custom';
}

/**
 * The initialiser gain for an activation, as Lux's `calculate_gain` (tanh 5/3, selu 3/4,
 * leakyrelu √(2/(1+0.01²))), except relu, for which we use He's √2 (Lux returns 2).
 *
 * @example
 * ```ts
 * import { activationGain } from '@deqts/core-layers';
 * activationGain('tanh'); // 5/3
 * ```
 */
export function activationGain(activation: Activation | undefined): number {
  switch (activation === undefined || typeof activation === 'function' ? 'identity' : activation) {
    case 'relu':
    case 'relu6':
      return Math.SQRT2;
    case 'tanh':
      return 5 / 3;
    case 'selu':
      return 3 / 4;
    case 'leakyrelu':
      return Math.sqrt(2 / (1 + 0.01 ** 2));
    default:
      return 1;
  }
}
