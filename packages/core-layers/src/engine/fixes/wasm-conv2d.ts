import type * as tf from '@tensorflow/tfjs-core';
import { heapOffset, isWasmModuleBackend, type WasmModuleBackend } from '../wasm-modules.js';
import { forwardInfo, type ConvAttrs } from './conv2d-backprop.js';
import { overrideKernel } from './registry.js';
import { gemmKernels, packedFloats } from './wasm-gemm.js';
import { BackendError } from '../../core/errors.js';

/**
 * A float32 NHWC convolution with stride 1 and no dilation by DEQ.ts's product kernel
 * (wasm-gemm.wat, `conv`): the input is copied once into a zero-padded block (`pad`), then each
 * output row is a product of its ow × (kw·cin) input windows with the filter, accumulated over the
 * filter rows. Returns null for the convolutions it does not handle (other dtypes or layouts,
 * strides, dilations), which keep the stock kernel.
 */
export function conv2dStride1Wasm(backend: WasmModuleBackend, x: tf.TensorInfo, filter: tf.TensorInfo, attrs: ConvAttrs): tf.TensorInfo | null {
  if (x.dtype !== 'float32' || filter.dtype !== 'float32' || (attrs.dataFormat ?? 'NHWC') !== 'NHWC') return null;
  const info = forwardInfo(x.shape, filter.shape, attrs);
  if (info.strideHeight !== 1 || info.strideWidth !== 1 || info.dilationHeight !== 1 || info.dilationWidth !== 1) return null;
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth, padInfo } = info;
  // the padded input must be exactly (out + filter − 1) in each spatial axis
  const bottom = outHeight + filterHeight - 1 - inHeight - padInfo.top;
  const right = outWidth + filterWidth - 1 - inWidth - padInfo.left;
  if (padInfo.top < 0 || padInfo.left < 0 || bottom < 0 || right < 0) return null;
  const out = backend.makeOutput([batchSize, outHeight, outWidth, outChannels], 'float32');
  if (batchSize * outHeight * outWidth * outChannels === 0) return out;
  const kernels = gemmKernels(backend);
  const padded = padInfo.top + bottom + padInfo.left + right > 0;
  const pack = backend.makeOutput([packedFloats(filterHeight * filterWidth * inChannels, outChannels)], 'float32');
  const xp = padded ? backend.makeOutput([batchSize * (outHeight + filterHeight - 1) * (outWidth + filterWidth - 1) * inChannels], 'float32') : undefined;
  try {
    if (xp) kernels.pad(heapOffset(backend, xp), heapOffset(backend, x), batchSize, inHeight, inWidth, inChannels, padInfo.top, bottom, padInfo.left, right);
    kernels.conv(heapOffset(backend, out), heapOffset(backend, xp ?? x), heapOffset(backend, filter), heapOffset(backend, pack), batchSize, outHeight, outWidth, inChannels, outChannels, filterHeight, filterWidth);
  } finally {
    backend.disposeData(pack.dataId);
    if (xp) backend.disposeData(xp.dataId);
  }
  return out;
}

/**
 * wasm's Conv2D (XNNPACK, ~14–25 GFLOP/s here) replaced by {@link conv2dStride1Wasm} where it
 * applies — every convolution of a DEQ's f, and the stride-1 convolutions the input and filter
 * gradients are built from (conv2d-backprop.ts); the rest keep XNNPACK.
 */
export function registerWasmConv2D(): void {
  overrideKernel(
    'Conv2D',
    'wasm',
    (original) => {
      if (!original) throw new BackendError('registerWasmConv2D: the wasm backend has no Conv2D kernel');
      const originalFunc = original.kernelFunc;
      return (args) => {
        const { backend } = args;
        const out = isWasmModuleBackend(backend)
          ? conv2dStride1Wasm(backend, args.inputs.x as tf.TensorInfo, args.inputs.filter as tf.TensorInfo, args.attrs as unknown as ConvAttrs)
          : null;
        return out ?? originalFunc(args);
      };
    },
    true,
  );
}
