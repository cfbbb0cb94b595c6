import * as tf from '@tensorflow/tfjs-core';
import { setup, testmode, tidy, trainmode, treeDispose, Xoshiro, type AnyLayer, type Params, type States } from '@deqts/core-layers';
import {
  accuracy, adam, batches, crossEntropy, findSolutions, nfeOf, singleTrainStep, skipLossOf, TrainState,
  type Batch, type Dataset,
} from '@deqts/train';
import type { ResidualTrace, RunConfig, SolverSettings, StepReport } from '../protocol.js';
import { buildModel } from './model.js';

/** What one training step tells the page about the solve of its batch. */
export type SolveReport = { readonly solver: string; readonly trace: ResidualTrace; readonly iterations: readonly number[] };

/** The data a session trains on; `extent` is set for the 2D problems. */
export type SessionData = { readonly train: Dataset; readonly test: Dataset; readonly extent: readonly [number, number, number, number] | null };

/** Weight of the Skip loss mean|z* − u0| for Skip and Skip Reg DEQs (the paper's 0.01). */
const SKIP_WEIGHT = 0.01;

const median = (values: Float32Array): number => {
  const sorted = Float32Array.from(values).sort();
  return sorted[Math.floor(sorted.length / 2)];
};

function summariseTrace(entries: readonly { iteration: number; residualNorm: Float32Array }[]): ResidualTrace {
  return {
    iteration: entries.map((e) => e.iteration),
    max: entries.map((e) => Math.max(...e.residualNorm)),
    median: entries.map((e) => median(e.residualNorm)),
    min: entries.map((e) => Math.min(...e.residualNorm)),
  };
}

/**
 * One training run: the model, its TrainState (which owns every parameter, state and optimizer
 * tensor), the batch stream and the clock. Each `step()` keeps `tf.memory().numTensors` flat.
 */
export class Session {
  private model: AnyLayer;
  private ts: TrainState<AnyLayer, Params, States>;
  private readonly rng: Xoshiro;
  private epoch: Iterator<Batch> | null = null;
  private settings: SolverSettings;
  private solverName: string;
  private lastSolve: SolveReport | null = null;

  constructor(readonly config: RunConfig, readonly data: SessionData) {
    this.settings = config;
    const built = buildModel(config.dataset, config);
    this.model = built.model;
    this.solverName = built.solver.name;
    this.rng = new Xoshiro(config.seed);
    const [ps, st] = setup(this.rng.split(), this.model);
    this.ts = TrainState(this.model, ps as Params, trainmode(st) as States, adam({ learningRate: config.learningRate }));
  }

  get step(): number {
    return this.ts.step;
  }

  /** The latest training batch's residual trace and per-sample iterations. */
  get solve(): SolveReport | null {
    return this.lastSolve;
  }

  /**
   * Switches solver, tolerances or DEQ variant and keeps the trained parameters, when the new
   * model has the same parameter tree (every change except to or from Skip DEQ). Throws the
   * library's OptionError for invalid settings, leaving the session as it was.
   */
  changeSolver(settings: SolverSettings): void {
    if ((settings.model === 'skip') !== (this.settings.model === 'skip')) {
      throw new Error('Switching to or from Skip DEQ adds or removes its guess layer: press Start to train the new model from scratch.');
    }
    const { model, solver } = buildModel(this.config.dataset, settings);
    this.model = model;
    this.solverName = solver.name;
    this.settings = settings;
    this.ts = { ...this.ts, model };
  }

  private nextBatch(): Batch {
    for (;;) {
      this.epoch ??= batches(this.data.train, { batchSize: this.config.batchSize, shuffle: true, rng: this.rng, dropLast: true, autoDispose: true })[Symbol.iterator]();
      const next = this.epoch.next();
      if (!next.done) return next.value;
      this.epoch = null;
    }
  }

  /** One optimizer step on the next batch. */
  trainStep(): Omit<StepReport, 'seconds'> {
    const batch = this.nextBatch();
    const useSkipLoss = this.settings.model === 'skip' || this.settings.model === 'skipreg';
    const lossFn = (m: AnyLayer, ps: Params, st: States, b: Batch) => {
      const [logits, newSt] = m(b.x, ps, st) as readonly [tf.Tensor, States];
      const solutions = findSolutions(newSt);
      let loss = crossEntropy(logits, b.y);
      if (useSkipLoss) loss = tf.add(loss, tf.mul(skipLossOf(solutions), SKIP_WEIGHT)) as tf.Scalar;
      return [loss, newSt, { nfe: nfeOf(solutions), accuracy: accuracy(logits, b.y) }] as const;
    };
    const [, loss, stats, next] = singleTrainStep(this.ts, lossFn, batch);
    this.ts = next;
    const summary = findSolutions(this.ts.st)[0]?.original ?? null;
    const solver = this.solverName;
    this.lastSolve = {
      solver,
      trace: summariseTrace(summary?.trace ?? []),
      iterations: Array.from(summary?.perSample?.iterations ?? []),
    };
    return {
      step: this.ts.step, loss, accuracy: stats.accuracy, nfe: stats.nfe,
      numTensors: tf.memory().numTensors, solver, status: summary?.status ?? 'unknown',
    };
  }

  private logitsOf(x: tf.Tensor): tf.Tensor {
    return (this.model(x, this.ts.ps, testmode(this.ts.st)) as readonly [tf.Tensor, States])[0];
  }

  /** Accuracy on the test set (test mode, batches of 250). */
  evaluate(): number {
    let correct = 0;
    for (const batch of batches(this.data.test, { batchSize: 250, autoDispose: true })) {
      correct += tidy(() => accuracy(this.logitsOf(batch.x), batch.y)) * batch.x.shape[0];
    }
    return correct / this.data.test.size;
  }

  /** Class-1 probabilities on a `size × size` grid over the 2D extent (row 0 at the top). */
  boundary(size: number): Float32Array | null {
    const extent = this.data.extent;
    if (!extent) return null;
    const [x0, x1, y0, y1] = extent;
    const grid = new Float32Array(2 * size * size);
    for (let r = 0; r < size; r++) {
      for (let c = 0; c < size; c++) {
        grid[2 * (r * size + c)] = x0 + ((c + 0.5) / size) * (x1 - x0);
        grid[2 * (r * size + c) + 1] = y1 - ((r + 0.5) / size) * (y1 - y0);
      }
    }
    return tidy(() => {
      const probabilities = tf.softmax(this.logitsOf(tf.tensor2d(grid, [size * size, 2])));
      return tf.slice(probabilities, [0, 1], [-1, 1]).dataSync() as Float32Array;
    });
  }

  /** Frees every tensor the session owns. */
  dispose(): void {
    this.epoch?.return?.();
    this.epoch = null;
    treeDispose([this.ts.ps, this.ts.st, this.ts.optState]);
  }
}
