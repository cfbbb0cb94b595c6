import * as tf from '@tensorflow/tfjs-core';
import { overrideGradient, overrideKernel, tensorInput } from './registry.js';
import { padOrCropSpatial, spreadSpatial } from './spatial.js';

/** The attributes tfjs passes to Conv2D. */
export type ConvAttrs = {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dilations?: number | [number, number];
};

/** The attributes tfjs passes to Conv2DBackpropFilter / Conv2DBackpropInput. */
type ConvBackpropAttrs = ConvAttrs & {
  filterShape?: [number, number, number, number];
  inputShape?: [number, number, number, number];
};

const toNHWC = (t: tf.Tensor4D): tf.Tensor4D => tf.transpose(t, [0, 2, 3, 1]);
const toNCHW = (t: tf.Tensor4D): tf.Tensor4D => tf.transpose(t, [0, 3, 1, 2]);

/** Geometry of the forward convolution, in NHWC terms, whatever the data format. */
export function forwardInfo(xShape: readonly number[], filterShape: readonly number[], attrs: ConvAttrs): tf.backend_util.Conv2DInfo {
  const channelsFirst = attrs.dataFormat === 'NCHW';
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    channelsFirst ? 'channelsFirst' : 'channelsLast',
  );
}

/**
 * dW = Σ x-patch ⊗ dy, computed as one convolution: with batch and channels of x swapped
 * (`[cin, h, w, n]`) and dy used as the filter (`[oh, ow, n, cout]`, dilated by the stride), a
 * valid convolution gives `[cin, kh, kw, cout]`. This keeps all the work in XNNPACK's convolution.
 */
