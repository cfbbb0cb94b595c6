import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, expect, it } from 'vitest';
import { DataError, MNIST_FILES, encodeIdx, loadMnist, parseIdx } from '../../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'deqts-idx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('parses a hand-written IDX file', () => {
  // magic 00 00 08 02, dims 2 × 3, then 6 bytes.
  const bytes = Uint8Array.from([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 255]);
  const parsed = parseIdx(bytes);
  expect(parsed.dtype).toBe('uint8');
  expect(parsed.shape).toEqual([2, 3]);
  expect(Array.from(parsed.data)).toEqual([1, 2, 3, 4, 5, 255]);
});

it('round-trips every element type big-endian, raw and gzipped', () => {
  const cases = [
    { dtype: 'int16', shape: [3], data: Int16Array.from([-2, 300, 7]) },
    { dtype: 'int32', shape: [2, 1], data: Int32Array.from([-70000, 5]) },
    { dtype: 'float32', shape: [2], data: Float32Array.from([1.5, -0.25]) },
    { dtype: 'float64', shape: [1], data: Float64Array.from([Math.PI]) },
    { dtype: 'int8', shape: [2], data: Int8Array.from([-1, 1]) },
  ] as const;
  for (const c of cases) {
    const encoded = encodeIdx(c);
    for (const bytes of [encoded, gzipSync(encoded)]) {
      const parsed = parseIdx(bytes);
      expect(parsed.dtype).toBe(c.dtype);
      expect(parsed.shape).toEqual(c.shape);
      expect(Array.from(parsed.data)).toEqual(Array.from(c.data));
    }
  }
  // int32 is stored big-endian: 5 is 00 00 00 05.
  expect(Array.from(encodeIdx(cases[1]).subarray(-4))).toEqual([0, 0, 0, 5]);
});

it('rejects a bad magic number, an unknown type, a truncated header or data, and trailing bytes', () => {
  const good = encodeIdx({ dtype: 'uint8', shape: [2, 2], data: Uint8Array.from([1, 2, 3, 4]) });
  const badMagic = good.slice();
  badMagic[0] = 0x50; // e.g. a PNG or text file
  expect(() => parseIdx(badMagic, 'images')).toThrow(DataError);
  expect(() => parseIdx(badMagic, 'images')).toThrow(/images: bad magic number 50 00 08 02/);
  const badType = good.slice();
  badType[2] = 0x07;
  expect(() => parseIdx(badType)).toThrow(/unknown IDX element type 0x7/);
  expect(() => parseIdx(good.subarray(0, 6))).toThrow(/truncated header/);
  expect(() => parseIdx(good.subarray(0, good.length - 1), 'labels')).toThrow(/labels: truncated: the header declares shape \[2, 2\] of uint8 \(4 data bytes\) but only 3 follow/);
  expect(() => parseIdx(Uint8Array.from([...good, 9]))).toThrow(/1 unexpected bytes/);
  expect(() => parseIdx(new Uint8Array(2))).toThrow(/only 2 bytes/);
  expect(() => parseIdx(gzipSync(good).subarray(0, 10))).toThrow(/gzip stream is corrupt/);
});

it('loadMnist reads a folder of (gzipped) IDX files and reports a corrupt one by path', () => {
  const images = (n: number) => encodeIdx({ dtype: 'uint8', shape: [n, 28, 28], data: Uint8Array.from({ length: n * 784 }, (_, i) => i % 256) });
  const labels = (n: number) => encodeIdx({ dtype: 'uint8', shape: [n], data: Uint8Array.from({ length: n }, (_, i) => i % 10) });
  writeFileSync(join(dir, `${MNIST_FILES.trainImages}.gz`), gzipSync(images(5)));
  writeFileSync(join(dir, MNIST_FILES.trainLabels), labels(5));
  writeFileSync(join(dir, MNIST_FILES.testImages), images(3));
  writeFileSync(join(dir, MNIST_FILES.testLabels), labels(3));
  const { train, test } = loadMnist({ dir, limitTest: 2 });
  expect(train.size).toBe(5);
  expect(train.sampleShape).toEqual([28, 28, 1]);
  expect(train.x[255]).toBe(1);
  expect(train.x[1]).toBeCloseTo(1 / 255, 7);
  expect(Array.from(train.y)).toEqual([0, 1, 2, 3, 4]);
  expect(test.size).toBe(2);
  expect(test.x.length).toBe(2 * 784);

  writeFileSync(join(dir, MNIST_FILES.testLabels), labels(4));
  expect(() => loadMnist({ dir })).toThrow(/has 3 images but .* has 4 labels/);
  writeFileSync(join(dir, MNIST_FILES.testImages), images(3).subarray(0, 1000));
  expect(() => loadMnist({ dir })).toThrow(new RegExp(`${MNIST_FILES.testImages}: truncated`));
  expect(() => loadMnist({ dir: join(dir, 'nowhere') })).toThrow(/missing file/);
  expect(() => loadMnist({ limit: 3 } as never)).toThrow(/unknown option 'limit'/);
});
