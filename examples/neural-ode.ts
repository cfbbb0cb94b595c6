// The neural ODE baseline of the continuous-DEQ paper: du/dt = f(u, x) − u over t ∈ [0, 1] with
// Tsit5, trained by backpropagation through the solver's steps.
// Run: npx -y pnpm@10 exec tsx examples/neural-ode.ts
import { initBackend, setup, Xoshiro } from '@deqts/core-layers';
import { Tsit5 } from '@deqts/solvers';
import { adam, batches, crossEntropy, findSolutions, loadMnist, mnistNeuralOdeModel, nfeOf, singleTrainStep, TrainState } from '@deqts/train';

await initBackend();
const { train } = loadMnist({ limitTrain: 2560, limitTest: 0 });
const model = mnistNeuralOdeModel({ solver: new Tsit5({ abstol: 5e-3, reltol: 5e-3 }), deqOptions: { maxiters: 200 } });
const [ps, st] = setup(new Xoshiro(0), model);
let ts = TrainState(model, ps, st, adam({ learningRate: 1e-3 }));
let step = 0;
for (const batch of batches(train, { batchSize: 64, shuffle: true, rng: new Xoshiro(1), autoDispose: true })) {
  const [, loss, stats, next] = singleTrainStep(ts, (m, p, s, b: typeof batch) => {
    const [logits, newSt] = m(b.x, p, s);
    return [crossEntropy(logits, b.y), newSt, { nfe: nfeOf(findSolutions(newSt)) }];
  }, batch);
  ts = next;
  if (++step % 10 === 0) console.log(`step ${step}: loss ${loss.toFixed(3)}, NFE ${stats.nfe}`);
}
