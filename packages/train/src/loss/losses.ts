import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { ShapeError, parseOptions } from '@deqts/core-layers';
import { fusedSoftmaxCrossEntropy } from './softmax-cross-entropy.js';

/** How a per-sample loss is reduced: mean over the batch (default), sum, or none (per sample). */
export type Reduction = 'mean' | 'sum' | 'none';

const CrossEntropyOptions = z.strictObject({
  reduction: z.enum(['mean', 'sum', 'none']).default('mean'),
  labelSmoothing: z.number().min(0).max(1).default(0),
});

/** Options of {@link crossEntropy}. */
export type CrossEntropyOptions = {
  /** Reduction over the batch. Default 'mean'. */
  readonly reduction?: Reduction;
  /** Label smoothing ε: targets become (1 − ε)·target + ε/C. Default 0. */
  readonly labelSmoothing?: number;
};

function describe(t: tf.Tensor): string {
  return `${t.dtype} [${t.shape.join(', ')}]`;
}

/** Targets as a float32 `[B, C]` distribution, from class indices `[B]` or a `[B, C]` tensor. */
function targetDistribution(labels: tf.Tensor, batch: number, classes: number, owner: string): tf.Tensor {
  if (labels.rank === 1) {
    if (labels.shape[0] !== batch) {
      throw new ShapeError(`${owner}: 'labels' has ${labels.shape[0]} entries for a batch of ${batch} (logits [${batch}, ${classes}])`);
    }
    if (labels.dtype !== 'int32') {
      throw new ShapeError(`${owner}: class-index 'labels' must be int32, got ${describe(labels)}; use tf.cast(labels, 'int32')`);
    }
    // Cast after the fact: the wasm OneHot kernel ignores a float32 dtype and writes int32 bits.
    return tf.cast(tf.oneHot(labels, classes), 'float32');
  }
  if (labels.rank === 2 && labels.shape[0] === batch && labels.shape[1] === classes) return tf.cast(labels, 'float32');
  throw new ShapeError(
    `${owner}: 'labels' must be int32 class indices [${batch}] or a one-hot/probability tensor [${batch}, ${classes}], got ${describe(labels)}`,
  );
}

function reduce(perSample: tf.Tensor, reduction: Reduction): tf.Tensor {
  if (reduction === 'none') return perSample;
  return reduction === 'sum' ? tf.sum(perSample) : tf.mean(perSample);
}

/**
 * Logit cross-entropy (softmax cross-entropy) `−Σ_c target_c · log softmax(logits)_c`, computed
 * with a numerically stable log-softmax (the row maximum is subtracted first), so large logits do
 * not overflow.
 *
 * @param logits `[batch, classes]` unnormalised scores (float32).
 * @param labels int32 class indices `[batch]`, or a one-hot or probability tensor `[batch, classes]`.
 * @returns a scalar (mean over the batch by default), or `[batch]` with `reduction: 'none'`.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { crossEntropy } from '@deqts/train';
 * const loss = crossEntropy(tf.tensor2d([[2, 0, -1]]), tf.tensor1d([0], 'int32')); // ≈ 0.1698
 * ```
 */
export function crossEntropy(logits: tf.Tensor, labels: tf.Tensor, options?: CrossEntropyOptions & { readonly reduction?: 'mean' | 'sum' }): tf.Scalar;
export function crossEntropy(logits: tf.Tensor, labels: tf.Tensor, options: CrossEntropyOptions): tf.Tensor;
export function crossEntropy(logits: tf.Tensor, labels: tf.Tensor, options: CrossEntropyOptions = {}): tf.Tensor {
  const { reduction, labelSmoothing } = parseOptions(CrossEntropyOptions, options, 'crossEntropy');
  if (logits.rank !== 2) throw new ShapeError(`crossEntropy: 'logits' must be rank 2 [batch, classes], got ${describe(logits)}`);
  const [batch, classes] = logits.shape as [number, number];
  return tf.tidy(() => {
    if (labelSmoothing === 0 && labels.rank === 1 && labels.dtype === 'int32' && labels.shape[0] === batch) {
      const fused = fusedSoftmaxCrossEntropy(logits, labels, reduction);
      if (fused) return fused;
    }
    let target = targetDistribution(labels, batch, classes, 'crossEntropy');
    if (labelSmoothing > 0) target = tf.add(tf.mul(target, 1 - labelSmoothing), labelSmoothing / classes);
    // tf.logSoftmax subtracts the row maximum before exponentiating, and has a fused gradient.
    const logProbabilities = tf.logSoftmax(tf.cast(logits, 'float32'), -1);
    return reduce(tf.neg(tf.sum(tf.mul(target, logProbabilities), -1)), reduction);
  });
}

const RegressionOptions = z.strictObject({ reduction: z.enum(['mean', 'sum', 'none']).default('mean') });

function checkSameShape(prediction: tf.Tensor, target: tf.Tensor, owner: string): void {
  if (prediction.shape.length !== target.shape.length || prediction.shape.some((d, i) => d !== target.shape[i])) {
    throw new ShapeError(`${owner}: 'prediction' ${describe(prediction)} and 'target' ${describe(target)} must have the same shape`);
  }
}

/** Options of {@link mse} and {@link mae}. */
export type RegressionLossOptions = {
  /** 'mean' (default) over all elements, 'sum', or 'none' (elementwise). */
  readonly reduction?: Reduction;
};

/**
 * Mean squared error `mean((prediction − target)²)` over all elements.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { mse } from '@deqts/train';
 * mse(tf.tensor1d([1, 2]), tf.tensor1d([0, 0])).print(); // 2.5
 * ```
 */
export function mse(prediction: tf.Tensor, target: tf.Tensor, options?: { readonly reduction?: 'mean' | 'sum' }): tf.Scalar;
export function mse(prediction: tf.Tensor, target: tf.Tensor, options: RegressionLossOptions): tf.Tensor;
export function mse(prediction: tf.Tensor, target: tf.Tensor, options: RegressionLossOptions = {}): tf.Tensor {
  const { reduction } = parseOptions(RegressionOptions, options, 'mse');
  checkSameShape(prediction, target, 'mse');
  return tf.tidy(() => reduce(tf.square(tf.sub(prediction, target)), reduction));
}

/**
 * Mean absolute error `mean(|prediction − target|)` over all elements.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { mae } from '@deqts/train';
 * mae(tf.tensor1d([1, -3]), tf.tensor1d([0, 0])).print(); // 2
 * ```
 */
export function mae(prediction: tf.Tensor, target: tf.Tensor, options?: { readonly reduction?: 'mean' | 'sum' }): tf.Scalar;
export function mae(prediction: tf.Tensor, target: tf.Tensor, options: RegressionLossOptions): tf.Tensor;
export function mae(prediction: tf.Tensor, target: tf.Tensor, options: RegressionLossOptions = {}): tf.Tensor {
  const { reduction } = parseOptions(RegressionOptions, options, 'mae');
  checkSameShape(prediction, target, 'mae');
  return tf.tidy(() => reduce(tf.abs(tf.sub(prediction, target)), reduction));
}
