import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import {
  disposeReplaced,
  parseOptions,
  replayable,
  type ReplayableFunction,
  type ReplayReport,
  isTensor,
  treeDispose,
  treeMap,
  treeStructureDifference,
  treeTensors,
  valueAndGrad,
  type Tree,
} from '@deqts/core-layers';
import { TrainingError } from './errors.js';
import { applyUpdates, tidyTree, type GradientTransformation, type OptState } from './optim/transform.js';
import { fusedApplyOf } from './optim/fused-apply.js';

/**
 * Lux's `TrainState`: everything a training loop carries from one step to the next. Treat it as
 * immutable: each step returns a new record, and the tensors of the old one that were replaced
 * are disposed (see {@link singleTrainStep}).
 */
export type TrainState<M = unknown, P = unknown, S = unknown> = {
  /** The model (a layer value; never changes). */
  readonly model: M;
  /** Parameters (owned by the train state). */
  readonly ps: P;
  /** Layer states (owned by the train state). */
  readonly st: S;
  /** The gradient transformation (optimizer). */
  readonly optimizer: GradientTransformation;
  /** The optimizer's state tree (owned by the train state). */
  readonly optState: OptState;
  /** Number of optimizer steps taken. */
  readonly step: number;
};

/** Optional pieces of a resumed {@link TrainState}, e.g. from `loadCheckpoint`. */
export type TrainStateResume = {
  /** A saved optimizer state (its structure must match `optimizer.init(ps)`). */
  readonly optState?: OptState;
  /** The saved step count. */
  readonly step?: number;
};

/**
 * Builds a {@link TrainState} record (callable with or without `new`, like Lux's constructor):
 * `{ model, ps, st, optimizer, optState: optimizer.init(ps), step: 0 }`. The record takes
 * ownership of `ps` and `st`. To resume, pass the saved `optState` and `step`; their structure is
 * checked against a fresh `optimizer.init(ps)`.
 *
 * @example
 * ```ts
 * import { Chain, Dense, setup, Xoshiro } from '@deqts/core-layers';
 * import { TrainState, adam } from '@deqts/train';
 * const model = Chain(Dense(4, 8, { activation: 'relu' }), Dense(8, 2));
 * const [ps, st] = setup(new Xoshiro(0), model);
 * const ts = TrainState(model, ps, st, adam({ learningRate: 1e-3 }));
 * ```
 */
export function TrainState<M, P, S>(
  model: M,
  ps: P,
  st: S,
  optimizer: GradientTransformation,
  resume: TrainStateResume = {},
): TrainState<M, P, S> {
  let optState: OptState;
  if (resume.optState !== undefined) {
    const fresh = tidyTree(() => optimizer.init(ps));
    const diff = treeStructureDifference(resume.optState, fresh);
    treeDispose(fresh);
    if (diff) {
      throw new TrainingError(`TrainState: the optimizer state to resume does not match this optimizer's init(ps) (${diff}). Was it saved with another optimizer?`);
    }
    optState = resume.optState;
  } else {
    optState = tidyTree(() => optimizer.init(ps));
  }
  const step = resume.step ?? 0;
  if (!Number.isInteger(step) || step < 0) throw new TrainingError(`TrainState: 'step' must be a non-negative integer, got ${step}`);
  return { model, ps, st, optimizer, optState, step };
}

/** Statistics a loss function reports: numbers or scalar tensors (read back as numbers). */
export type TrainStats = { readonly [name: string]: number | tf.Tensor };

/**
 * A Lux-style objective: `(model, ps, st, batch) → [loss, newSt, stats]`. `loss` is a scalar
 * tensor; `newSt` the states after the forward pass; `stats` extra numbers or scalar tensors to
 * report (e.g. `{ nfe, accuracy }`). It runs inside the gradient computation: do not dispose its
 * inputs, and keep it synchronous.
 */
export type LossFunction<M, P, S, B> = (model: M, ps: P, st: S, batch: B) => readonly [tf.Tensor, S, TrainStats];

/** Options of {@link computeGradients}, {@link applyGradients} (and {@link singleTrainStep}). */
export type GradientOptions = {
  /**
   * Replay the step's kernels (see `replayable` in @deqts/core-layers) once two consecutive steps
   * ran the same ones: the model's JavaScript, the gradient tape and tfjs's per-operation
   * bookkeeping are skipped, with bit-identical results. For the gradients: models whose kernel
   * sequence does not depend on the data (explicit networks, fixed-depth/pretraining DEQs); a DEQ
   * solved to a tolerance reads its residual on the host, which is detected: such a step keeps
   * running normally. For the update: Adam on wasm (its count is a tensor); schedules read a step
   * number on the host and keep running normally. Like `jit`, a replayed step does not run the
   * loss function's JavaScript, so its side effects (logging, callbacks) happen only on the first
   * steps. Default false.
   */
  readonly replay?: boolean;
};

