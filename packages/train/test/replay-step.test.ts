import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { Chain, Dense, NoOpLayer, OptionError, Parallel, WrappedFunction, Xoshiro, setup, trainmode, treeTensors, updateState, type AnyLayer, type Params, type States } from '@deqts/core-layers';
import { Anderson } from '@deqts/solvers';
import { DeepEquilibriumNetwork } from '@deqts/deq';
import { TrainState, adam, computeGradients, crossEntropy, gradientReplayReport, singleTrainStep, updateReplayReport, type LossFunction } from '../src/index.js';
import { describeBackends } from '../../../test/utils/index.js';

type Batch = { x: tf.Tensor; y: tf.Tensor1D; indices: Int32Array; dispose(): void };

const makeBatch = (seed: number, n = 16): Batch => {
  const rng = new Xoshiro(seed);
  const x = tf.tensor(rng.normalArray(n * 6), [n, 6]);
  const y = tf.tidy(() => tf.cast(tf.argMax(tf.slice(x, [0, 0], [n, 3]), -1), 'int32')) as tf.Tensor1D;
  // like the data loader's batches: non-tensor fields that change every step
  return { x, y, indices: Int32Array.from({ length: n }, (_, i) => seed * n + i), dispose: () => tf.dispose([x, y]) };
};

const lossFn: LossFunction<AnyLayer, Params, States, Batch> = (model, ps, st, batch) => {
  const [logits, st2] = model(batch.x, ps, st) as [tf.Tensor, States];
  return [crossEntropy(logits, batch.y), st2, { batchSize: batch.x.shape[0] }] as const;
};

/** The DEQ of config E at toy size: f(z) = tanh(W z + u), unrolled `depth` steps, or solved. */
const deqModel = () => {
  const f = Chain(Parallel((a: tf.Tensor, b: tf.Tensor) => tf.add(a, b), Dense(8, 8, { useBias: false }), NoOpLayer()), WrappedFunction((z: tf.Tensor) => tf.tanh(z), 'tanh'));
  return Chain(Dense(6, 8), DeepEquilibriumNetwork(f, new Anderson(), { maxiters: 10 }), Dense(8, 3));
};

/** Trains `steps` steps from the same start, replayed or not; returns the losses and final parameters' bits. */
function train(model: AnyLayer, replay: boolean, steps: number, depth = 0) {
  const [ps, st0] = setup(new Xoshiro(3), model);
  let st = trainmode(st0) as States;
  if (depth > 0) st = updateState(st, 'fixedDepth', depth);
  let ts = TrainState(model, ps as Params, st, adam({ learningRate: 1e-2 }));
  const losses: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < steps; i++) {
    const batch = makeBatch(i);
    let loss: number;
    [, loss, , ts] = singleTrainStep(ts, lossFn, batch, { replay });
    losses.push(loss);
    batch.dispose();
    counts.push(tf.memory().numTensors);
  }
  const bits = treeTensors(ts.ps).map((t) => Array.from(new Uint32Array(new Float32Array(t.dataSync()).buffer)));
  return { losses, bits, counts, ts };
}

describeBackends('computeGradients / singleTrainStep with { replay: true }', (backend) => {
  it('an explicit network trains bit-identically to plain steps, without leaking', () => {
    const model = Chain(Dense(6, 16, { activation: 'tanh' }), Dense(16, 3));
    const plain = train(model, false, 8);
    const replayed = train(model, true, 8);
    expect(replayed.losses).toEqual(plain.losses);
    expect(replayed.bits).toEqual(plain.bits);
    expect(new Set(replayed.counts.slice(2)).size).toBe(1); // flat once replaying
    expect(gradientReplayReport(lossFn, model)).toMatchObject({ replays: 6, plainCalls: 2, reason: null });
    // Adam's update replays too on wasm (its count is a tensor the fused kernel reads); the op path
    // on cpu reads the count on the host, which the trace refuses
    const update = updateReplayReport(replayed.ts.optimizer);
    if (backend === 'wasm') expect(update).toMatchObject({ replays: 6, plainCalls: 2, reason: null });
    else expect(update?.reason).toMatch(/host/);
  });

  it('a fixed-depth (pretraining) DEQ trains bit-identically to plain steps', () => {
    const model = deqModel();
    const plain = train(model, false, 6, 5);
    const replayed = train(model, true, 6, 5);
    expect(replayed.losses).toEqual(plain.losses);
    expect(replayed.bits).toEqual(plain.bits);
    expect(new Set(replayed.counts.slice(2)).size).toBe(1);
    // the first step's states hold no solution tensors yet (another signature): steps 2 and 3 are traced
    expect(gradientReplayReport(lossFn, model)).toMatchObject({ replays: 3, plainCalls: 3, reason: null });
    const solution = (replayed.ts.st as { layer_2: { solution: { nfe: number; zStar: tf.Tensor } } }).layer_2.solution;
    expect(solution.nfe).toBe(5);
    expect(solution.zStar.isDisposed).toBe(false);
  });

  it('a DEQ solved to a tolerance (host reads) is detected and keeps training normally', () => {
    const model = deqModel();
    const plain = train(model, false, 4);
    const replayed = train(model, true, 4);
    expect(gradientReplayReport(lossFn, model)).toMatchObject({ replays: 0, plainCalls: 4 });
    expect(gradientReplayReport(lossFn, model)?.reason).toMatch(/host/);
    expect(replayed.losses).toEqual(plain.losses);
    expect(replayed.bits).toEqual(plain.bits);
  });

  it('rejects a malformed option', () => {
    const model = Dense(6, 3);
    const [ps, st] = setup(new Xoshiro(0), model);
    const ts = TrainState(model, ps as Params, st as States, adam({ learningRate: 1e-2 }));
    const batch = makeBatch(0);
    expect(() => computeGradients(ts, lossFn, batch, { replay: 'yes' as unknown as boolean })).toThrow(OptionError);
    expect(() => singleTrainStep(ts, lossFn, batch, { replay: true, keepGradient: true } as never)).toThrow(/keepGradient/);
    batch.dispose();
  });
});
