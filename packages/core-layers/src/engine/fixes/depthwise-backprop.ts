import * as tf from '@tensorflow/tfjs-core';
import { overrideGradient, overrideKernel, tensorInput } from './registry.js';
import { padOrCropSpatial, spreadSpatial } from './spatial.js';

/** The attributes tfjs passes to DepthwiseConv2dNativeBackpropFilter / …Input. */
type DepthwiseBackpropAttrs = {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape?: [number, number, number, number];
  inputShape?: [number, number, number, number];
};

function depthwiseInfo(xShape: readonly number[], filterShape: [number, number, number, number], attrs: DepthwiseBackpropAttrs): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape,
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    true,
  );
}

/**
 * dx of a depthwise convolution (filter `[kh, kw, c, m]`, dy `[n, oh, ow, c·m]`): a stride-1
 * depthwise convolution of the spread and padded dy with the flipped filter, one filter per dy
 * channel, then the m channels belonging to each input channel are summed.
 */
export function depthwiseInputGradient(dy: tf.Tensor4D, filter: tf.Tensor4D, info: tf.backend_util.Conv2DInfo): tf.Tensor4D {
  const { padInfo, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw, inHeight: h, inWidth: w } = info;
  const [kh, kw, c, m] = filter.shape;
  const [n, oh, ow] = dy.shape;
  const spread = spreadSpatial(dy, sh, sw);
  const top = info.effectiveFilterHeight - 1 - padInfo.top;
  const left = info.effectiveFilterWidth - 1 - padInfo.left;
  const bottom = h + padInfo.top - (oh - 1) * sh - 1;
  const right = w + padInfo.left - (ow - 1) * sw - 1;
  const padded = padOrCropSpatial(spread, top, bottom, left, right);
  const flipped = tf.reshape(tf.reverse(filter, [0, 1]), [kh, kw, c * m, 1]) as tf.Tensor4D;
  const perChannel = tf.depthwiseConv2d(padded, flipped, 1, 'valid', 'NHWC', [dh, dw]);
  return m === 1 ? perChannel : (tf.sum(tf.reshape(perChannel, [n, h, w, c, m]), 4) as tf.Tensor4D);
}

/**
 * dW of a depthwise convolution: for each filter tap (i, j), the strided window of the padded
 * input that the tap reads is multiplied by dy and summed over batch and positions.
 */
export function depthwiseFilterGradient(x: tf.Tensor4D, dy: tf.Tensor4D, info: tf.backend_util.Conv2DInfo, filterShape: [number, number, number, number]): tf.Tensor4D {
  const { padInfo, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const [kh, kw, c, m] = filterShape;
  const [n, h, w] = x.shape;
  const [, oh, ow] = dy.shape;
  const needH = (oh - 1) * sh + info.effectiveFilterHeight;
  const needW = (ow - 1) * sw + info.effectiveFilterWidth;
  const xp = padOrCropSpatial(x, padInfo.top, needH - h - padInfo.top, padInfo.left, needW - w - padInfo.left);
  const dy5 = tf.reshape(dy, [n, oh, ow, c, m]);
  const taps: tf.Tensor[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const begin = [0, i * dh, j * dw, 0];
      const window =
        sh === 1 && sw === 1
          ? tf.slice(xp, begin, [n, oh, ow, c])
          : tf.stridedSlice(xp, begin, [n, i * dh + (oh - 1) * sh + 1, j * dw + (ow - 1) * sw + 1, c], [1, sh, sw, 1]);
      taps.push(tf.sum(tf.mul(tf.reshape(window, [n, oh, ow, c, 1]), dy5), [0, 1, 2]));
    }
  }
  return tf.reshape(tf.stack(taps), [kh, kw, c, m]);
}

/**
 * Registers the wasm kernels DepthwiseConv2dNativeBackpropInput and …BackpropFilter, which
 * tfjs-backend-wasm lacks (so depthwise and channel-grouped convolutions could not be trained).
 */
export function registerWasmDepthwiseBackprop(): void {
  overrideKernel('DepthwiseConv2dNativeBackpropInput', 'wasm', () => (args) => {
    const attrs = args.attrs as unknown as DepthwiseBackpropAttrs;
    const dy = tensorInput<tf.Tensor4D>(args.inputs.dy, 'dy', 'DepthwiseConv2dNativeBackpropInput');
    const filter = tensorInput<tf.Tensor4D>(args.inputs.filter, 'filter', 'DepthwiseConv2dNativeBackpropInput');
    const info = depthwiseInfo(attrs.inputShape as number[], filter.shape, attrs);
    return tf.tidy(() => depthwiseInputGradient(dy, filter, info));
  });
  overrideKernel('DepthwiseConv2dNativeBackpropFilter', 'wasm', () => (args) => {
    const attrs = args.attrs as unknown as DepthwiseBackpropAttrs;
    const x = tensorInput<tf.Tensor4D>(args.inputs.x, 'x', 'DepthwiseConv2dNativeBackpropFilter');
    const dy = tensorInput<tf.Tensor4D>(args.inputs.dy, 'dy', 'DepthwiseConv2dNativeBackpropFilter');
    const filterShape = attrs.filterShape as [number, number, number, number];
    const info = depthwiseInfo(x.shape, filterShape, attrs);
    return tf.tidy(() => depthwiseFilterGradient(x, dy, info, filterShape));
  });
}

/**
 * The gradient of DepthwiseConv2dNative, also for dilated convolutions (tfjs's throws for
 * dilation > 1). Undilated: the backend's backprop kernels; dilated: the formulas above.
 */
export function registerDepthwiseGradient(): void {
  overrideGradient({
    kernelName: 'DepthwiseConv2dNative',
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
      const a = attrs as unknown as DepthwiseBackpropAttrs;
      const g = dy as tf.Tensor4D;
      const [dh, dw] = typeof a.dilations === 'number' ? [a.dilations, a.dilations] : (a.dilations ?? [1, 1]);
      if (dh === 1 && dw === 1) {
        const common = { strides: a.strides, pad: a.pad, dilations: [1, 1], dimRoundingMode: a.dimRoundingMode };
        return {
          x: () => tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy: g, filter }, { ...common, inputShape: x.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
          filter: () => tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy: g }, { ...common, filterShape: filter.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
        };
      }
      const info = depthwiseInfo(x.shape, filter.shape, a);
      return {
        x: () => depthwiseInputGradient(g, filter, info),
        filter: () => depthwiseFilterGradient(x, g, info, filter.shape),
      };
    },
  });
}