const GradientOptionsSchema = z.strictObject({ replay: z.boolean().optional() });
const SingleTrainStepOptionsSchema = GradientOptionsSchema.extend({ keepGradients: z.boolean().optional() });

/** Options of {@link singleTrainStep}. */
export type SingleTrainStepOptions = GradientOptions & {
  /**
   * Return the gradients (owned by the caller, who must dispose them) instead of `null`.
   * Default false: they are disposed inside the step, so a loop that ignores them cannot leak.
   */
  readonly keepGradients?: boolean;
};

const consumed = new WeakSet<object>();

function assertFresh(ts: TrainState, owner: string): void {
  if (consumed.has(ts) || treeTensors([ts.ps, ts.optState]).some((t) => t.isDisposed)) {
    throw new TrainingError(
      `${owner}: this TrainState was already consumed by an earlier step, which disposed the tensors it replaced. ` +
        'Use the TrainState that step returned, e.g. `[, loss, stats, ts] = singleTrainStep(ts, lossFn, batch)`.',
    );
  }
}

function readStats(stats: unknown): Record<string, number> {
  if (stats === null || typeof stats !== 'object' || Array.isArray(stats)) {
    throw new TrainingError(`the loss function's third result (stats) must be a plain object of numbers or scalar tensors, got ${Array.isArray(stats) ? 'an array' : typeof stats}`);
  }
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries(stats)) {
    if (typeof value === 'number') out[name] = value;
    else if (isTensor(value) && value.size === 1) out[name] = value.dataSync()[0];
    else {
      throw new TrainingError(
        `stat '${name}' must be a number or a scalar tensor, got ${isTensor(value) ? `a tensor of shape [${value.shape.join(', ')}]` : typeof value}; reduce it (e.g. tf.mean)`,
      );
    }
  }
  return out;
}

/** What one gradient computation returns, tensors included (before the loss and stats are read). */
type GradientResult<P, S> = { readonly loss: tf.Tensor; readonly grads: P; readonly st: S; readonly stats: TrainStats };

type GradientFunction<P, S, B> = (ps: P, st: S, batch: B) => GradientResult<P, S>;

function gradientsOf<M, P, S, B>(model: M, lossFn: LossFunction<M, P, S, B>): GradientFunction<P, S, B> {
  return (ps, st, batch) => {
    let aux: readonly [S, TrainStats] | undefined;
    try {
      return tidyTree(() => {
        const [loss, grads, a] = valueAndGrad(
          (p: P) => {
            const out = lossFn(model, p, st, batch);
            if (!Array.isArray(out) || out.length !== 3) {
              throw new TrainingError('the loss function must return [loss, newSt, stats] (a scalar tensor, the new states, a stats object)');
            }
            return [out[0], [out[1], out[2]] as const] as const;
          },
          { hasAux: true },
        )(ps);
        aux = a;
        return { loss, grads, st: a[0], stats: a[1] };
      });
    } catch (error) {
      // Tensors kept for the aux output would otherwise outlive a failed step.
      if (aux) disposeReplaced(aux, [ps, st, batch]);
      throw error;
    }
  };
}

/**
 * One replayable gradient function per (loss function, model), made on first use. The batch
 * enters the replay's signature by its tensors only: its other fields (sample indices, a dispose
 * function) change every step, and what a loss function does with them shows up in the kernels
 * it runs, which two traces compare.
 */
const replayed = new WeakMap<object, WeakMap<object, ReplayedGradients<unknown, unknown, unknown>>>();

type ReplayedGradients<P, S, B> = GradientFunction<P, S, B> & { report(): ReplayReport };

/**
 * How the `{ replay: true }` steps of `lossFn` on `model` have been running (replays, plain calls,
 * kernels per replay, and why replay was refused if it was), or null before the first such step.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { Dense, setup, Xoshiro } from '@deqts/core-layers';
 * import { TrainState, adam, gradientReplayReport, mse, singleTrainStep } from '@deqts/train';
 * const model = Dense(2, 1);
 * const [ps, st] = setup(new Xoshiro(0), model);
 * let ts = TrainState(model, ps, st, adam({ learningRate: 1e-2 }));
 * const batch = { x: tf.ones([4, 2]), y: tf.zeros([4, 1]) };
 * const lossFn = (m: typeof model, p: typeof ps, s: typeof st, b: typeof batch) => [mse(m(b.x, p, s)[0], b.y), s, {}] as const;
 * for (let i = 0; i < 5; i++) [, , , ts] = singleTrainStep(ts, lossFn, batch, { replay: true });
 * console.log(gradientReplayReport(lossFn, model)); // { replays: 3, plainCalls: 2, kernelsPerReplay: [...], reason: null }
 * ```
 */
