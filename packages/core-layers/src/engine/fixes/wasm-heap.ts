import type * as tf from '@tensorflow/tfjs-core';
import { BackendError } from '../../core/errors.js';

/**
 * The two methods of tfjs-backend-wasm's BackendWasm that a kernel written in JavaScript needs:
 * allocate an output in the wasm heap, and view a tensor's bytes in that heap. They are public
 * members of BackendWasm (its own JS kernels use them); this narrow type avoids depending on the
 * class itself.
 */
export type WasmHeapBackend = {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): tf.TypedArray;
};

/** Narrows a kernel's backend argument, with a clear error if it is not the wasm backend. */
export function asWasmHeapBackend(backend: unknown, kernel: string): WasmHeapBackend {
  const b = backend as Partial<WasmHeapBackend> | null;
  if (!b || typeof b.makeOutput !== 'function' || typeof b.typedArrayFromHeap !== 'function') {
    throw new BackendError(`DEQ.ts kernel '${kernel}' runs on the wasm backend only`);
  }
  return b as WasmHeapBackend;
}

/**
 * Views of tensors in the wasm heap. Take them after every `makeOutput` call of the kernel:
 * allocating may grow the heap, which detaches views taken before.
 */
export function heapFloat32(backend: WasmHeapBackend, info: tf.TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(info) as Float32Array;
}
