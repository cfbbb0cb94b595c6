import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  AdaptiveMaxPool,
  AdaptiveMeanPool,
  GlobalMaxPool,
  GlobalMeanPool,
  MaxPool,
  MeanPool,
  OptionError,
  parameterCount,
  setup,
  ShapeError,
  stateCount,
  Xoshiro,
  type PoolLayer,
  type PoolOptions,
} from '@deqts/core-layers';
import { checkGradients, describeBackends, expectClose, onBackend } from '../../../../../test/utils/index.js';
import { hostRandom, luxConvSize, referencePool, type Host } from './reference.js';

const toTensor = (h: Host): tf.Tensor => tf.tensor(Float32Array.from(h.data), h.shape, 'float32');
const run = (layer: PoolLayer, x: tf.Tensor): tf.Tensor => layer(x, ...setup(new Xoshiro(0), layer))[0];

type Case = { window: [number, number]; options: PoolOptions; stride: [number, number]; sides: [number, number, number, number] };
const CASES: Case[] = [
  { window: [2, 2], options: {}, stride: [2, 2], sides: [0, 0, 0, 0] },
  { window: [3, 2], options: { stride: 1 }, stride: [1, 1], sides: [0, 0, 0, 0] },
  { window: [3, 3], options: { stride: 2, padding: 1 }, stride: [2, 2], sides: [1, 1, 1, 1] },
  { window: [2, 3], options: { stride: [1, 2], padding: [1, 0, 2, 1] }, stride: [1, 2], sides: [1, 0, 2, 1] },
  { window: [2, 2], options: { stride: 1, padding: 'same' }, stride: [1, 1], sides: [1, 0, 1, 0] },
];