export function gradientReplayReport<M, P, S, B>(lossFn: LossFunction<M, P, S, B>, model: M): ReplayReport | null {
  if (typeof model !== 'object' && typeof model !== 'function') return null;
  return replayed.get(lossFn)?.get(model as object)?.report() ?? null;
}

function replayedGradients<M, P, S, B>(model: M, lossFn: LossFunction<M, P, S, B>): GradientFunction<P, S, B> {
  if (typeof model !== 'object' && typeof model !== 'function') return gradientsOf(model, lossFn);
  const byModel = replayed.get(lossFn) ?? new WeakMap();
  replayed.set(lossFn, byModel);
  let fn = byModel.get(model as object) as ReplayedGradients<P, S, B> | undefined;
  if (!fn) {
    const plain = gradientsOf(model, lossFn);
    let current: B;
    const replay = replayable((ps: P, st: S, batchTensors: tf.Tensor[]) => {
      void batchTensors; // the replay's inputs; the loss function reads them through the batch
      return plain(ps, st, current);
    });
    fn = Object.assign(
      (ps: P, st: S, batch: B) => {
        current = batch;
        return replay(ps, st, treeTensors(batch));
      },
      { report: () => replay.report() },
    );
    byModel.set(model as object, fn as ReplayedGradients<unknown, unknown, unknown>);
  }
  return fn;
}

function idsOf(...trees: unknown[]): Set<number> {
  return new Set(treeTensors(trees).map((t) => t.id));
}

/**
 * Computes the loss, the gradients with respect to `ts.ps` and the new layer states
 * (Lux's `compute_gradients`). Returns `[grads, loss, stats, ts']` where `ts'` carries the new
 * states (the old states' replaced tensors are disposed; `ts` must not be used again). `grads`
 * (same tree as `ps`) are owned by the caller. `loss` and `stats` are numbers.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { Dense, setup, treeDispose, Xoshiro } from '@deqts/core-layers';
 * import { TrainState, computeGradients, applyGradients, sgd, mse } from '@deqts/train';
 * const model = Dense(2, 1);
 * const [ps, st] = setup(new Xoshiro(0), model);
 * const batch = { x: tf.ones([4, 2]), y: tf.zeros([4, 1]) };
 * const lossFn = (m: typeof model, p: typeof ps, s: typeof st, b: typeof batch) => [mse(m(b.x, p, s)[0], b.y), s, {}] as const;
 * const [grads, loss, , ts2] = computeGradients(TrainState(model, ps, st, sgd({ learningRate: 0.1 })), lossFn, batch);
 * const ts3 = applyGradients(ts2, grads); // ts3.step === 1
 * treeDispose(grads);
 * ```
 */
export function computeGradients<M, P, S, B>(
  ts: TrainState<M, P, S>,
  lossFn: LossFunction<M, P, S, B>,
  batch: B,
  options: GradientOptions = {},
): [P, number, Record<string, number>, TrainState<M, P, S>] {
  assertFresh(ts, 'computeGradients');
  return gradientStep(ts, lossFn, batch, parseOptions(GradientOptionsSchema, options, 'computeGradients'), true);
}

/**
 * computeGradients after its checks. `disposeStates: false` leaves the replaced state tensors to
 * the caller (singleTrainStep frees everything a step replaced in one pass).
 */
