/**
 * @deqts/train in a browser (the package's `"browser"` export condition, which bundlers such as
 * Vite pick for web builds): everything of `index.ts` that does not need Node — optimizers,
 * schedules, losses, metrics, the TrainState/singleTrainStep loop, in-memory data sets and
 * batching, the progress bar (pass it a `stream`), the SVG plot builders, the paper models and the
 * DEQ-solution helpers.
 *
 * Left out, because they read or write files: the MNIST/CIFAR-10/IDX loaders, checkpoints and the
 * experiment runner. In a page, build a {@link Dataset} from fetched bytes instead.
 * test/qa/browser-entry.test.ts keeps this list in step with `index.ts` and checks that nothing
 * here reaches a Node built-in module.
 */
export * from './errors.js';
export {
  applyUpdates,
  chain,
  identity,
  type GradientTransformation,
  type OptState,
} from './optim/transform.js';
export {
  constantSchedule,
  cosineSchedule,
  joinSchedules,
  linearSchedule,
  piecewiseConstantSchedule,
  stepSchedule,
  warmupCosineSchedule,
  type CosineScheduleOptions,
  type LearningRate,
  type LinearScheduleOptions,
  type PiecewiseConstantScheduleOptions,
  type Schedule,
  type StepScheduleOptions,
  type WarmupCosineScheduleOptions,
} from './optim/schedules.js';
export {
  addDecayedWeights,
  clipByGlobalNorm,
  scale,
  scaleByLearningRate,
  scaleBySchedule,
  trace,
  type AddDecayedWeightsOptions,
  type ScheduleState,
  type TraceOptions,
  type TraceState,
} from './optim/transforms.js';
export { scaleByAdam, type AdamState, type ScaleByAdamOptions } from './optim/adam.js';
export * from './optim/aliases.js';
export * from './loss/losses.js';
export * from './loss/metrics.js';
export * from './loss/deq-losses.js';
export * from './train-state.js';
export * from './data/dataset.js';
export type { JsonValue } from './checkpoint/manifest.js';
export * from './report/progress.js';
export * from './report/plot.js';
export { resolveConfig, type ExperimentOptions, type ResolvedConfig } from './experiments/config.js';
export { parseExperimentArgs } from './experiments/cli-args.js';
export * from './experiments/models.js';
export * from './experiments/solutions.js';
export type { EpochRecord, RunResult } from './experiments/train-one.js';
