/** Convolution, pooling, resampling and reshaping layers (NHWC, Lux semantics). */
export { Conv, type ConvOptions, type ConvParams } from './conv.js';
export { ConvTranspose, type ConvTransposeOptions, type ConvTransposeParams } from './conv-transpose.js';
export {
  AdaptiveMaxPool,
  AdaptiveMeanPool,
  GlobalMaxPool,
  GlobalMeanPool,
  MaxPool,
  MeanPool,
  type PoolLayer,
  type PoolOptions,
} from './pooling.js';
export { Upsample, type UpsampleOptions } from './upsample.js';
export { FlattenLayer, ReshapeLayer, type FlattenOptions, type ReshapingLayer } from './reshape.js';
export type { Padding, Pair } from './geometry.js';
