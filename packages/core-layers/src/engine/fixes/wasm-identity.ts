import type * as tf from '@tensorflow/tfjs-core';
import { overrideKernel } from './registry.js';
import { BackendError } from '../../core/errors.js';

/** What the replacement needs of the wasm backend: its reference count per data block. */
type RefCountingBackend = { incRef(dataId: tf.DataId): void };

/**
 * wasm's Identity kernel copies its input into a new block. tfjs runs Identity for tf.clone and,
 * above all, for every tensor a kernel saves for its gradient (Engine.clone), so a training step
 * copied each saved matmul operand (41 copies per step of config E, ~0.6 ms). Tensor data are
 * immutable in tfjs (no kernel writes into its inputs, ours included), so the replacement shares
 * the block and counts a reference, as the cpu backend's Identity and wasm's own Reshape do.
 * Strings keep the stock kernel.
 */
export function registerWasmIdentity(): void {
  overrideKernel(
    'Identity',
    'wasm',
    (original) => {
      if (!original) throw new BackendError('registerWasmIdentity: the wasm backend has no Identity kernel');
      const originalFunc = original.kernelFunc;
      return (args) => {
        const x = args.inputs.x as tf.TensorInfo;
        if (x.dtype === 'string') return originalFunc(args);
        (args.backend as unknown as RefCountingBackend).incRef(x.dataId);
        return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
      };
    },
    true,
  );
}
