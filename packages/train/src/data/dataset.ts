import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { filledTensor, OptionError, Xoshiro, parseOptions } from '@deqts/core-layers';
import { DataError } from '../errors.js';

/**
 * A labelled data set held in host memory as typed arrays (not tensors), so a whole set costs no
 * backend memory and batches are built on demand. Samples are stored one after another:
 * sample `i` is `x[i·s … (i+1)·s)` with `s = prod(sampleShape)`, laid out row-major in
 * `sampleShape` (images: NHWC, i.e. `[height, width, channels]` per sample).
 */
export type Dataset = {
  /** Inputs, `size · prod(sampleShape)` float32 values (images in [0, 1]). */
  readonly x: Float32Array;
  /** Class labels, `size` int32 values in [0, numClasses). */
  readonly y: Int32Array;
  /** Shape of one input, e.g. `[28, 28, 1]`. */
  readonly sampleShape: readonly number[];
  /** Number of samples. */
  readonly size: number;
  /** Number of classes. */
  readonly numClasses: number;
};

/** One batch: `x` `[n, ...sampleShape]` float32 and `y` `[n]` int32, plus the sample indices. */
export type Batch = {
  readonly x: tf.Tensor;
  readonly y: tf.Tensor1D;
  /** Indices of the samples in the data set, in batch order. */
  readonly indices: Int32Array;
  /** Frees `x` and `y`. */
  dispose(): void;
};

/** The sequence of batches of one epoch; iterate it with `for … of`. */
export type BatchIterable = Iterable<Batch> & {
  /** How many batches the epoch has. */
  readonly length: number;
};

const BatchesOptions = z.strictObject({
  batchSize: z.number().int().positive(),
  shuffle: z.boolean().default(false),
  rng: z.instanceof(Xoshiro).optional(),
  dropLast: z.boolean().default(false),
  autoDispose: z.boolean().default(false),
});

/** Options of {@link batches}. */
export type BatchesOptions = {
  /** Samples per batch (positive integer). */
  readonly batchSize: number;
  /** Visit the samples in a random order drawn from `rng`. Default false (data set order). */
  readonly shuffle?: boolean;
  /** The generator for shuffling (required with `shuffle`); the permutation advances it. */
  readonly rng?: Xoshiro;
  /** Skip a last batch smaller than `batchSize`. Default false. */
  readonly dropLast?: boolean;
  /**
   * Dispose each batch when the loop moves to the next one (and the last when the loop ends or
   * breaks). Default false: call `batch.dispose()` yourself.
   */
  readonly autoDispose?: boolean;
};

/**
 * Splits a data set into batches for one epoch. With `shuffle`, the order is a permutation drawn
 * from `rng` when `batches` is called (so the same generator state gives the same epoch, and
 * successive epochs differ as the generator advances). Only each batch's tensors are built (its
 * samples are gathered from the typed arrays); the data set is never copied as a whole.
 *
 * Each batch's `x` and `y` are new tensors you own: call `batch.dispose()` when done with it,
 * or pass `autoDispose: true`.
 *
 * @example
 * ```ts
 * import { Xoshiro } from '@deqts/core-layers';
 * import { batches, loadMnist } from '@deqts/train';
 * const { train } = loadMnist({ limitTrain: 1000 });
 * const rng = new Xoshiro(0);
 * for (let epoch = 0; epoch < 2; epoch++) {
 *   for (const batch of batches(train, { batchSize: 128, shuffle: true, rng, autoDispose: true })) {
 *     // batch.x: [128, 28, 28, 1], batch.y: [128] int32
 *   }
 * }
 * ```
 */
