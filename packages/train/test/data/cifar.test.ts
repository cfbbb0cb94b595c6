import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { CIFAR10_FILES, DataError, loadCifar10, parseCifar10Batch } from '../../src/index.js';

const root = mkdtempSync(join(tmpdir(), 'deqts-cifar-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A CIFAR-10 binary batch of `n` records: label (first + i) % 10; channel c of pixel p is (7c + p + i) % 256. */
function batchBytes(n: number, first = 0): Uint8Array {
  const out = new Uint8Array(n * 3073);
  for (let i = 0; i < n; i++) {
    out[i * 3073] = (first + i) % 10;
    for (let c = 0; c < 3; c++) for (let p = 0; p < 1024; p++) out[i * 3073 + 1 + c * 1024 + p] = (7 * c + p + i) % 256;
  }
  return out;
}

function writeSet(dir: string, perFile: number): void {
  mkdirSync(dir, { recursive: true });
  CIFAR10_FILES.train.forEach((f, k) => writeFileSync(join(dir, f), batchBytes(perFile, k)));
  writeFileSync(join(dir, CIFAR10_FILES.test[0]), batchBytes(perFile, 5));
}

it('parses records and converts CHW planes to NHWC floats in [0, 1]', () => {
  const { x, y } = parseCifar10Batch(batchBytes(2));
  expect(Array.from(y)).toEqual([0, 1]);
  expect(x.length).toBe(2 * 32 * 32 * 3);
  // Sample 1, row 2, column 5 → pixel p = 69; channel c at NHWC index ((2·32 + 5)·3 + c).
  for (let c = 0; c < 3; c++) expect(x[3072 + (2 * 32 + 5) * 3 + c]).toBeCloseTo(((7 * c + 69 + 1) % 256) / 255, 7);
});

it('loadCifar10 reads the six batches (also from the archive subfolder) with limits', () => {
  const dir = join(root, 'flat');
  writeSet(dir, 3);
  const { train, test } = loadCifar10(dir);
  expect(train.size).toBe(15);
  expect(test.size).toBe(3);
  expect(train.sampleShape).toEqual([32, 32, 3]);
  expect(Array.from(train.y.subarray(0, 6))).toEqual([0, 1, 2, 1, 2, 3]);
  const limited = loadCifar10(dir, { limitTrain: 4, limitTest: 1 });
  expect(limited.train.size).toBe(4);
  expect(limited.train.x.length).toBe(4 * 3072);
  expect(Array.from(limited.train.x.subarray(3 * 3072))).toEqual(Array.from(train.x.subarray(3 * 3072, 4 * 3072)));
  expect(limited.test.size).toBe(1);
  writeSet(join(root, 'archive', 'cifar-10-batches-bin'), 1);
  expect(loadCifar10(join(root, 'archive')).train.size).toBe(5);
});

it('a missing folder or file says which files are expected and where to get them', () => {
  let message = '';
  try {
    loadCifar10(join(root, 'absent'));
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    message = (e as Error).message;
  }
  expect(message).toMatch(/data_batch_1\.bin, data_batch_2\.bin, data_batch_3\.bin, data_batch_4\.bin, data_batch_5\.bin, test_batch\.bin/);
  expect(message).toMatch(/https:\/\/www\.cs\.toronto\.edu\/~kriz\/cifar-10-binary\.tar\.gz/);
  const partial = join(root, 'partial');
  writeSet(partial, 1);
  rmSync(join(partial, 'data_batch_4.bin'));
  expect(() => loadCifar10(partial)).toThrow(/missing data_batch_4\.bin/);
});

it('a corrupt file size or label is a DataError naming the file', () => {
  const dir = join(root, 'corrupt');
  writeSet(dir, 2);
  writeFileSync(join(dir, 'data_batch_2.bin'), batchBytes(2).subarray(0, 5000));
  expect(() => loadCifar10(dir)).toThrow(/data_batch_2\.bin: 5000 bytes is not a whole number of 3073-byte records/);
  const bad = batchBytes(1);
  bad[0] = 42;
  expect(() => parseCifar10Batch(bad, 'x.bin')).toThrow(/x\.bin: record 0 has label 42/);
});
