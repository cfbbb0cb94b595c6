import * as tf from '@tensorflow/tfjs-core';
import { parameterCount, setup, testmode, tidy, trainmode, treeDispose, Xoshiro, type AnyLayer, type Params, type States } from '@deqts/core-layers';
import { batches, type Batch, type Dataset } from '../data/dataset.js';
import { crossEntropy } from '../loss/losses.js';
import { adam, adamw } from '../optim/aliases.js';
import { cosineSchedule } from '../optim/schedules.js';
import { ProgressBar } from '../report/progress.js';
import { singleTrainStep, TrainState } from '../train-state.js';
import type { ResolvedConfig } from './config.js';
import { findSolutions, jacobianLossOf, nfeOf, skipLossOf } from './solutions.js';

/** Metrics of one epoch. */
export type EpochRecord = {
  readonly epoch: number;
  readonly trainLoss: number;
  readonly trainAccuracy: number;
  readonly trainNfe: number;
  readonly testAccuracy: number;
  readonly testNfe: number;
  readonly seconds: number;
};

/** The outcome of training one model variant. */
export type RunResult = {
  readonly name: string;
  readonly variant: string;
  readonly jacobian: boolean;
  readonly parameters: number;
  readonly testAccuracy: number;
  readonly testNfe: number;
  readonly trainMinutes: number;
  readonly predictSecondsPerBatch: number;
  readonly epochs: readonly EpochRecord[];
  /** Per-check residual norms (max over the batch) of one test batch with the trained model. */
  readonly residualTrace: readonly number[];
};

/** Builds the model of a variant; `trace` asks its solver to record residual traces. */
export type ModelFactory = (variant: string, jacobian: boolean, trace: boolean) => AnyLayer;

const argmaxAccuracy = (logits: tf.Tensor, labels: tf.Tensor): number =>
  tidy(() => tf.mean(tf.cast(tf.equal(tf.argMax(logits, -1), tf.cast(labels, 'int32')), 'float32')).dataSync()[0]);

type Evaluation = { accuracy: number; nfe: number; secondsPerBatch: number };

function evaluate(model: AnyLayer, ps: Params, st: States, test: Dataset, batchSize: number): Evaluation {
  const stTest = testmode(st);
  let correct = 0;
  let count = 0;
  let nfe = 0;
  let batchCount = 0;
  let seconds = 0;
  for (const batch of batches(test, { batchSize, autoDispose: true })) {
    const start = performance.now();
    const [acc, batchNfe] = tidy(() => {
      const [logits, s] = model(batch.x, ps, stTest) as readonly [tf.Tensor, States];
      const result: [number, number] = [argmaxAccuracy(logits, batch.y), nfeOf(findSolutions(s))];
      return result;
    });
    seconds += (performance.now() - start) / 1000;
    correct += acc * batch.x.shape[0];
    count += batch.x.shape[0];
    nfe += batchNfe;
    batchCount++;
  }
  return { accuracy: correct / count, nfe: nfe / batchCount, secondsPerBatch: seconds / batchCount };
}

function residualTrace(model: AnyLayer, ps: Params, st: States, test: Dataset, batchSize: number): number[] {
  const batch = batches(test, { batchSize })[Symbol.iterator]().next().value as Batch;
  const trace = tidy(() => {
    const [, s] = model(batch.x, ps, testmode(st)) as readonly [tf.Tensor, States];
    const entries = findSolutions(s)[0]?.original?.trace ?? [];
    return entries.map((e) => Math.max(...Array.from(e.residualNorm)));
  });
  batch.dispose();
  return trace;
}

/**
 * Trains one model variant with the paper's objective (cross-entropy + λ_skip·mean|z* − u0| for
 * Skip variants + λ_jac·Jacobian loss), evaluating on the test set after every epoch.
 */
