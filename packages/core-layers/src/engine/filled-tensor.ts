import * as tf from '@tensorflow/tfjs-core';
import { isWasmModuleBackend } from './wasm-modules.js';

/**
 * The array type {@link filledTensor} hands its `fill` for each dtype.
 *
 * @example
 * ```ts
 * import type { FilledArray } from '@deqts/core-layers';
 * const fillRamp = (values: FilledArray<'int32'>): void => values.forEach((_, i) => (values[i] = i));
 * ```
 */
export type FilledArray<D extends 'float32' | 'int32'> = D extends 'float32' ? Float32Array : Int32Array;

/**
 * A new tensor of `shape` whose values `fill` writes into the array it is given (every element;
 * the array's initial contents are unspecified). On the wasm backend the array is a view of the
 * tensor's block in the engine's own memory, so the values are written once, where the kernels
 * read them: no host array is allocated and nothing is copied (a batch gathered from a data set,
 * say). Elsewhere it is a new host array that becomes the tensor's values. `fill` must not run
 * tfjs operations (on wasm the engine's memory could grow and detach the view).
 *
 * @example
 * ```ts
 * import { filledTensor } from '@deqts/core-layers';
 * const t = filledTensor([2, 3], 'float32', (values) => {
 *   for (let i = 0; i < values.length; i++) values[i] = i / 2;
 * });
 * t.print(); // [[0, 0.5, 1], [1.5, 2, 2.5]]
 * t.dispose();
 * ```
 */
export function filledTensor<D extends 'float32' | 'int32'>(shape: readonly number[], dtype: D, fill: (values: FilledArray<D>) => void): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const backend = tf.backend();
  if (size > 0 && isWasmModuleBackend(backend)) {
    const info = backend.makeOutput([...shape], dtype);
    fill(backend.typedArrayFromHeap(info) as FilledArray<D>);
    return tf.engine().makeTensorFromTensorInfo(info);
  }
  const values = (dtype === 'float32' ? new Float32Array(size) : new Int32Array(size)) as FilledArray<D>;
  fill(values);
  return tf.tensor(values, [...shape], dtype);
}
