// A Skip DEQ on MNIST (Pal et al. 2022): an explicit network predicts the fixed point, the solver
// (Tsit5: a continuous DEQ) starts there, and the Skip loss mean|z* − u0| trains the predictor.
// Run: npx -y pnpm@10 exec tsx examples/mnist-skipdeq.ts
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, setup, Xoshiro } from '@deqts/core-layers';
import { Tsit5 } from '@deqts/solvers';
import { adam, batches, crossEntropy, findSolutions, loadMnist, mnistDenseModel, nfeOf, singleTrainStep, skipLossOf, TrainState } from '@deqts/train';

await initBackend();
const { train } = loadMnist({ limitTrain: 4000, limitTest: 0 });
const tol = 5e-3;
const model = mnistDenseModel({
  variant: 'skip',
  solver: new Tsit5({ abstol: tol, reltol: tol }),
  deqOptions: { abstol: tol, reltol: tol, maxiters: 100, solverOptions: { terminationMode: 'relNorm', norm: 'l2' } },
});
const [ps, st] = setup(new Xoshiro(0), model);
let ts = TrainState(model, ps, st, adam({ learningRate: 1e-3 }));
let step = 0;
for (const batch of batches(train, { batchSize: 64, shuffle: true, rng: new Xoshiro(1), autoDispose: true })) {
  const [, loss, stats, next] = singleTrainStep(ts, (m, p, s, b: typeof batch) => {
    const [logits, newSt] = m(b.x, p, s);
    const solutions = findSolutions(newSt);
    const skip = skipLossOf(solutions);
    return [tf.add(crossEntropy(logits, b.y), tf.mul(skip, 0.01)), newSt, { nfe: nfeOf(solutions), skip }];
  }, batch);
  ts = next;
  if (++step % 20 === 0) console.log(`step ${step}: loss ${loss.toFixed(3)}, skip loss ${stats.skip.toFixed(4)}, NFE ${stats.nfe}`);
}