describeBackends('Pooling', () => {
  it('has no parameters and no state', () => {
    for (const layer of [MaxPool([2, 2]), MeanPool([3, 3]), GlobalMeanPool(), AdaptiveMeanPool([2, 2])]) {
      expect(parameterCount(layer)).toBe(0);
      expect(stateCount(layer)).toBe(0);
    }
  });

  it('MaxPool and MeanPool give Lux’s shapes and match a direct reference (mean counts padding as zeros)', () => {
    const x = hostRandom([2, 7, 6, 3], 3);
    for (const c of CASES) {
      for (const [kind, make] of [['max', MaxPool], ['mean', MeanPool]] as const) {
        const layer = make(c.window, c.options);
        const y = run(layer, toTensor(x));
        const [t, b, l, r] = c.sides;
        expect(y.shape, layer.description).toEqual([2, luxConvSize(7, c.window[0], c.stride[0], t, b), luxConvSize(6, c.window[1], c.stride[1], l, r), 3]);
        expectClose(y, referencePool(x, kind, c.window, c.stride, c.sides).data, 1e-6, layer.description);
      }
    }
  });

  it('GlobalMeanPool and GlobalMaxPool keep the spatial axes as size 1', () => {
    const x = hostRandom([2, 3, 4, 5], 4);
    const mean = run(GlobalMeanPool(), toTensor(x));
    expect(mean.shape).toEqual([2, 1, 1, 5]);
    expectClose(mean, referencePool(x, 'mean', [3, 4], [3, 4], [0, 0, 0, 0]).data, 1e-6);
    const max = run(GlobalMaxPool(), toTensor(x));
    expect(max.shape).toEqual([2, 1, 1, 5]);
    expectClose(max, referencePool(x, 'max', [3, 4], [3, 4], [0, 0, 0, 0]).data, 1e-6);
  });

  it('AdaptiveMeanPool uses Lux’s windows: stride = in ÷ out, window = in − (out − 1)·stride', () => {
    const x = hostRandom([1, 8, 7, 2], 5);
    // 8 → 4: stride 2, window 2; 7 → 3: stride 2, window 3.
    const y = run(AdaptiveMeanPool([4, 3]), toTensor(x));
    expect(y.shape).toEqual([1, 4, 3, 2]);
    expectClose(y, referencePool(x, 'mean', [2, 3], [2, 2], [0, 0, 0, 0]).data, 1e-6);
    const m = run(AdaptiveMaxPool([4, 3]), toTensor(x));
    expectClose(m, referencePool(x, 'max', [2, 3], [2, 2], [0, 0, 0, 0]).data, 1e-6);
    expect(run(AdaptiveMeanPool(1), toTensor(x)).shape).toEqual([1, 1, 1, 2]);
    expect(run(AdaptiveMeanPool([8, 7]), toTensor(x)).shape).toEqual([1, 8, 7, 2]);
  });

  it('gradients of MeanPool, AdaptiveMeanPool and GlobalMeanPool match finite differences', () => {
    const x = toTensor(hostRandom([2, 5, 5, 2], 6));
    for (const layer of [MeanPool([3, 3], { stride: 2, padding: [1, 0, 0, 1] }), AdaptiveMeanPool([2, 3]), GlobalMeanPool()]) {
      checkGradients((t) => run(layer, (t as { x: tf.Tensor }).x), { x });
    }
  });

  it('gradients of MaxPool match finite differences (padding, overlapping windows)', () => {
    // Distinct values 0.02 apart in [-1, 1) (no ties within a finite-difference step, and small
    // enough that float32 rounding stays well below the differences), all signs.
    const values = Array.from({ length: 2 * 5 * 5 * 2 }, (_, i) => ((i * 37) % 100) / 50 - 1);
    const x = tf.tensor(values, [2, 5, 5, 2]);
    for (const layer of [MaxPool([2, 2]), MaxPool([3, 3], { stride: 2, padding: 1 }), AdaptiveMaxPool([2, 2]), GlobalMaxPool()]) {
      checkGradients((t) => run(layer, (t as { x: tf.Tensor }).x), { x }, { eps: 5e-3 });
    }
  });

  it('MaxPool gradients are right when every value in a window is negative', () => {
    const values = Array.from({ length: 4 * 4 }, (_, i) => -1 - ((i * 7) % 16) / 4);
    const x = tf.tensor(values, [1, 4, 4, 1]);
    checkGradients((t) => run(MaxPool([2, 2]), (t as { x: tf.Tensor }).x), { x });
  });

  it('gives typed errors naming the layer', () => {
    expect(() => run(MaxPool([2, 2]), tf.zeros([4, 4, 3]))).toThrow(ShapeError);
    expect(() => run(MaxPool([2, 2]), tf.zeros([4, 4, 3]))).toThrow('MaxPool([2, 2]) expects input of shape [batch, height, width, channels], got [4, 4, 3]');
    expect(() => run(MeanPool([3, 3]), tf.zeros([1, 2, 2, 1]))).toThrow(/too small/);
    expect(() => run(AdaptiveMeanPool([4, 4]), tf.zeros([1, 3, 8, 1]))).toThrow(/AdaptiveMeanPool\(\[4, 4\]\) expects input of shape \[batch, height ≥ 4, width ≥ 4, channels\]/);
    expect(() => MaxPool([2, 2], { padding: 2 })).toThrow(/must be smaller than the window/);
    expect(() => MaxPool([2, 2], { strides: 1 } as never)).toThrow(OptionError);
    expect(() => MeanPool([0, 2])).toThrow(/argument 'window'/);
    expect(() => AdaptiveMeanPool([2, -1] as never)).toThrow(/argument 'outSize'/);
  });

  it('describes itself like Lux', () => {
    expect(MaxPool([2, 2]).description).toBe('MaxPool([2, 2])');
    expect(MeanPool([3, 3], { stride: 1, padding: 'same' }).description).toBe('MeanPool([3, 3], padding=1, stride=1)');
    expect(AdaptiveMeanPool([4, 4]).description).toBe('AdaptiveMeanPool([4, 4])');
  });
});

describe('Pooling across backends', () => {
  it('cpu and wasm agree on outputs', async () => {
    const x = hostRandom([2, 7, 6, 3], 7);
    for (const c of CASES) {
      for (const layer of [MaxPool(c.window, c.options), MeanPool(c.window, c.options)]) {
        const f = () => Array.from(run(layer, toTensor(x)).dataSync());
        expectClose(await onBackend('wasm', f), await onBackend('cpu', f), 1e-6, layer.description);
      }
    }
  });
});
