import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { OptionError, ShapeError, isTensor, parseOptions } from '@deqts/core-layers';
import { TrainingError } from '../errors.js';

/** A tensor, or one tensor per scale for multiscale models. */
export type TensorOrTensors = tf.Tensor | readonly tf.Tensor[];

/**
 * What {@link skipLoss} reads: any object with the fixed point `zStar` and the initial guess `u0`
 * (a DEQ layer's `st.solution`). For multiscale models each may be an array with one tensor per
 * scale. `null` (a DEQ that has not run yet) is rejected with an explanation.
 */
export type SkipLossSolution = { readonly zStar: TensorOrTensors | null; readonly u0: TensorOrTensors | null };

/** What {@link jacobianLossTerm} reads: a solution with a `jacobianLoss` (scalar tensor, number or null). */
export type JacobianLossSolution = { readonly jacobianLoss: tf.Tensor | number | null | undefined };

const SkipLossOptions = z.strictObject({ kind: z.enum(['mae', 'mse']).default('mae') });

/** Options of {@link skipLoss}. */
export type SkipLossOptions = {
  /** 'mae' (default; the paper-era loss, mean |z* − u0|) or 'mse' (mean (z* − u0)²). */
  readonly kind?: 'mae' | 'mse';
};

function asList(value: TensorOrTensors, field: string): readonly tf.Tensor[] {
  const list = isTensor(value) ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || !list.every(isTensor)) {
    throw new TrainingError(`skipLoss: 'solution.${field}' must be a tensor or a non-empty array of tensors`);
  }
  return list;
}

/**
 * The Skip DEQ auxiliary loss: the distance between the fixed point and the initial guess the
 * skip (or Skip Reg) network produced, `mean |z* − u0|` (kind 'mae', as in the paper's code) or
 * `mean (z* − u0)²` (kind 'mse'). With per-scale arrays, the mean is over all elements of all
 * scales together (as if the scales were flattened and concatenated, like the multiscale DEQ's
 * flat state). Gradients flow to both `zStar` and `u0`. Weight it yourself, e.g.
 * `tf.add(ce, tf.mul(skipLoss(sol), 0.01))`.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { skipLoss } from '@deqts/train';
 * const sol = { zStar: tf.tensor2d([[1, 2]]), u0: tf.tensor2d([[0, 0]]) };
 * skipLoss(sol).print();                 // 1.5
 * skipLoss(sol, { kind: 'mse' }).print(); // 2.5
 * ```
 */
export function skipLoss(solution: SkipLossSolution, options: SkipLossOptions = {}): tf.Scalar {
  const { kind } = parseOptions(SkipLossOptions, options, 'skipLoss');
  if (solution.zStar == null || solution.u0 == null) {
    throw new TrainingError(
      "skipLoss: the solution has no 'zStar'/'u0' yet. Pass the state the DEQ returned from its call (st.solution after model(x, ps, st)), not the initial one.",
    );
  }
  const zStar = asList(solution.zStar, 'zStar');
  const u0 = asList(solution.u0, 'u0');
  if (zStar.length !== u0.length) {
    throw new ShapeError(`skipLoss: 'zStar' has ${zStar.length} scales but 'u0' has ${u0.length}`);
  }
  zStar.forEach((z, i) => {
    if (z.shape.length !== u0[i].shape.length || z.shape.some((d, j) => d !== u0[i].shape[j])) {
      throw new ShapeError(`skipLoss: scale ${i}: zStar [${z.shape.join(', ')}] and u0 [${u0[i].shape.join(', ')}] differ in shape`);
    }
  });
  return tf.tidy(() => {
    const total = zStar.reduce((n, z) => n + z.size, 0);
    const sums = zStar.map((z, i) => {
      const d = tf.sub(z, u0[i]);
      return tf.sum(kind === 'mae' ? tf.abs(d) : tf.square(d));
    });
    return tf.div(sums.length === 1 ? sums[0] : tf.addN(sums), total) as tf.Scalar;
  });
}

/**
 * `weight · solution.jacobianLoss` as a scalar tensor: the Jacobian-regularisation term to add to
 * the loss. A missing (`null`) Jacobian loss (regularisation off) gives 0. The gradient flows
 * through a tensor `jacobianLoss`.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { jacobianLossTerm } from '@deqts/train';
 * jacobianLossTerm({ jacobianLoss: tf.scalar(0.3) }, 2).print(); // 0.6
 * jacobianLossTerm({ jacobianLoss: null }, 1).print();            // 0
 * ```
 */
export function jacobianLossTerm(solution: JacobianLossSolution, weight: number): tf.Scalar {
  if (!Number.isFinite(weight)) throw new OptionError(`jacobianLossTerm: 'weight' must be a finite number, got ${weight}`);
  const value = solution.jacobianLoss;
  if (value == null) return tf.scalar(0);
  if (typeof value === 'number') return tf.scalar(weight * value);
  if (!isTensor(value) || value.size !== 1) {
    throw new ShapeError(`jacobianLossTerm: 'solution.jacobianLoss' must be a scalar tensor or a number, got ${isTensor(value) ? `shape [${value.shape.join(', ')}]` : typeof value}`);
  }
  return tf.tidy(() => tf.mul(tf.reshape(value, []), weight) as tf.Scalar);
}
