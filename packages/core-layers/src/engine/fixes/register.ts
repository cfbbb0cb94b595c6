import * as tf from '@tensorflow/tfjs-core';
import { registerAvgPoolGradient } from './avg-pool-grad.js';
import { registerBatchMatMulGradient } from './batch-matmul-grad.js';
import { registerFusedBatchNormGradient } from './batch-norm-grad.js';
import { registerConv2DBackpropKernels, registerConv2DGradient } from './conv2d-backprop.js';
import { registerCpuBatchMatMul } from './cpu-batch-matmul.js';
import { registerCumsumGradient } from './cumsum-grad.js';
import { registerDepthwiseGradient, registerWasmDepthwiseBackprop } from './depthwise-backprop.js';
import { registerMirrorPadGradient } from './mirror-pad-grad.js';
import { registerResizeGradients } from './resize-grads.js';
import { registerSquaredDifferenceGradient } from './squared-difference-grad.js';
import { registerWasmBatchMatMul } from './wasm-batch-matmul.js';
import { registerWasmConv2D } from './wasm-conv2d.js';
import { registerWasmConv3DBackprop } from './wasm-conv3d-backprop.js';
import { registerWasmFusedMatMul } from './wasm-fused-matmul.js';
import { registerWasmIdentity } from './wasm-identity.js';
import { registerWasmMaxPool } from './wasm-max-pool.js';
import { registerWasmMaxPool3D } from './wasm-max-pool3d.js';
import { registerWasmUnsortedSegmentSum } from './wasm-segment-sum.js';
import { registerWasmAvgPoolGrad } from './wasm-avg-pool-grad.js';
import { registerWasmColumnSum } from './wasm-column-sum.js';
import { registerWasmBinaryKernels } from './wasm-binary.js';
import { registerWasmTanh } from './wasm-tanh.js';
import { registerTanhGradient } from './tanh-grad.js';

/** Whether a backend package has registered its kernels (its import has run). */
function backendLoaded(backendName: string): boolean {
  return tf.getKernel('BatchMatMul', backendName) !== undefined;
}

/**
 * Registers DEQ.ts's kernel and gradient fixes for tfjs. Gradients are registered at once; the
 * kernels of a backend only once its package has been imported (importing it registers its own
 * kernels, which would replace ours), so initBackend calls this again after importing
 * '@tensorflow/tfjs-backend-wasm'. Safe to call any number of times: each fix checks whether it
 * is already in place. See docs/engine.md.
 */
export function registerEngineFixes(): void {
  registerBatchMatMulGradient();
  registerConv2DGradient();
  registerDepthwiseGradient();
  if (backendLoaded('cpu')) {
    registerCpuBatchMatMul();
    registerConv2DBackpropKernels('cpu');
  }
  if (backendLoaded('wasm')) {
    registerWasmBatchMatMul();
    registerWasmFusedMatMul();
    registerConv2DBackpropKernels('wasm');
    registerWasmDepthwiseBackprop();
    registerWasmMaxPool();
    registerWasmUnsortedSegmentSum();
    registerWasmConv3DBackprop();
    registerWasmMaxPool3D();
    registerWasmTanh();
    registerWasmIdentity();
    registerWasmConv2D();
    registerWasmColumnSum();
    registerWasmAvgPoolGrad();
    registerWasmBinaryKernels();
  }
  registerAvgPoolGradient();
  registerFusedBatchNormGradient();
  registerResizeGradients();
  registerMirrorPadGradient();
  registerSquaredDifferenceGradient();
  registerCumsumGradient();
  registerTanhGradient();
}
