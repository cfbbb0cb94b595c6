import * as tf from '@tensorflow/tfjs-core';
import { heapOffset, isWasmModuleBackend } from '../wasm-modules.js';
import { overrideKernel } from './registry.js';
import { gemmKernels } from './wasm-gemm.js';
import { BackendError } from '../../core/errors.js';

/** The attributes tfjs passes to Conv2D. */
type Conv2DAttrs = {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
};

/**
 * wasm's Conv2D (XNNPACK, ~18–25 GFLOP/s here) replaced, for float32 NHWC convolutions with
 * stride 1 and no dilation — every convolution of a DEQ's f, and the stride-1 convolutions the
 * input gradient is built from (conv2d-backprop.ts) — by DEQ.ts's product kernel (wasm-gemm.wat,
 * `conv`): the input is copied once into a zero-padded block (`pad`), then each output row is a
 * product of its ow × (kw·cin) input windows with the filter, accumulated over the filter rows,
 * with the relaxed-SIMD multiply-add where available. Other convolutions keep XNNPACK.
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
        const x = args.inputs.x as tf.TensorInfo;
        const filter = args.inputs.filter as tf.TensorInfo;
        const attrs = args.attrs as unknown as Conv2DAttrs;
        if (x.dtype !== 'float32' || filter.dtype !== 'float32' || (attrs.dataFormat ?? 'NHWC') !== 'NHWC' || !isWasmModuleBackend(backend)) return originalFunc(args);
        const info = tf.backend_util.computeConv2DInfo(
          x.shape as [number, number, number, number],
          filter.shape as [number, number, number, number],
          attrs.strides,
          attrs.dilations ?? 1,
          attrs.pad,
          attrs.dimRoundingMode,
        );
        if (info.strideHeight !== 1 || info.strideWidth !== 1 || info.dilationHeight !== 1 || info.dilationWidth !== 1) return originalFunc(args);
        const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth, padInfo } = info;
        const out = backend.makeOutput([batchSize, outHeight, outWidth, outChannels], 'float32');
        if (batchSize * outHeight * outWidth * outChannels === 0) return out;
        // the padded input must be exactly (out + filter − 1) in each spatial axis
        const bottom = outHeight + filterHeight - 1 - inHeight - padInfo.top;
        const right = outWidth + filterWidth - 1 - inWidth - padInfo.left;
        if (padInfo.top < 0 || padInfo.left < 0 || bottom < 0 || right < 0) return originalFunc(args);
        const kernels = gemmKernels(backend);
        const padded = padInfo.top + bottom + padInfo.left + right > 0;
        const k = filterHeight * filterWidth * inChannels;
        const pack = backend.makeOutput([Math.ceil(outChannels / 8) * k * 8 + 8], 'float32');
        const xp = padded
          ? backend.makeOutput([batchSize * (outHeight + filterHeight - 1) * (outWidth + filterWidth - 1) * inChannels], 'float32')
          : undefined;
        try {
          if (xp) kernels.pad(heapOffset(backend, xp), heapOffset(backend, x), batchSize, inHeight, inWidth, inChannels, padInfo.top, bottom, padInfo.left, right);
          kernels.conv(heapOffset(backend, out), heapOffset(backend, xp ?? x), heapOffset(backend, filter), heapOffset(backend, pack), batchSize, outHeight, outWidth, inChannels, outChannels, filterHeight, filterWidth);
        } finally {
          backend.disposeData(pack.dataId);
          if (xp) backend.disposeData(xp.dataId);
        }
        return out;
      };
    },
    true,
  );
}
