import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { parseOptions } from '@deqts/core-layers';
import { DataError } from '../errors.js';
import type { Dataset } from './dataset.js';

/**
 * The CIFAR-10 binary files, as extracted from `cifar-10-binary.tar.gz`.
 *
 * @example
 * ```ts
 * import { CIFAR10_FILES } from '@deqts/train';
 * CIFAR10_FILES.test; // ['test_batch.bin']
 * ```
 */
export const CIFAR10_FILES = {
  train: ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'],
  test: ['test_batch.bin'],
} as const;

/**
 * Where the binary version of CIFAR-10 is published.
 *
 * @example
 * ```ts
 * import { CIFAR10_URL } from '@deqts/train';
 * console.log(`curl -O ${CIFAR10_URL}`);
 * ```
 */
export const CIFAR10_URL = 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz';

/**
 * The ten CIFAR-10 class names, by label.
 *
 * @example
 * ```ts
 * import { CIFAR10_CLASSES } from '@deqts/train';
 * CIFAR10_CLASSES[3]; // 'cat'
 * ```
 */
export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'] as const;

const SIDE = 32;
const CHANNELS = 3;
const IMAGE_BYTES = SIDE * SIDE * CHANNELS;
const RECORD_BYTES = 1 + IMAGE_BYTES;

/**
 * Parses one CIFAR-10 binary batch: records of 1 label byte followed by 3072 image bytes (1024
 * red, 1024 green, 1024 blue, each row-major 32×32). Returns images converted to NHWC float32 in
 * [0, 1] and int32 labels. A size that is not a whole number of records, or a label above 9, is a
 * {@link DataError} naming `name`.
 *
 * @example
 * ```ts
 * import { parseCifar10Batch } from '@deqts/train';
 * const record = new Uint8Array(3073); record[0] = 3;
 * parseCifar10Batch(record).y; // Int32Array [3]
 * ```
 */
export function parseCifar10Batch(bytes: Uint8Array, name = 'CIFAR-10 batch', limit = Infinity): { x: Float32Array; y: Int32Array } {
  if (bytes.length === 0 || bytes.length % RECORD_BYTES !== 0) {
    throw new DataError(
      `${name}: ${bytes.length} bytes is not a whole number of ${RECORD_BYTES}-byte records (1 label + 3072 pixels); the file is truncated or not a CIFAR-10 binary batch (a standard batch has 10000 records, 30730000 bytes)`,
    );
  }
  const count = Math.min(bytes.length / RECORD_BYTES, limit);
  const x = new Float32Array(count * IMAGE_BYTES);
  const y = new Int32Array(count);
  const plane = SIDE * SIDE;
  for (let r = 0; r < count; r++) {
    const base = r * RECORD_BYTES;
    const label = bytes[base];
    if (label > 9) throw new DataError(`${name}: record ${r} has label ${label}; CIFAR-10 labels are 0–9 (is this CIFAR-100?)`);
    y[r] = label;
    const out = r * IMAGE_BYTES;
    // CHW planes → HWC interleaved.
    for (let c = 0; c < CHANNELS; c++) {
      const source = base + 1 + c * plane;
      for (let p = 0; p < plane; p++) x[out + p * CHANNELS + c] = bytes[source + p] / 255;
    }
  }
  return { x, y };
}

function missingMessage(dir: string, missing: readonly string[]): string {
  const all = [...CIFAR10_FILES.train, ...CIFAR10_FILES.test];
  return (
    `loadCifar10: ${missing.length === all.length ? 'no CIFAR-10 files' : `missing ${missing.join(', ')}`} in ${resolve(dir)}. ` +
    `Expected the binary version's files ${all.join(', ')} there (or in its cifar-10-batches-bin/ subfolder). ` +
    `Get them from ${CIFAR10_URL} (the "CIFAR-10 binary version", 162 MB) and extract it: ` +
    `curl -O ${CIFAR10_URL} && tar xzf cifar-10-binary.tar.gz -C ${dir}`
  );
}

function resolveFolder(dir: string): string {
  const nested = join(dir, 'cifar-10-batches-bin');
  const hasFiles = (d: string) => existsSync(join(d, CIFAR10_FILES.test[0])) || existsSync(join(d, CIFAR10_FILES.train[0]));
  if (!hasFiles(dir) && existsSync(nested) && statSync(nested).isDirectory()) return nested;
  return dir;
}

function readSplit(folder: string, files: readonly string[], limit: number | undefined): Dataset {
  const parts: { x: Float32Array; y: Int32Array }[] = [];
  let remaining = limit ?? Infinity;
  for (const file of files) {
    if (remaining <= 0) break;
    const part = parseCifar10Batch(readFileSync(join(folder, file)), join(folder, file), remaining);
    parts.push(part);
    remaining -= part.y.length;
  }
  const size = parts.reduce((n, p) => n + p.y.length, 0);
  const x = new Float32Array(size * IMAGE_BYTES);
  const y = new Int32Array(size);
  let at = 0;
  for (const p of parts) {
    x.set(p.x, at * IMAGE_BYTES);
    y.set(p.y, at);
    at += p.y.length;
  }
  return { x, y, sampleShape: [SIDE, SIDE, CHANNELS], size, numClasses: 10 };
}

const CifarOptions = z.strictObject({
  limitTrain: z.number().int().nonnegative().optional(),
  limitTest: z.number().int().nonnegative().optional(),
});

/** Options of {@link loadCifar10}. */
export type LoadCifar10Options = {
  /** Keep only the first `limitTrain` training images (all 50 000 by default). */
  readonly limitTrain?: number;
  /** Keep only the first `limitTest` test images (all 10 000 by default). */
  readonly limitTest?: number;
};

/**
 * Loads CIFAR-10 from the standard binary batches (`data_batch_1.bin` … `data_batch_5.bin`,
 * `test_batch.bin`) in `dir` (or in `dir/cifar-10-batches-bin/`, as the archive extracts).
 * No package ships this data: download `cifar-10-binary.tar.gz` from the Toronto site
 * ({@link CIFAR10_URL}). Images become NHWC float32 in [0, 1], `[32, 32, 3]` per sample. A
 * missing folder or file is a {@link DataError} listing the expected files and where to get
 * them; a corrupt file size is a DataError naming the file.
 *
 * @example
 * ```ts
 * import { loadCifar10 } from '@deqts/train';
 * const { train, test } = loadCifar10('./data/cifar-10-batches-bin', { limitTrain: 5000 });
 * train.sampleShape; // [32, 32, 3]
 * ```
 */
export function loadCifar10(dir: string, options: LoadCifar10Options = {}): { train: Dataset; test: Dataset } {
  const { limitTrain, limitTest } = parseOptions(CifarOptions, options, 'loadCifar10');
  if (typeof dir !== 'string' || dir === '') throw new DataError(missingMessage('.', [...CIFAR10_FILES.train, ...CIFAR10_FILES.test]));
  const folder = resolveFolder(dir);
  const missing = [...CIFAR10_FILES.train, ...CIFAR10_FILES.test].filter((f) => !existsSync(join(folder, f)));
  if (missing.length > 0) throw new DataError(missingMessage(folder, missing));
  return { train: readSplit(folder, CIFAR10_FILES.train, limitTrain), test: readSplit(folder, CIFAR10_FILES.test, limitTest) };
}
