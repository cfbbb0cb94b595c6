import * as tf from '@tensorflow/tfjs-core';
import { asColumn } from './batch.js';

/**
 * How Newton–Krylov forms Jacobian-vector products J_f(u)·v:
 * - `'finiteDifference'`: (f(u + h v) − f(u)) / h, one f-evaluation per product (f(u) is reused).
 * - `'centralDifference'`: (f(u + h v) − f(u − h v)) / 2h, two f-evaluations per product.
 * - `'autodiff'`: the double-VJP trick with tfjs reverse mode, exact up to float32 round-off.
 *
 * @example
 * ```ts
 * import { NewtonRaphson, type JvpMode } from '@deqts/solvers';
 * const mode: JvpMode = 'centralDifference';
 * const newton = new NewtonRaphson({ jvp: mode });
 * ```
 */
export type JvpMode = 'finiteDifference' | 'centralDifference' | 'autodiff';

const EPS32 = 2 ** -23; // float32 machine epsilon (1.19e-7)

/**
 * Builds v ↦ J_f(u)·v for a batch (rows independent), given f(u) at the base point.
 *
 * Step choice for the differences, per sample: h·|vᵢ| ≈ δ·max(RMS(u), 1) for a typical element,
 * i.e. h = δ·max(RMS(u), 1)/RMS(v), with δ = √ε ≈ 3.5e-4 (forward) or ε^⅓ ≈ 4.9e-3 (central):
 * the optimum that balances truncation (∝ h) against float32 round-off in f (∝ ε/h). A zero row
 * of v gives a zero product. Tensors it makes belong to the caller's tidy scope.
 */
export function makeJvp(
  mode: JvpMode,
  evaluate: (u: tf.Tensor2D) => tf.Tensor2D,
  u: tf.Tensor2D,
  fu: tf.Tensor2D,
): (v: tf.Tensor2D) => tf.Tensor2D {
  if (mode === 'autodiff') {
    return (v) => {
      // J v = ∂/∂w ⟨Jᵀw, v⟩ where Jᵀw = ∂/∂x ⟨f(x), w⟩ at x = u; linear in w, so w = 0 is exact.
      const vjp = (w: tf.Tensor): tf.Tensor => tf.grad((x: tf.Tensor) => tf.sum(tf.mul(evaluate(x as tf.Tensor2D), w)))(u);
      return tf.grad((w: tf.Tensor) => tf.sum(tf.mul(vjp(w), v)))(tf.zerosLike(u)) as tf.Tensor2D;
    };
  }
  const delta = mode === 'finiteDifference' ? Math.sqrt(EPS32) : Math.cbrt(EPS32);
  const scale = tf.maximum(rms(u), 1);
  const jvp = (v: tf.Tensor2D): tf.Tensor2D => {
    // Per-sample step h and 1/h (or 2h), both 0 for a zero row of v, chosen on [B] vectors.
    const vScale = rms(v);
    const nonzero = tf.greater(vScale, 0);
    const h = tf.where(nonzero, tf.div(tf.mul(scale, delta), vScale), tf.zerosLike(vScale));
    const hv = tf.mul(v, asColumn(h));
    if (mode === 'finiteDifference') {
      const invH = tf.where(nonzero, tf.div(1, h), tf.zerosLike(h));
      return tf.mul(tf.sub(evaluate(tf.add(u, hv) as tf.Tensor2D), fu), asColumn(invH)) as tf.Tensor2D;
    }
    const invTwoH = tf.where(nonzero, tf.div(0.5, h), tf.zerosLike(h));
    return tf.mul(tf.sub(evaluate(tf.add(u, hv) as tf.Tensor2D), evaluate(tf.sub(u, hv) as tf.Tensor2D)), asColumn(invTwoH)) as tf.Tensor2D;
  };
  return jvp;
}

/** Per-sample RMS of a [B, n] tensor → [B]. */
function rms(x: tf.Tensor2D): tf.Tensor1D {
  return tf.sqrt(tf.mean(tf.square(x), 1)) as tf.Tensor1D;
}
