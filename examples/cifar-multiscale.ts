// A multiscale DEQ (MDEQ-small: two 24-channel branches at 32×32 and 16×16) on CIFAR-10.
// Run: npx -y pnpm@10 exec tsx examples/cifar-multiscale.ts [CIFAR10_DIR]
// CIFAR10_DIR holds the binary batches (cifar-10-binary.tar.gz from the Toronto CIFAR page,
// unpacked). Without it, the example runs a few steps on random images to show the model works.
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, parameterCount, setup, Xoshiro } from '@deqts/core-layers';
import { VCABM3 } from '@deqts/solvers';
import { adam, batches, cifarSmallModel, crossEntropy, findSolutions, loadCifar10, nfeOf, singleTrainStep, subset, TrainState, type Dataset } from '@deqts/train';

await initBackend();
const dir = process.argv[2];
let train: Dataset;
if (dir) {
  train = subset(loadCifar10(dir).train, 512);
} else {
  console.log('no CIFAR-10 folder given: training on 64 random images (pass the folder of the binary batches to use real data)');
  const rng = new Xoshiro(5);
  train = { x: rng.uniformArray(64 * 32 * 32 * 3), y: Int32Array.from({ length: 64 }, () => rng.integer(10)), sampleShape: [32, 32, 3], size: 64, numClasses: 10 };
}
const tol = 0.05;
const model = cifarSmallModel({ variant: 'vanilla', solver: new VCABM3({ abstol: tol, reltol: tol }), deqOptions: { abstol: tol, reltol: tol, maxiters: 18, solverOptions: { terminationMode: 'relNorm', norm: 'l2' } } });
console.log(`MDEQ-small: ${parameterCount(model)} parameters`);
const [ps, st] = setup(new Xoshiro(0), model);
let ts = TrainState(model, ps, st, adam({ learningRate: 1e-3 }));
let step = 0;
for (const batch of batches(train, { batchSize: 32, shuffle: true, rng: new Xoshiro(1), autoDispose: true })) {
  const [, loss, stats, next] = singleTrainStep(ts, (m, p, s, b: typeof batch) => {
    const [logits, newSt] = m(b.x, p, s);
    return [crossEntropy(logits as tf.Tensor, b.y), newSt, { nfe: nfeOf(findSolutions(newSt)) }];
  }, batch);
  ts = next;
  console.log(`step ${++step}: loss ${loss.toFixed(3)}, NFE ${stats.nfe}`);
}
