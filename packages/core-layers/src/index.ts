/**
 * @deqts/core-layers: a Lux-style explicit-parameter neural-network framework on tfjs.
 * This file is the package's whole public surface.
 *
 * @packageDocumentation
 * @module @deqts/core-layers
 */
export * from './core/errors.js';
export * from './core/options.js';
export * from './core/rng.js';
export * from './core/tree.js';
export * from './core/layer.js';
export * from './core/autodiff.js';
export * from './core/shape-checks.js';
export * from './core/summary.js';
export * from './core/memory.js';
export * from './engine/backend.js';
export * from './engine/wasm-modules.js';
export * from './engine/filled-tensor.js';
export * from './engine/replay/replayable.js';
export { enableRelaxedSimd, relaxedSimdSupported, wasmGemmOptions } from './engine/fixes/wasm-gemm.js';
export * from './init/initializers.js';
export * from './layers/activations.js';
export * from './layers/dense.js';
export * from './containers/index.js';
export * from './layers/conv/index.js';
export * from './layers/normalize/index.js';
export * from './layers/basic/index.js';
export * from './layers/dropout/index.js';