function gradientStep<M, P, S, B>(
  ts: TrainState<M, P, S>,
  lossFn: LossFunction<M, P, S, B>,
  batch: B,
  options: GradientOptions,
  disposeStates: boolean,
): [P, number, Record<string, number>, TrainState<M, P, S>] {
  const gradients = options.replay ? replayedGradients(ts.model, lossFn) : gradientsOf(ts.model, lossFn);
  const { loss, grads, st: newSt, stats: rawStats } = gradients(ts.ps, ts.st, batch);
  let lossValue: number;
  let stats: Record<string, number>;
  try {
    lossValue = loss.dataSync()[0];
    stats = readStats(rawStats);
  } catch (error) {
    // Leave `ts` usable: free what this failed call created.
    const alive = idsOf(ts.ps, ts.st, ts.optState, batch);
    for (const t of treeTensors([loss, rawStats, newSt, grads])) if (!alive.has(t.id) && !t.isDisposed) t.dispose();
    throw error;
  }
  // The loss and stats tensors were kept alive for reading; free those that are not also state,
  // parameters or batch. The walk over every tree is skipped in the common case (the stats hold
  // no tensor): the loss was made by the loss function, so only the new states could hold it.
  const statTensors = treeTensors(rawStats);
  const alive = statTensors.length > 0 ? idsOf(newSt, ts.ps, ts.st, ts.optState, grads, batch) : idsOf(newSt);
  for (const t of [loss, ...statTensors]) if (!alive.has(t.id) && !t.isDisposed) t.dispose();
  if (disposeStates) disposeReplaced(ts.st, [newSt, ts.ps, ts.optState, grads]);
  consumed.add(ts);
  return [grads, lossValue, stats, { ...ts, st: newSt }];
}

/**
 * Applies gradients with the train state's optimizer (Lux's `apply_gradients`): runs
 * `optimizer.update(grads, optState, ps)` and {@link applyUpdates}, increments `step`, disposes
 * the old parameters and optimizer-state tensors that were replaced, and returns the new state.
 * `grads` are not disposed (the caller owns them).
 *
 * @example
 * ```ts
 * // grads from computeGradients (or accumulated over several batches):
 * // const next = applyGradients(ts, grads); treeDispose(grads);
 * ```
 */
export function applyGradients<M, P, S>(ts: TrainState<M, P, S>, grads: P, options: GradientOptions = {}): TrainState<M, P, S> {
  assertFresh(ts, 'applyGradients');
  return updateStep(ts, grads, parseOptions(GradientOptionsSchema, options, 'applyGradients'), true);
}

/** applyGradients after its checks; `disposeOld: false` leaves the replaced tensors to the caller, as in gradientStep. */
function updateStep<M, P, S>(ts: TrainState<M, P, S>, grads: P, options: GradientOptions, disposeOld: boolean): TrainState<M, P, S> {
  const update = options.replay ? replayedUpdate(ts.optimizer) : updateOf(ts.optimizer);
  const { ps, optState } = update(ts.ps, ts.optState, grads) as { ps: P; optState: OptState };
  if (disposeOld) disposeReplaced([ts.ps, ts.optState], [ps, optState, ts.st, grads]);
  consumed.add(ts);
  return { ...ts, ps, optState, step: ts.step + 1 };
}

type UpdateFunction = (ps: unknown, optState: OptState, grads: unknown) => { ps: unknown; optState: OptState };

/** The optimizer's update applied to the parameters: new parameters and optimizer state. */
function updateOf(optimizer: GradientTransformation): UpdateFunction {
  const fused = fusedApplyOf(optimizer);
  return (ps, optState, grads) =>
    fused?.(ps, optState, grads) ??
    tidyTree(() => {
      const [updates, nextState] = optimizer.update(grads as never, optState, ps as never);
      return { ps: applyUpdates(ps as never, updates), optState: nextState };
    });
}

/** One replayable update per optimizer, made on first use (see {@link GradientOptions.replay}). */
const replayedUpdates = new WeakMap<GradientTransformation, ReplayableFunction<Parameters<UpdateFunction>, ReturnType<UpdateFunction>>>();

function replayedUpdate(optimizer: GradientTransformation): UpdateFunction {
  let fn = replayedUpdates.get(optimizer);
  if (!fn) {
    fn = replayable(updateOf(optimizer));
    replayedUpdates.set(optimizer, fn);
  }
  return fn;
}

/**
 * How the `{ replay: true }` optimizer steps of `optimizer` have been running (see
 * {@link gradientReplayReport}), or null before the first such step. Adam's update replays (its
 * count is a tensor); a learning-rate schedule computes its factor on the host from a step
 * number, so scheduled steps keep running normally.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { Dense, setup, Xoshiro } from '@deqts/core-layers';
 * import { TrainState, adam, mse, singleTrainStep, updateReplayReport } from '@deqts/train';
 * const model = Dense(2, 1);
 * const [ps, st] = setup(new Xoshiro(0), model);
 * const optimizer = adam({ learningRate: 1e-2 });
 * let ts = TrainState(model, ps, st, optimizer);
 * const batch = { x: tf.ones([4, 2]), y: tf.zeros([4, 1]) };
 * const lossFn = (m: typeof model, p: typeof ps, s: typeof st, b: typeof batch) => [mse(m(b.x, p, s)[0], b.y), s, {}] as const;
 * for (let i = 0; i < 5; i++) [, , , ts] = singleTrainStep(ts, lossFn, batch, { replay: true });
 * console.log(updateReplayReport(optimizer)); // on wasm { replays: 3, plainCalls: 2, … }; on cpu Adam reads its count on the host: refused
 * ```
 */
