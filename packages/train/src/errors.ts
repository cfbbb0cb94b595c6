import { DeqtsError } from '@deqts/core-layers';

/**
 * A checkpoint could not be written or read: a missing or corrupt file, a manifest that fails
 * validation, a leaf that cannot be stored, or a tree that does not match the expected template.
 * The message names the first offending leaf path, e.g. `ps.layer_2.weight`.
 *
 * @example
 * ```ts
 * import { CheckpointError } from '@deqts/train';
 * const e = new CheckpointError('ps.layer_1.weight: shape [4, 2] in the checkpoint, [4, 3] expected');
 * console.log(e.code); // 'checkpoint'
 * ```
 */
export class CheckpointError extends DeqtsError {
  /** The class name, spelled out so that minified bundles keep it. */
  override name = 'CheckpointError';
  constructor(detail: string, layerPath: readonly string[] = []) {
    super('checkpoint', detail, layerPath);
  }
}

/**
 * A data set could not be loaded: missing files, a corrupt or truncated IDX or CIFAR-10 file.
 * The message says which file and what to do.
 *
 * @example
 * ```ts
 * import { DataError } from '@deqts/train';
 * console.log(new DataError('train-images-idx3-ubyte: bad magic number').code); // 'data'
 * ```
 */
export class DataError extends DeqtsError {
  /** The class name, spelled out so that minified bundles keep it. */
  override name = 'DataError';
  constructor(detail: string, layerPath: readonly string[] = []) {
    super('data', detail, layerPath);
  }
}

/**
 * A training step was misused: a `TrainState` that an earlier step consumed, or a loss function
 * that returned something other than `[loss, newState, stats]`.
 *
 * @example
 * ```ts
 * import { TrainingError } from '@deqts/train';
 * console.log(new TrainingError('stale TrainState').code); // 'training'
 * ```
 */
export class TrainingError extends DeqtsError {
  /** The class name, spelled out so that minified bundles keep it. */
  override name = 'TrainingError';
  constructor(detail: string, layerPath: readonly string[] = []) {
    super('training', detail, layerPath);
  }
}