export function conv2dFilterGradient(x: tf.Tensor4D, dy: tf.Tensor4D, info: tf.backend_util.Conv2DInfo): tf.Tensor4D {
  const { padInfo, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const [, h, w] = x.shape;
  const [, oh, ow] = dy.shape;
  const needH = (oh - 1) * sh + info.effectiveFilterHeight;
  const needW = (ow - 1) * sw + info.effectiveFilterWidth;
  const xp = padOrCropSpatial(x, padInfo.top, needH - h - padInfo.top, padInfo.left, needW - w - padInfo.left);
  const xT = tf.transpose(xp, [3, 1, 2, 0]) as tf.Tensor4D;
  const dyT = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D;
  let r = tf.conv2d(xT, dyT, 1, 'valid', 'NHWC', [sh, sw]);
  if (dh > 1 || dw > 1) {
    const [c, eh, ew, o] = r.shape;
    r = tf.stridedSlice(r, [0, 0, 0, 0], [c, eh, ew, o], [1, dh, dw, 1]) as tf.Tensor4D;
  }
  return tf.transpose(r, [1, 2, 0, 3]);
}

/**
 * dx of a convolution, as a stride-1 convolution of dy (zeros inserted between its entries for a
 * strided forward, then padded) with the spatially flipped filter, in and out channels swapped.
 * wasm's own Conv2DBackpropInput is a plain loop (~10x slower than its convolution).
 */
export function conv2dInputGradient(dy: tf.Tensor4D, filter: tf.Tensor4D, info: tf.backend_util.Conv2DInfo): tf.Tensor4D {
  const { padInfo, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw, inHeight: h, inWidth: w } = info;
  const [, oh, ow] = dy.shape;
  const spread = spreadSpatial(dy, sh, sw);
  const top = info.effectiveFilterHeight - 1 - padInfo.top;
  const left = info.effectiveFilterWidth - 1 - padInfo.left;
  const bottom = h + padInfo.top - (oh - 1) * sh - 1;
  const right = w + padInfo.left - (ow - 1) * sw - 1;
  const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
  if (Math.min(top, bottom, left, right) >= 0) {
    // the convolution pads (wasm's stride-1 kernel inside its own call): no padded copy of dy
    const explicit: tf.backend_util.ExplicitPadding = [[0, 0], [top, bottom], [left, right], [0, 0]];
    return tf.conv2d(spread, flipped, 1, explicit, 'NHWC', [dh, dw]);
  }
  return tf.conv2d(padOrCropSpatial(spread, top, bottom, left, right), flipped, 1, 'valid', 'NHWC', [dh, dw]);
}

/**
 * Registers, for `backendName`, Conv2DBackpropFilter — missing from tfjs-backend-wasm (so every
 * conv weight gradient failed), and on cpu a scalar loop (650 ms where this takes 25 ms for
 * [8,14,14,16] 3x3) — and, on wasm, Conv2DBackpropInput (present but ~10x slower than wasm's
 * convolution; also the forward of conv2dTranspose). Both are built from the backend's
 * convolution; NCHW inputs are transposed.
 */
export function registerConv2DBackpropKernels(backendName: 'cpu' | 'wasm'): void {
  const filterKernel: tf.KernelFunc = (args) => {
    const attrs = args.attrs as unknown as ConvBackpropAttrs;
    const x = tensorInput<tf.Tensor4D>(args.inputs.x, 'x', 'Conv2DBackpropFilter');
    const dy = tensorInput<tf.Tensor4D>(args.inputs.dy, 'dy', 'Conv2DBackpropFilter');
    const filterShape = attrs.filterShape as [number, number, number, number];
    const info = forwardInfo(x.shape, filterShape, attrs);
    const nchw = attrs.dataFormat === 'NCHW';
    return tf.tidy(() => conv2dFilterGradient(nchw ? toNHWC(x) : x, nchw ? toNHWC(dy) : dy, info));
  };
  overrideKernel('Conv2DBackpropFilter', backendName, () => filterKernel);
  if (backendName !== 'wasm') return;
  overrideKernel('Conv2DBackpropInput', 'wasm', () => (args) => {
    const attrs = args.attrs as unknown as ConvBackpropAttrs;
    const dy = tensorInput<tf.Tensor4D>(args.inputs.dy, 'dy', 'Conv2DBackpropInput');
    const filter = tensorInput<tf.Tensor4D>(args.inputs.filter, 'filter', 'Conv2DBackpropInput');
    const inputShape = attrs.inputShape as [number, number, number, number];
    const info = forwardInfo(inputShape, filter.shape, attrs);
    const nchw = attrs.dataFormat === 'NCHW';
    return tf.tidy(() => {
      const dx = conv2dInputGradient(nchw ? toNHWC(dy) : dy, filter, info);
      return nchw ? toNCHW(dx) : dx;
    });
  });
}

/**
 * The gradient of Conv2D, also for dilated convolutions (tfjs's throws for dilation > 1, which
 * made layers dilate kernels with zeros instead). Undilated: the backprop kernels as before;
 * dilated: the convolution-based formulas above, on any backend.
 */
export function registerConv2DGradient(): void {
  overrideGradient({
    kernelName: 'Conv2D',
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
      const a = attrs as unknown as ConvBackpropAttrs;
      const g = dy as tf.Tensor4D;
      const [dh, dw] = typeof a.dilations === 'number' ? [a.dilations, a.dilations] : (a.dilations ?? [1, 1]);
      const nchw = a.dataFormat === 'NCHW';
      if (dh === 1 && dw === 1) {
        const common = { strides: a.strides, pad: a.pad, dataFormat: a.dataFormat ?? 'NHWC', dimRoundingMode: a.dimRoundingMode };
        return {
          x: () => tf.engine().runKernel('Conv2DBackpropInput', { dy: g, filter }, { ...common, inputShape: x.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
          filter: () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy: g }, { ...common, filterShape: filter.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
        };
      }
      const info = forwardInfo(x.shape, filter.shape, a);
      return {
        x: () => {
          const dx = conv2dInputGradient(nchw ? toNHWC(g) : g, filter, info);
          return nchw ? toNCHW(dx) : dx;
        },
        filter: () => conv2dFilterGradient(nchw ? toNHWC(x) : x, nchw ? toNHWC(g) : g, info),
      };
    },
  });
}
