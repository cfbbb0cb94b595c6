import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { BatchNorm, Chain, Dense, Dropout, Xoshiro, setup, treeDispose, treeTensors, valueAndGrad } from '@deqts/core-layers';
import {
  TrainState,
  TrainingError,
  adam,
  applyGradients,
  computeGradients,
  crossEntropy,
  sgd,
  singleTrainStep,
  type LossFunction,
} from '../src/index.js';
import { describeBackends, expectClose } from '../../../test/utils/index.js';

const makeModel = () => Chain(Dense(4, 16, { activation: 'tanh' }), BatchNorm(16), Dropout(0.1), Dense(16, 3));
type Model = ReturnType<typeof makeModel>;
type Ps = ReturnType<Model['initialParameters']>;
type St = ReturnType<Model['initialStates']>;
type Batch = { x: tf.Tensor; y: tf.Tensor };

const makeBatch = (seed: number, n = 32): Batch => {
  const rng = new Xoshiro(seed);
  const x = tf.tensor(rng.normalArray(n * 4), [n, 4]);
  // A learnable rule: the class is the arg-max of the first three features.
  const y = tf.tidy(() => tf.cast(tf.argMax(tf.slice(x, [0, 0], [n, 3]), -1), 'int32'));
  return { x, y };
};

const lossFn: LossFunction<Model, Ps, St, Batch> = (model, ps, st, batch) => {
  const [logits, st2] = model(batch.x, ps, st);
  const loss = crossEntropy(logits, batch.y);
  // Stats: a number, a fresh scalar tensor, and the loss itself (aliasing must not break anything).
  return [loss, st2, { batchSize: batch.x.shape[0], meanLogit: tf.mean(logits), loss }] as const;
};

describeBackends('TrainState and singleTrainStep', () => {
  it('a 100-step loop leaks no tensor and learns', () => {
    const model = makeModel();
    const [ps, st] = setup(new Xoshiro(0), model);
    let ts = TrainState(model, ps, st, adam({ learningRate: 1e-2 }));
    const batch = makeBatch(1);
    let first = NaN;
    let loss = NaN;
    let stats: Record<string, number> = {};
    [, first, stats, ts] = singleTrainStep(ts, lossFn, batch);
    [, loss, stats, ts] = singleTrainStep(ts, lossFn, batch);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 100; i++) [, loss, stats, ts] = singleTrainStep(ts, lossFn, batch);
    expect(tf.memory().numTensors).toBe(before);
    expect(ts.step).toBe(102);
    expect(loss).toBeLessThan(first * 0.5);
    expect(stats.batchSize).toBe(32);
    expect(stats.loss).toBeCloseTo(loss, 6);
    expect(Number.isFinite(stats.meanLogit)).toBe(true);
    treeDispose([ts.ps, ts.st, ts.optState, batch]);
  });

  it('keepGradients returns the gradients (owned by the caller), equal to valueAndGrad', () => {
    const model = Chain(Dense(4, 3));
    const [ps, st] = setup(new Xoshiro(3), model);
    const batch = makeBatch(2, 8);
    const plain = (p: typeof ps) => crossEntropy(model(batch.x, p, st)[0], batch.y);
    const [value, expected] = valueAndGrad(plain)(ps);
    let ts = TrainState(model, ps, st, sgd({ learningRate: 0.1 }));
    const oldWeight = Array.from(ps.layer_1.weight.dataSync());
    const [grads, loss, , next] = singleTrainStep(ts, (m, p, s, b: Batch) => [crossEntropy(m(b.x, p, s)[0], b.y), s, {}] as const, batch, {
      keepGradients: true,
    });
    ts = next;
    expect(loss).toBeCloseTo(value.dataSync()[0], 6);
    expectClose(grads.layer_1.weight, expected.layer_1.weight);
    // The parameters moved by −0.1·g, and the old ones were disposed.
    const g = expected.layer_1.weight.dataSync();
    expectClose(ts.ps.layer_1.weight.dataSync(), oldWeight.map((w, i) => w - 0.1 * g[i]));
    expect(ps.layer_1.weight.isDisposed).toBe(true);
    expect(grads.layer_1.weight.isDisposed).toBe(false);
    treeDispose([grads, expected, value, ts.ps, ts.optState, batch]);
  });

  it('a consumed TrainState is rejected with an explanation', () => {
    const model = Chain(Dense(4, 3));
    const [ps, st] = setup(new Xoshiro(4), model);
    const batch = makeBatch(5, 4);
    const ts = TrainState(model, ps, st, sgd({ learningRate: 0.1 }));
    const step = (t: typeof ts) => singleTrainStep(t, (m, p, s, b: Batch) => [crossEntropy(m(b.x, p, s)[0], b.y), s, {}] as const, batch);
    const [, , , next] = step(ts);
    expect(() => step(ts)).toThrow(TrainingError);
    expect(() => step(ts)).toThrow(/Use the TrainState that step returned/);
    treeDispose([next.ps, next.optState, batch]);
  });

  it('computeGradients + applyGradients equal singleTrainStep', () => {
    const model = Chain(Dense(4, 3));
    const run = (split: boolean) => {
      const [ps, st] = setup(new Xoshiro(6), model);
      let ts = TrainState(model, ps, st, adam({ learningRate: 0.05 }));
      const batch = makeBatch(7, 8);
      const fn = (m: typeof model, p: typeof ps, s: typeof st, b: Batch) => [crossEntropy(m(b.x, p, s)[0], b.y), s, {}] as const;
      for (let i = 0; i < 3; i++) {
        if (split) {
          const [grads, , , ts2] = computeGradients(ts, fn, batch);
          ts = applyGradients(ts2, grads);
          treeDispose(grads);
        } else {
          [, , , ts] = singleTrainStep(ts, fn, batch);
        }
      }
      const w = Array.from(ts.ps.layer_1.weight.dataSync());
      treeDispose([ts.ps, ts.optState, batch]);
      return w;
    };
    expect(run(true)).toEqual(run(false));
  });

  it('bad stats and failing loss functions throw without leaking', () => {
    const model = Chain(Dense(4, 3));
    const [ps, st] = setup(new Xoshiro(8), model);
    const batch = makeBatch(9, 4);
    const ts = TrainState(model, ps, st, sgd({ learningRate: 0.1 }));
    const before = tf.memory().numTensors;
    expect(() =>
      singleTrainStep(ts, (m, p, s, b: Batch) => {
        const [logits] = m(b.x, p, s);
        return [crossEntropy(logits, b.y), s, { perSample: tf.mean(logits, -1) }] as const;
      }, batch),
    ).toThrow(/stat 'perSample' must be a number or a scalar tensor/);
    expect(() => singleTrainStep(ts, () => [tf.scalar(1), st] as never, batch)).toThrow(/\[loss, newSt, stats\]/);
    expect(tf.memory().numTensors).toBe(before);
    treeDispose([ps, ts.optState, batch]);
  });

  it('resuming checks the optimizer state against the optimizer', () => {
    const model = Chain(Dense(4, 3));
    const [ps, st] = setup(new Xoshiro(10), model);
    const sgdState = sgd({ learningRate: 0.1 }).init(ps);
    expect(() => TrainState(model, ps, st, adam({ learningRate: 0.1 }), { optState: sgdState, step: 5 })).toThrow(/does not match this optimizer/);
    const resumed = TrainState(model, ps, st, sgd({ learningRate: 0.1 }), { optState: sgdState, step: 5 });
    expect(resumed.step).toBe(5);
    expect(treeTensors(resumed.optState)).toHaveLength(0);
    treeDispose(ps);
  });
});
