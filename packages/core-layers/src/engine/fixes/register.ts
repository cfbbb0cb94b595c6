// The wasm kernels must be registered before they can be wrapped; importing the package only
// registers them (the wasm binary is loaded when the backend is first selected).
import '@tensorflow/tfjs-backend-wasm';
import { registerAvgPoolGradient } from './avg-pool-grad.js';
import { registerBatchMatMulGradient } from './batch-matmul-grad.js';
import { registerFusedBatchNormGradient } from './batch-norm-grad.js';
import { registerCumsumGradient } from './cumsum-grad.js';
import { registerMirrorPadGradient } from './mirror-pad-grad.js';
import { registerResizeGradients } from './resize-grads.js';
import { registerSquaredDifferenceGradient } from './squared-difference-grad.js';
import { registerWasmBatchMatMul } from './wasm-batch-matmul.js';
import { registerWasmConv3DBackprop } from './wasm-conv3d-backprop.js';
import { registerWasmMaxPool } from './wasm-max-pool.js';
import { registerWasmMaxPool3D } from './wasm-max-pool3d.js';
import { registerWasmUnsortedSegmentSum } from './wasm-segment-sum.js';
import { registerCpuBatchMatMul } from './cpu-batch-matmul.js';
import { registerConv2DBackpropKernels, registerConv2DGradient } from './conv2d-backprop.js';
import { registerDepthwiseGradient, registerWasmDepthwiseBackprop } from './depthwise-backprop.js';

/**
 * Registers DEQ.ts's kernel and gradient fixes for tfjs. Called by initBackend; safe to call any
 * number of times (each fix checks whether it is already in place). See docs/engine.md.
 */
export function registerEngineFixes(): void {
  registerBatchMatMulGradient();
  registerWasmBatchMatMul();
  registerCpuBatchMatMul();
  registerConv2DBackpropKernels();
  registerConv2DGradient();
  registerWasmDepthwiseBackprop();
  registerDepthwiseGradient();
  registerWasmMaxPool();
  registerWasmUnsortedSegmentSum();
  registerWasmConv3DBackprop();
  registerWasmMaxPool3D();
  registerAvgPoolGradient();
  registerFusedBatchNormGradient();
  registerResizeGradients();
  registerMirrorPadGradient();
  registerSquaredDifferenceGradient();
  registerCumsumGradient();
}