export function batches(dataset: Dataset, options: BatchesOptions): BatchIterable {
  const { batchSize, shuffle, rng, dropLast, autoDispose } = parseOptions(BatchesOptions, options, 'batches');
  if (shuffle && !rng) throw new OptionError("batches: 'shuffle: true' needs an 'rng' (a Xoshiro), so that the order is reproducible");
  const order = shuffle && rng ? rng.permutation(dataset.size) : null;
  const count = dropLast ? Math.floor(dataset.size / batchSize) : Math.ceil(dataset.size / batchSize);
  const sampleSize = dataset.sampleShape.reduce((a, b) => a * b, 1);
  const make = (b: number): Batch => {
    const start = b * batchSize;
    const n = Math.min(batchSize, dataset.size - start);
    const indices = new Int32Array(n);
    for (let i = 0; i < n; i++) indices[i] = order ? order[start + i] : start + i;
    // the samples are gathered straight into the tensors (on wasm, into the engine's memory)
    const x = filledTensor([n, ...dataset.sampleShape], 'float32', (xs) => {
      for (let i = 0; i < n; i++) xs.set(dataset.x.subarray(indices[i] * sampleSize, (indices[i] + 1) * sampleSize), i * sampleSize);
    });
    const y = filledTensor([n], 'int32', (ys) => {
      for (let i = 0; i < n; i++) ys[i] = dataset.y[indices[i]];
    }) as tf.Tensor1D;
    return {
      x,
      y,
      indices,
      dispose: () => {
        if (!x.isDisposed) x.dispose();
        if (!y.isDisposed) y.dispose();
      },
    };
  };
  return {
    length: count,
    *[Symbol.iterator]() {
      let previous: Batch | null = null;
      try {
        for (let b = 0; b < count; b++) {
          const batch = make(b);
          if (autoDispose) previous?.dispose();
          previous = batch;
          yield batch;
        }
      } finally {
        if (autoDispose) previous?.dispose();
      }
    },
  };
}

/**
 * The first `n` samples of a data set (or all of them if it has fewer), as views on the same
 * arrays: nothing is copied.
 *
 * @example
 * ```ts
 * import { loadMnist, subset } from '@deqts/train';
 * const { train } = loadMnist();
 * const small = subset(train, 2000); // small.size === 2000
 * ```
 */
export function subset(dataset: Dataset, n: number): Dataset {
  if (!Number.isInteger(n) || n < 0) throw new OptionError(`subset: 'n' must be a non-negative integer, got ${n}`);
  const size = Math.min(n, dataset.size);
  const sampleSize = dataset.sampleShape.reduce((a, b) => a * b, 1);
  return {
    ...dataset,
    x: dataset.x.subarray(0, size * sampleSize),
    y: dataset.y.subarray(0, size),
    size,
  };
}

/**
 * Checks that a data set's arrays agree with its declared size and shape, and that its labels are
 * in range; throws a DataError describing the first problem. The loaders' results pass it;
 * use it on data sets you build yourself.
 *
 * @example
 * ```ts
 * import { validateDataset } from '@deqts/train';
 * validateDataset({ x: new Float32Array(8), y: Int32Array.from([0, 1]), sampleShape: [4], size: 2, numClasses: 2 });
 * ```
 */
export function validateDataset(dataset: Dataset): Dataset {
  const sampleSize = dataset.sampleShape.reduce((a, b) => a * b, 1);
  if (dataset.x.length !== dataset.size * sampleSize) {
    throw new DataError(`dataset: 'x' has ${dataset.x.length} values, expected size ${dataset.size} × ${sampleSize} (sampleShape [${dataset.sampleShape.join(', ')}])`);
  }
  if (dataset.y.length !== dataset.size) throw new DataError(`dataset: 'y' has ${dataset.y.length} labels for size ${dataset.size}`);
  for (let i = 0; i < dataset.y.length; i++) {
    if (dataset.y[i] < 0 || dataset.y[i] >= dataset.numClasses) {
      throw new DataError(`dataset: label ${dataset.y[i]} of sample ${i} is outside [0, ${dataset.numClasses})`);
    }
  }
  return dataset;
}
