/**
 * @deqts/train: optimizers, schedules, losses, the TrainState/singleTrainStep loop, data sets,
 * checkpoints, progress bars and plots: everything of index.browser.ts plus the file-based parts.
 *
 * @packageDocumentation
 * @module @deqts/train
 */
export * from './index.browser.js';
// Node only: they read or write files.
export * from './data/idx.js';
export * from './data/mnist.js';
export * from './data/cifar.js';
export { saveCheckpoint, loadCheckpoint, type Checkpoint, type CheckpointInput, type LoadCheckpointOptions } from './checkpoint/checkpoint.js';
export { runExperiment } from './experiments/run-experiment.js';
