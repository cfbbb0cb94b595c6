import * as tf from '@tensorflow/tfjs-core';
import { heapOffset, registerWasmKernel, wasmModuleExports } from '../wasm-modules.js';
import { overrideGradient } from './registry.js';
import { WASM_BASE64 } from './wasm-tanh-grad-wasm.js';

/** The fused tanh gradient kernel: dx = dy · (1 − y²) from the saved output y. */
const TANH_GRAD = 'DeqtsTanhGrad';

/**
 * tfjs differentiates Tanh as `mul(sub(scalar(1), square(y)), dy)`: three kernels and a scalar per
 * tanh (every DEQ iteration's backward and every vector–Jacobian product of an implicit backward
 * has one). On wasm this runs as one kernel (wasm-tanh-grad.wat) with the same float32 operations
 * in the same order, so gradients are bit-identical; other backends keep the op path. The fused
 * kernel has its own gradient, for second-order uses (Jacobian regularisation).
 */
export function registerTanhGradient(): void {
  overrideGradient({
    kernelName: 'Tanh',
    outputsToSave: [true],
    gradFunc: (dy, saved) => {
      const [y] = saved;
      return { x: () => tanhGrad(dy as tf.Tensor, y) };
    },
  });
  overrideGradient({
    kernelName: TANH_GRAD,
    inputsToSave: ['dy', 'y'],
    gradFunc: (g, saved) => {
      const [dy, y] = saved;
      const gradient = g as tf.Tensor;
      return {
        dy: () => tanhGrad(gradient, y),
        y: () => tf.mul(tf.mul(gradient, dy), tf.mul(y, tf.scalar(-2))),
      };
    },
  });
}

/** dy · (1 − y²): the fused kernel on wasm for float32, tfjs's ops elsewhere. */
export function tanhGrad(dy: tf.Tensor, y: tf.Tensor): tf.Tensor {
  if (tf.getBackend() === 'wasm' && dy.dtype === 'float32' && y.dtype === 'float32' && tf.util.arraysEqual(dy.shape, y.shape)) {
    registerWasmKernel(TANH_GRAD, (backend, inputs) => {
      const out = backend.makeOutput([...inputs.y.shape], 'float32');
      const n = inputs.y.shape.reduce((p, d) => p * d, 1);
      wasmModuleExports<{ tanhGrad(out: number, dy: number, y: number, n: number): void }>(WASM_BASE64, backend).tanhGrad(
        heapOffset(backend, out),
        heapOffset(backend, inputs.dy),
        heapOffset(backend, inputs.y),
        n,
      );
      return out;
    });
    return tf.engine().runKernel(TANH_GRAD, { dy, y }) as tf.Tensor;
  }
  return tf.mul(tf.sub(tf.scalar(1), tf.square(y)), dy);
}
