import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, expect, it } from 'vitest';
import { Xoshiro, initBackend } from '@deqts/core-layers';
import { batches, subset, validateDataset, type Dataset } from '../../src/index.js';

/** 10 samples of shape [2]: sample i is [i, −i], label i % 3. */
const dataset: Dataset = {
  x: Float32Array.from({ length: 20 }, (_, k) => (k % 2 === 0 ? k / 2 : -(k - 1) / 2)),
  y: Int32Array.from({ length: 10 }, (_, i) => i % 3),
  sampleShape: [2],
  size: 10,
  numClasses: 3,
};

beforeAll(async () => {
  await initBackend('cpu');
});

function epochOrder(options: Parameters<typeof batches>[1]): number[][] {
  const out: number[][] = [];
  for (const b of batches(dataset, options)) {
    // The batch content matches its indices.
    const x = b.x.arraySync() as number[][];
    const y = Array.from(b.y.dataSync());
    Array.from(b.indices).forEach((index, i) => {
      expect(x[i]).toEqual([index, -index]);
      expect(y[i]).toBe(index % 3);
    });
    expect(b.x.dtype).toBe('float32');
    expect(b.y.dtype).toBe('int32');
    out.push(Array.from(b.indices));
    b.dispose();
  }
  return out;
}

it('in order: every sample once, last batch smaller unless dropLast', () => {
  expect(epochOrder({ batchSize: 4 })).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
  expect(epochOrder({ batchSize: 4, shuffle: true, rng: new Xoshiro(3) }).flat().length).toBe(10);
  expect(epochOrder({ batchSize: 4, dropLast: true })).toEqual([[0, 1, 2, 3], [4, 5, 6, 7]]);
  expect(batches(dataset, { batchSize: 3 }).length).toBe(4);
});

it('shuffling is seeded: same seed same order, every sample covered, epochs differ', () => {
  const rng = new Xoshiro(123);
  const epoch1 = epochOrder({ batchSize: 4, shuffle: true, rng });
  const epoch2 = epochOrder({ batchSize: 4, shuffle: true, rng });
  expect(epoch1.flat().sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  expect(epoch2.flat().sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  expect(epoch1).not.toEqual(epoch2);
  const again = new Xoshiro(123);
  expect(epochOrder({ batchSize: 4, shuffle: true, rng: again })).toEqual(epoch1);
  expect(epochOrder({ batchSize: 4, shuffle: true, rng: again })).toEqual(epoch2);
  expect(epochOrder({ batchSize: 4, shuffle: true, rng: new Xoshiro(124) })).not.toEqual(epoch1);
  expect(() => batches(dataset, { batchSize: 4, shuffle: true })).toThrow(/needs an 'rng'/);
  expect(() => batches(dataset, { batchSize: 0 })).toThrow(/batchSize/);
});

it('on wasm (samples gathered straight into the engine\'s memory) a batch holds the same values, and nothing is left behind', async () => {
  await initBackend('wasm');
  try {
    const blocks = (): number => (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
    const before = [tf.memory().numTensors, blocks()];
    expect(epochOrder({ batchSize: 4, shuffle: true, rng: new Xoshiro(9) }).flat().sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect([tf.memory().numTensors, blocks()]).toEqual(before);
  } finally {
    await initBackend('cpu');
  }
});

it('autoDispose frees each batch when the loop advances or breaks; batches build only their own tensors', () => {
  const before = tf.memory().numTensors;
  let seen = 0;
  for (const b of batches(dataset, { batchSize: 3, autoDispose: true })) {
    expect(tf.memory().numTensors - before).toBe(2);
    seen += b.indices.length;
  }
  expect(seen).toBe(10);
  expect(tf.memory().numTensors).toBe(before);
  for (const b of batches(dataset, { batchSize: 3, autoDispose: true })) if (b.indices[0] === 3) break;
  expect(tf.memory().numTensors).toBe(before);
});

it('subset views the first n samples without copying; validateDataset checks sizes and labels', () => {
  const small = subset(dataset, 4);
  expect(small.size).toBe(4);
  expect(small.x.buffer).toBe(dataset.x.buffer);
  expect(Array.from(small.y)).toEqual([0, 1, 2, 0]);
  expect(subset(dataset, 100).size).toBe(10);
  expect(validateDataset(small)).toBe(small);
  expect(() => validateDataset({ ...dataset, size: 11 })).toThrow(/'x' has 20 values/);
  expect(() => validateDataset({ ...dataset, numClasses: 2 })).toThrow(/label 2 of sample 2/);
});
