import * as tf from '@tensorflow/tfjs-core';
import { overrideKernel, tensorInput } from './registry.js';
import { BackendError } from '../../core/errors.js';

type FusedAttrs = { transposeA?: boolean; transposeB?: boolean; activation?: string; leakyreluAlpha?: number };

function activate(y: tf.Tensor, activation: string | undefined, alpha: number | undefined, prelu: tf.Tensor | undefined): tf.Tensor {
  switch (activation ?? 'linear') {
    case 'linear':
      return y;
    case 'relu':
      return tf.relu(y);
    case 'relu6':
      return tf.relu6(y);
    case 'elu':
      return tf.elu(y);
    case 'sigmoid':
      return tf.sigmoid(y);
    case 'leakyrelu':
      return tf.leakyRelu(y, alpha ?? 0.2);
    case 'prelu':
      if (!prelu) throw new BackendError("_FusedMatMul: activation 'prelu' needs preluActivationWeights");
      return tf.prelu(y, prelu);
    default:
      throw new BackendError(`_FusedMatMul: unknown activation '${activation}'`);
  }
}

/**
 * wasm's _FusedMatMul (tf.fused.matMul: product + bias + activation in one kernel) shares the
 * BatchMatMul code, so a transpose flag or a batch > 1 also falls to the slow loop there. Those
 * calls are computed as tf.matMul (the fixed kernel), then bias and activation as separate ops;
 * the plain case keeps the fused kernel.
 */
export function registerWasmFusedMatMul(): void {
  overrideKernel(
    '_FusedMatMul',
    'wasm',
    (original) => {
      if (!original) throw new BackendError('registerWasmFusedMatMul: the wasm backend has no _FusedMatMul kernel');
      const originalFunc = original.kernelFunc;
      return (args) => {
        const attrs = args.attrs as unknown as FusedAttrs;
        const a = args.inputs.a as tf.TensorInfo;
        const b = args.inputs.b as tf.TensorInfo;
        const batchOf = (shape: number[]): number => shape.slice(0, -2).reduce((p, d) => p * d, 1);
        const plain = !attrs.transposeA && !attrs.transposeB && batchOf(a.shape) === 1 && batchOf(b.shape) === 1;
        if (plain || a.dtype !== 'float32') return originalFunc(args);
        const ta = tensorInput(a, 'a', '_FusedMatMul');
        const tb = tensorInput(b, 'b', '_FusedMatMul');
        const bias = args.inputs.bias ? tensorInput(args.inputs.bias, 'bias', '_FusedMatMul') : undefined;
        const prelu = args.inputs.preluActivationWeights ? tensorInput(args.inputs.preluActivationWeights, 'preluActivationWeights', '_FusedMatMul') : undefined;
        return tf.tidy(() => {
          let y = tf.matMul(ta, tb, attrs.transposeA === true, attrs.transposeB === true);
          if (bias) y = tf.add(y, bias);
          return activate(y, attrs.activation, attrs.leakyreluAlpha, prelu);
        });
      };
    },
    true,
  );
}
