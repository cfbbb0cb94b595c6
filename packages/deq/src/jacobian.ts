import * as tf from '@tensorflow/tfjs-core';
import { stopGradient, type Xoshiro } from '@deqts/core-layers';

/**
 * Hutchinson estimate of ‖J_f(z*)‖²_F / n (Bai, Koltun & Kolter 2021): with ε ~ N(0, I) shaped
 * like z, returns mean((εᵀJ)²) over all elements of the batch, i.e. the batch mean of
 * ‖εᵀJ‖²/n with n the per-sample state size. Computed on the tape (z* detached), so it is
 * differentiable with respect to the parameters of f (a second-order gradient).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { Xoshiro } from '@deqts/core-layers';
 * import { jacobianFrobeniusEstimate } from '@deqts/deq';
 * const W = tf.tensor2d([[0.5, 0], [0, 0.5]]);
 * const est = jacobianFrobeniusEstimate((z) => tf.matMul(z, W), tf.ones([64, 2]), new Xoshiro(0)); // ≈ 0.25
 * ```
 */
export function jacobianFrobeniusEstimate(f: (z: tf.Tensor) => tf.Tensor, zStar: tf.Tensor, rng: Xoshiro): tf.Scalar {
  const probe = tf.randomNormal(zStar.shape, 0, 1, 'float32', rng.nextSeed());
  const z = stopGradient(zStar);
  const vjp = tf.grad((zz: tf.Tensor) => tf.sum(tf.mul(f(zz), probe)))(z);
  return tf.mean(tf.square(vjp)) as tf.Scalar;
}
