// A discrete DEQ on MNIST: Dense(784 → 128) injection, a Broyden-solved fixed point, a linear head.
// Trains 200 steps on 6 000 images and reports test accuracy and NFE.
// Run: npx -y pnpm@10 exec tsx examples/mnist-deq.ts
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, setup, testmode, tidy, Xoshiro } from '@deqts/core-layers';
import { Broyden } from '@deqts/solvers';
import { adam, batches, crossEntropy, loadMnist, mnistDenseModel, singleTrainStep, TrainState, findSolutions, nfeOf, accuracy } from '@deqts/train';

await initBackend();
const { train, test } = loadMnist({ limitTrain: 6000, limitTest: 1000 });
const model = mnistDenseModel({ variant: 'vanilla', solver: new Broyden(), deqOptions: { abstol: 1e-3, reltol: 1e-3, maxiters: 30 } });
const [ps, st] = setup(new Xoshiro(0), model);
let ts = TrainState(model, ps, st, adam({ learningRate: 1e-3 }));
const rng = new Xoshiro(1);
let step = 0;
while (step < 200) {
  for (const batch of batches(train, { batchSize: 64, shuffle: true, rng, autoDispose: true })) {
    const [, loss, stats, next] = singleTrainStep(ts, (m, p, s, b: typeof batch) => {
      const [logits, newSt] = m(b.x, p, s);
      return [crossEntropy(logits, b.y), newSt, { nfe: nfeOf(findSolutions(newSt)) }];
    }, batch);
    ts = next;
    if (++step % 50 === 0) console.log(`step ${step}: loss ${loss.toFixed(3)}, NFE ${stats.nfe}`);
    if (step === 200) break;
  }
}
const [acc, nfe] = tidy(() => {
  const batch = batches(test, { batchSize: test.size })[Symbol.iterator]().next().value!;
  const [logits, s] = model(batch.x, ts.ps, testmode(ts.st));
  return [accuracy(logits, batch.y), nfeOf(findSolutions(s))] as const;
});
console.log(`test accuracy ${(100 * acc).toFixed(1)} %, NFE ${nfe}`);