export function trainOne(config: ResolvedConfig, makeModel: ModelFactory, variant: string, jacobian: boolean, data: { train: Dataset; test: Dataset }): RunResult {
  const name = `${variant === 'vanilla' ? 'Vanilla DEQ' : variant === 'skip' ? 'Skip DEQ' : variant === 'skipreg' ? 'Skip Reg. DEQ' : 'Neural ODE'}${jacobian ? ' + Jac. reg.' : ''}`;
  const model = makeModel(variant, jacobian, false);
  const rng = new Xoshiro(config.seed);
  const [ps0, st0] = setup(rng.split(), model);
  const stepsPerEpoch = Math.ceil(config.trainSize / config.batchSize);
  const learningRate = config.cosineTo === null
    ? config.learningRate
    : cosineSchedule({ init: config.learningRate, decaySteps: stepsPerEpoch * config.epochs, alpha: config.cosineTo / config.learningRate });
  const optimizer = config.optimizer === 'adamw' ? adamw({ learningRate, weightDecay: config.weightDecay }) : adam({ learningRate });
  let ts = TrainState(model, ps0 as Params, trainmode(st0) as States, optimizer);
  const useSkipLoss = variant === 'skip' || variant === 'skipreg';
  const lossFn = (m: AnyLayer, ps: Params, st: States, batch: Batch) => {
    const [logits, newSt] = m(batch.x, ps, st) as readonly [tf.Tensor, States];
    const solutions = findSolutions(newSt);
    let loss = crossEntropy(logits, batch.y);
    if (useSkipLoss && config.skipWeight > 0) loss = tf.add(loss, tf.mul(skipLossOf(solutions), config.skipWeight)) as tf.Scalar;
    if (jacobian && config.jacobianWeight > 0) loss = tf.add(loss, tf.mul(jacobianLossOf(solutions), config.jacobianWeight)) as tf.Scalar;
    const result: readonly [tf.Tensor, States, Record<string, number>] = [loss, newSt, { nfe: nfeOf(solutions), accuracy: argmaxAccuracy(logits, batch.y) }];
    return result;
  };
  const epochs: EpochRecord[] = [];
  const trainStart = performance.now();
  let trainSeconds = 0;
  for (let epoch = 1; epoch <= config.epochs; epoch++) {
    const epochStart = performance.now();
    const bar = new ProgressBar({ total: stepsPerEpoch, label: `${name} epoch ${epoch}/${config.epochs}`, unit: 'batch' });
    let lossSum = 0;
    let accSum = 0;
    let nfeSum = 0;
    let n = 0;
    for (const batch of batches(data.train, { batchSize: config.batchSize, shuffle: true, rng, autoDispose: true })) {
      const [, loss, stats, next] = singleTrainStep(ts, lossFn, batch);
      ts = next;
      lossSum += loss;
      accSum += stats.accuracy;
      nfeSum += stats.nfe;
      n++;
      bar.tick(1, { loss: lossSum / n, acc: accSum / n, nfe: nfeSum / n });
    }
    trainSeconds += (performance.now() - epochStart) / 1000;
    const evaluation = evaluate(model, ts.ps, ts.st, data.test, config.batchSize);
    bar.finish({ loss: lossSum / n, acc: accSum / n, nfe: nfeSum / n, testAcc: evaluation.accuracy, testNfe: evaluation.nfe });
    epochs.push({
      epoch,
      trainLoss: lossSum / n,
      trainAccuracy: accSum / n,
      trainNfe: nfeSum / n,
      testAccuracy: evaluation.accuracy,
      testNfe: evaluation.nfe,
      seconds: (performance.now() - epochStart) / 1000,
    });
  }
  void trainStart;
  const final = evaluate(model, ts.ps, ts.st, data.test, config.batchSize);
  const traced = residualTrace(makeModel(variant, jacobian, true), ts.ps, ts.st, data.test, config.batchSize);
  const result: RunResult = {
    name,
    variant,
    jacobian,
    parameters: parameterCount(ts.ps),
    testAccuracy: final.accuracy,
    testNfe: final.nfe,
    trainMinutes: trainSeconds / 60,
    predictSecondsPerBatch: final.secondsPerBatch,
    epochs,
    residualTrace: traced,
  };
  treeDispose([ts.ps, ts.st, ts.optState]);
  return result;
}
