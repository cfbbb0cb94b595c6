import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '@deqts/core-layers';

function predictedAndTrue(logits: tf.Tensor, labels: tf.Tensor, owner: string): [tf.Tensor, tf.Tensor] {
  if (logits.rank !== 2) throw new ShapeError(`${owner}: 'logits' must be rank 2 [batch, classes], got [${logits.shape.join(', ')}]`);
  const [batch, classes] = logits.shape as [number, number];
  const predicted = tf.argMax(logits, -1);
  if (labels.rank === 1 && labels.shape[0] === batch) return [predicted, tf.cast(labels, 'int32')];
  if (labels.rank === 2 && labels.shape[0] === batch && labels.shape[1] === classes) return [predicted, tf.argMax(labels, -1)];
  throw new ShapeError(
    `${owner}: 'labels' must be class indices [${batch}] or one-hot [${batch}, ${classes}], got [${labels.shape.join(', ')}]`,
  );
}

/**
 * The number of samples whose arg-max logit equals the label. Use it to aggregate accuracy over
 * batches of different sizes (sum the counts, divide by the number of samples).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { countCorrect } from '@deqts/train';
 * countCorrect(tf.tensor2d([[1, 0], [0, 1]]), tf.tensor1d([0, 0], 'int32')); // 1
 * ```
 */
export function countCorrect(logits: tf.Tensor, labels: tf.Tensor): number {
  const count = tf.tidy(() => {
    const [predicted, truth] = predictedAndTrue(logits, labels, 'countCorrect');
    return tf.sum(tf.cast(tf.equal(predicted, truth), 'int32'));
  });
  const value = count.dataSync()[0];
  count.dispose();
  return value;
}

/**
 * Classification accuracy in [0, 1]: the fraction of samples whose arg-max logit is the label.
 * Reads the result back to the host (a number); the tensors it creates are freed.
 *
 * @param logits `[batch, classes]` scores (logits or probabilities).
 * @param labels class indices `[batch]` or one-hot `[batch, classes]`.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { accuracy } from '@deqts/train';
 * accuracy(tf.tensor2d([[2, 1], [0, 3], [1, 0]]), tf.tensor1d([0, 1, 1], 'int32')); // 0.666…
 * ```
 */
export function accuracy(logits: tf.Tensor, labels: tf.Tensor): number {
  const batch = logits.shape[0] ?? 0;
  return batch === 0 ? 0 : countCorrect(logits, labels) / batch;
}
