import * as tf from '@tensorflow/tfjs-core';
import { overrideKernel, tensorInput } from './registry.js';
import { padOrCropAxes, spreadAxis } from './spatial.js';

type Conv3DBackpropAttrs = {
  strides: number | [number, number, number];
  pad: 'valid' | 'same';
  inputShape?: [number, number, number, number, number];
  filterShape?: [number, number, number, number, number];
};

/**
 * Replaces wasm's Conv3DBackpropInputV2 and Conv3DBackpropFilterV2 (the gradients of tf.conv3d):
 * the first returns wrong values for every padding and stride tried (off by up to 8 on
 * unit-scale data), the second for strides > 1 (about half the true value). As in 2-D
 * (conv2d-backprop.ts): dx is a stride-1 conv3d of dy (spread by the strides, then padded) with
 * the flipped filter, in and out channels swapped; dW is one conv3d of x with batch and channels
 * swapped, dy acting as the filter dilated by the strides.
 */
export function registerWasmConv3DBackprop(): void {
  overrideKernel('Conv3DBackpropInputV2', 'wasm', () => (args) => {
    const attrs = args.attrs as unknown as Conv3DBackpropAttrs;
    const dy = tensorInput<tf.Tensor5D>(args.inputs.dy, 'dy', 'Conv3DBackpropInputV2');
    const filter = tensorInput<tf.Tensor5D>(args.inputs.filter, 'filter', 'Conv3DBackpropInputV2');
    const info = tf.backend_util.computeConv3DInfo(attrs.inputShape as [number, number, number, number, number], filter.shape, attrs.strides, 1, attrs.pad);
    const { padInfo } = info;
    const inSizes = [info.inDepth, info.inHeight, info.inWidth];
    const outSizes = [info.outDepth, info.outHeight, info.outWidth];
    const strides = [info.strideDepth, info.strideHeight, info.strideWidth];
    const kernel = [info.effectiveFilterDepth, info.effectiveFilterHeight, info.effectiveFilterWidth];
    const before = [padInfo.front, padInfo.top, padInfo.left];
    return tf.tidy(() => {
      let spread: tf.Tensor = dy;
      for (let axis = 0; axis < 3; axis++) spread = spreadAxis(spread, axis + 1, strides[axis]);
      const amounts: [number, number][] = [[0, 0]];
      for (let axis = 0; axis < 3; axis++) {
        amounts.push([kernel[axis] - 1 - before[axis], inSizes[axis] + before[axis] - (outSizes[axis] - 1) * strides[axis] - 1]);
      }
      amounts.push([0, 0]);
      const padded = padOrCropAxes(spread, amounts) as tf.Tensor5D;
      const flipped = tf.transpose(tf.reverse(filter, [0, 1, 2]), [0, 1, 2, 4, 3]) as tf.Tensor5D;
      return tf.conv3d(padded, flipped, 1, 'valid');
    });
  });
  overrideKernel('Conv3DBackpropFilterV2', 'wasm', () => (args) => {
    const attrs = args.attrs as unknown as Conv3DBackpropAttrs;
    const x = tensorInput<tf.Tensor5D>(args.inputs.x, 'x', 'Conv3DBackpropFilterV2');
    const dy = tensorInput<tf.Tensor5D>(args.inputs.dy, 'dy', 'Conv3DBackpropFilterV2');
    const filterShape = attrs.filterShape as [number, number, number, number, number];
    const info = tf.backend_util.computeConv3DInfo(x.shape, filterShape, attrs.strides, 1, attrs.pad);
    const inSizes = [info.inDepth, info.inHeight, info.inWidth];
    const outSizes = [info.outDepth, info.outHeight, info.outWidth];
    const strides = [info.strideDepth, info.strideHeight, info.strideWidth];
    const kernel = [info.effectiveFilterDepth, info.effectiveFilterHeight, info.effectiveFilterWidth];
    const before = [info.padInfo.front, info.padInfo.top, info.padInfo.left];
    return tf.tidy(() => {
      const amounts: [number, number][] = [[0, 0]];
      for (let axis = 0; axis < 3; axis++) {
        const need = (outSizes[axis] - 1) * strides[axis] + kernel[axis];
        amounts.push([before[axis], need - inSizes[axis] - before[axis]]);
      }
      amounts.push([0, 0]);
      const xT = tf.transpose(padOrCropAxes(x, amounts), [4, 1, 2, 3, 0]) as tf.Tensor5D;
      const dyT = tf.transpose(dy, [1, 2, 3, 0, 4]) as tf.Tensor5D;
      const r = tf.conv3d(xT, dyT, 1, 'valid', 'NDHWC', [strides[0], strides[1], strides[2]]);
      return tf.transpose(r, [1, 2, 3, 0, 4]);
    });
  });
}
