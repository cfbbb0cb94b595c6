// A convolutional DEQ on MNIST (FACTS.md config D in NHWC): f(z, u) = tanh(GroupNorm(Conv(z)) + u),
// solved with Anderson acceleration (its regularised least squares cannot crash on a singular system).
// Run: npx -y pnpm@10 exec tsx examples/mnist-conv-deq.ts
import { initBackend, setup, Xoshiro } from '@deqts/core-layers';
import { Anderson } from '@deqts/solvers';
import { adam, batches, crossEntropy, findSolutions, loadMnist, mnistConvModel, nfeOf, singleTrainStep, TrainState } from '@deqts/train';

await initBackend();
const { train } = loadMnist({ limitTrain: 384, limitTest: 0 });
const model = mnistConvModel({ variant: 'vanilla', solver: new Anderson(), deqOptions: { abstol: 1e-3, reltol: 1e-3, maxiters: 30 } });
const [ps, st] = setup(new Xoshiro(0), model);
let ts = TrainState(model, ps, st, adam({ learningRate: 1e-3 }));
let step = 0;
for (const batch of batches(train, { batchSize: 64, shuffle: true, rng: new Xoshiro(1), autoDispose: true })) {
  const [, loss, stats, next] = singleTrainStep(ts, (m, p, s, b: typeof batch) => {
    const [logits, newSt] = m(b.x, p, s);
    return [crossEntropy(logits, b.y), newSt, { nfe: nfeOf(findSolutions(newSt)) }];
  }, batch);
  ts = next;
  if (++step % 2 === 0) console.log(`step ${step}: loss ${loss.toFixed(3)}, NFE ${stats.nfe}`);
}
