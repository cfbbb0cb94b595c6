import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { ShapeError } from '../../core/errors.js';
import { defineLayer, type Layer } from '../../core/layer.js';
import { parseOptions } from '../../core/options.js';
import type { Initializer } from '../../init/initializers.js';
import { initializerSchema, positiveInt } from '../schemas.js';

const EmbeddingSchema = z.strictObject({
  initWeight: initializerSchema.optional(),
});

/** Options of {@link Embedding}. */
export type EmbeddingOptions = {
  /** Weight initialiser. Default U[0, 1), as Lux's `rand32`. */
  readonly initWeight?: Initializer;
};

/** Parameters of an Embedding layer: `weight` `[vocabSize, dims]`, one row per index. */
export type EmbeddingParams = { readonly weight: tf.Tensor2D };

/**
 * Looks up rows of `weight`. Forward: a gather. Backward: the rows' gradients summed into place
 * with `scatterND` (tfjs's own gather gradient needs UnsortedSegmentSum, which the wasm backend
 * lacks). The indices are an input of the custom gradient so the engine keeps them for backward.
 */
const lookup = tf.customGrad(((weight: tf.Tensor, indices: tf.Tensor, save: tf.GradSaveFunc) => {
  save([indices]);
  return {
    value: tf.gather(weight, indices),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [
      tf.scatterND(tf.reshape(saved[0], [-1, 1]), dy, weight.shape),
      tf.zeros(saved[0].shape, 'float32'),
    ],
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (weight: tf.Tensor, indices: tf.Tensor) => tf.Tensor;

/**
 * Embedding(vocabSize, dims, options): maps integer indices to learned vectors, `y[…] =
 * weight[x[…]]` (Lux's `Embedding(vocabSize => dims)`). Indices are 0-based (Lux's are 1-based).
 *
 * ## Arguments
 * - `vocabSize`: the number of indices (valid indices are 0 … vocabSize − 1).
 * - `dims`: the size of each embedding vector.
 *
 * ## Options
 * `initWeight` (U[0, 1), as Lux).
 *
 * ## Inputs
 * `x`: an int32 tensor of indices, `[batch]` or `[batch, T]` (any rank ≥ 1). Every index is
 * checked on the host (one small read-back per call); an index out of range, or a non-int32
 * tensor, is a ShapeError that gives the valid range.
 *
 * ## Returns
 * `[...x.shape, dims]` and the unchanged (empty) state.
 *
 * ## Parameters
 * `weight` `[vocabSize, dims]` (vocabSize·dims numbers, as Lux).
 *
 * ## States
 * None (`{}`).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { Embedding, parameterCount, setup, Xoshiro } from '@deqts/core-layers';
 * const emb = Embedding(1000, 16);
 * parameterCount(emb); // 16000
 * const [ps, st] = setup(new Xoshiro(0), emb);
 * const [y] = emb(tf.tensor2d([[1, 5, 7], [2, 2, 999]], [2, 3], 'int32'), ps, st); // [2, 3, 16]
 * ```
 */
export function Embedding(vocabSize: number, dims: number, options: EmbeddingOptions = {}): Layer<tf.Tensor, tf.Tensor, EmbeddingParams, Record<string, never>> {
  positiveInt('Embedding', 'vocabSize', vocabSize);
  positiveInt('Embedding', 'dims', dims);
  const opts = parseOptions(EmbeddingSchema, options, 'Embedding');
  const initWeight: Initializer =
    (opts.initWeight as Initializer | undefined) ?? ((rng, shape) => tf.tensor(rng.uniformArray(shape[0] * shape[1]), [...shape], 'float32'));
  const description = `Embedding(${vocabSize} => ${dims})`;
  return defineLayer<tf.Tensor, tf.Tensor, EmbeddingParams, Record<string, never>>({
    name: 'Embedding',
    description,
    parameterShapes: { weight: [vocabSize, dims] },
    stateKeys: [],
    initialParameters: (rng) => ({ weight: initWeight(rng, [vocabSize, dims]) as tf.Tensor2D }),
    initialStates: () => ({}),
    forward: (x, ps, st) => {
      if (!(x instanceof tf.Tensor) || x.dtype !== 'int32' || x.rank < 1) {
        const got = x instanceof tf.Tensor ? `a ${x.dtype} tensor of shape [${x.shape.join(', ')}]` : typeof x;
        throw new ShapeError(
          `${description} expects int32 indices of shape [batch] or [batch, T], got ${got}` +
            (x instanceof tf.Tensor && x.dtype !== 'int32' ? "; convert with tf.cast(x, 'int32')" : ''),
        );
      }
      const values = x.dataSync();
      for (let i = 0; i < values.length; i++) {
        if (values[i] < 0 || values[i] >= vocabSize) {
          throw new ShapeError(
            `${description}: index ${values[i]} (at flat position ${i} of input [${x.shape.join(', ')}]) is out of range; ` +
              `valid indices are 0 … ${vocabSize - 1} (0-based)`,
          );
        }
      }
      const y = tf.tidy(() => tf.reshape(lookup(ps.weight, tf.reshape(x, [-1])), [...x.shape, dims]));
      return [y, st];
    },
  });
}