export function updateReplayReport(optimizer: GradientTransformation): ReplayReport | null {
  return replayedUpdates.get(optimizer)?.report() ?? null;
}

/**
 * One optimisation step, as Lux's `single_train_step`: computes the loss, gradients and new
 * states with `lossFn(model, ps, st, batch) → [loss, newSt, stats]`, applies the optimizer, and
 * returns `[grads, loss, stats, trainState]`.
 *
 * Ownership: the returned `trainState` owns its tensors; the tensors of the `ts` you passed that
 * were replaced (old parameters, optimizer state, states) are disposed, so `ts` must not be used
 * again (doing so throws a {@link TrainingError}). `loss` and `stats` are numbers. `grads` is
 * `null` unless `{ keepGradients: true }`, in which case you own and must dispose it
 * (`treeDispose(grads)`). A loop of steps therefore keeps `tf.memory().numTensors` flat. The
 * batch is never disposed.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { Chain, Dense, setup, Xoshiro } from '@deqts/core-layers';
 * import { TrainState, singleTrainStep, adam, crossEntropy } from '@deqts/train';
 * const model = Chain(Dense(4, 8, { activation: 'relu' }), Dense(8, 3));
 * const [ps, st] = setup(new Xoshiro(0), model);
 * let ts = TrainState(model, ps, st, adam({ learningRate: 1e-2 }));
 * const batch = { x: tf.ones([5, 4]), y: tf.tensor1d([0, 1, 2, 0, 1], 'int32') };
 * const lossFn = (m: typeof model, p: typeof ps, s: typeof st, b: typeof batch) => {
 *   const [logits, s2] = m(b.x, p, s);
 *   return [crossEntropy(logits, b.y), s2, {}] as const;
 * };
 * let loss: number;
 * for (let i = 0; i < 10; i++) [, loss, , ts] = singleTrainStep(ts, lossFn, batch);
 * ```
 */
export function singleTrainStep<M, P, S, B>(
  ts: TrainState<M, P, S>,
  lossFn: LossFunction<M, P, S, B>,
  batch: B,
  options: SingleTrainStepOptions & { readonly keepGradients: true },
): [P, number, Record<string, number>, TrainState<M, P, S>];
export function singleTrainStep<M, P, S, B>(
  ts: TrainState<M, P, S>,
  lossFn: LossFunction<M, P, S, B>,
  batch: B,
  options?: SingleTrainStepOptions,
): [P | null, number, Record<string, number>, TrainState<M, P, S>];
export function singleTrainStep<M, P, S, B>(
  ts: TrainState<M, P, S>,
  lossFn: LossFunction<M, P, S, B>,
  batch: B,
  options: SingleTrainStepOptions = {},
): [P | null, number, Record<string, number>, TrainState<M, P, S>] {
  const { keepGradients, ...gradientOptions } = parseOptions(SingleTrainStepOptionsSchema, options, 'singleTrainStep');
  assertFresh(ts, 'singleTrainStep');
  const [grads, loss, stats, withStates] = gradientStep(ts, lossFn, batch, gradientOptions, false);
  let next: TrainState<M, P, S>;
  try {
    next = updateStep(withStates, grads, gradientOptions, false);
  } catch (error) {
    disposeReplaced(ts.st, [withStates.st, ts.ps, ts.optState, grads]);
    treeDispose(grads);
    throw error;
  }
  if (!keepGradients) {
    // one pass frees what the step replaced: the old states, parameters and optimizer state, and the gradients
    disposeReplaced([ts.st, ts.ps, ts.optState, grads], [next.ps, next.optState, next.st, batch]);
    return [null, loss, stats, next];
  }
  disposeReplaced([ts.st, ts.ps, ts.optState], [next.ps, next.optState, next.st, batch, grads]);
  // A transformation may have stored a gradient tensor itself in its state; hand the caller a copy.
  const owned = idsOf(next.ps, next.optState, next.st, batch);
  const mine = treeMap((g: unknown) => (isTensor(g) && owned.has(g.id) ? tf.clone(g) : g), grads as Tree) as P;
  return [mine, loss, stats, next];
}
