/**
 * @deqts/train: optimizers, schedules, losses, the TrainState/singleTrainStep loop, data sets,
 * checkpoints, progress bars and plots. This file is the package's whole public surface.
 *
 * @packageDocumentation
 * @module @deqts/train
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
export * from './data/idx.js';
export * from './data/mnist.js';
export * from './data/cifar.js';
export { saveCheckpoint, loadCheckpoint, type Checkpoint, type CheckpointInput, type LoadCheckpointOptions } from './checkpoint/checkpoint.js';
export type { JsonValue } from './checkpoint/manifest.js';
export * from './report/progress.js';
export * from './report/plot.js';
export { resolveConfig, type ExperimentOptions, type ResolvedConfig } from './experiments/config.js';
export { parseExperimentArgs } from './experiments/cli-args.js';
export * from './experiments/models.js';
export * from './experiments/solutions.js';
export type { EpochRecord, RunResult } from './experiments/train-one.js';
export { runExperiment } from './experiments/run-experiment.js';
