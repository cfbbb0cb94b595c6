import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { OptionError, parameterCount, setup, ShapeError, Upsample, Xoshiro, type UpsampleOptions } from '@deqts/core-layers';
import { checkGradients, describeBackends, expectClose, onBackend } from '../../../../../test/utils/index.js';
import { hostRandom, type Host } from './reference.js';

const toTensor = (h: Host): tf.Tensor => tf.tensor(Float32Array.from(h.data), h.shape, 'float32');
const up = (options: UpsampleOptions, x: tf.Tensor): tf.Tensor => {
  const layer = Upsample(options);
  return layer(x, ...setup(new Xoshiro(0), layer))[0];
};

describeBackends('Upsample', () => {
  it('nearest repeats pixels by an integer scale or to a size', () => {
    const x = tf.tensor([1, 2, 3, 4, 5, 6], [1, 2, 3, 1]);
    const y = up({ scale: 2 }, x);
    expect(y.shape).toEqual([1, 4, 6, 1]);
    expect(Array.from(y.dataSync())).toEqual([1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 4, 4, 5, 5, 6, 6]);
    const z = up({ scale: [1, 2] }, tf.tensor([1, 2, 3, 4], [1, 2, 1, 2]));
    expect(z.shape).toEqual([1, 2, 2, 2]);
    expect(Array.from(z.dataSync())).toEqual([1, 2, 1, 2, 3, 4, 3, 4]);
    expect(up({ size: [4, 9] }, x).shape).toEqual([1, 4, 9, 1]);
    const same = up({ size: [2, 3] }, x);
    expect(same).not.toBe(x);
    expect(Array.from(same.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(parameterCount(Upsample({ scale: 2 }))).toBe(0);
  });

  it('bilinear reproduces NNlib’s upsample_bilinear example (align corners, as Lux computes)', () => {
    // NNlib docs: upsample_bilinear(Float32[1 2 3; 4 5 6], (2, 3)) is 4×9, row r = r + (0:8)/4.
    const y = up({ scale: [2, 3], mode: 'bilinear' }, tf.tensor([1, 2, 3, 4, 5, 6], [1, 2, 3, 1]));
    expect(y.shape).toEqual([1, 4, 9, 1]);
    const expected = Array.from({ length: 36 }, (_, i) => 1 + Math.floor(i / 9) + (i % 9) / 4);
    expectClose(y, expected, 1e-6);
  });

  it('bilinear matches tfjs resizeBilinear in both corner conventions, for non-square images and real scales', () => {
    const x = toTensor(hostRandom([2, 3, 4, 2], 1));
    expectClose(up({ size: [5, 7], mode: 'bilinear' }, x), tf.image.resizeBilinear(x as tf.Tensor4D, [5, 7], true), 1e-5);
    expectClose(
      up({ size: [5, 7], mode: 'bilinear', alignCorners: false }, x),
      tf.image.resizeBilinear(x as tf.Tensor4D, [5, 7], false, true),
      1e-5,
    );
    expect(up({ scale: 1.5, mode: 'bilinear' }, x).shape).toEqual([2, 4, 6, 2]);
    expect(up({ scale: [2, 0.5], mode: 'bilinear' }, x).shape).toEqual([2, 6, 2, 2]);
  });

  it('gradients match finite differences (bilinear on a non-square image, both conventions; nearest)', () => {
    const x = toTensor(hostRandom([2, 3, 4, 2], 2));
    for (const options of [
      { size: [5, 7], mode: 'bilinear' },
      { scale: [2, 1.5], mode: 'bilinear', alignCorners: false },
      { scale: [2, 3] },
    ] as UpsampleOptions[]) {
      checkGradients((t) => up(options, (t as { x: tf.Tensor }).x), { x });
    }
  });

  it('gives typed errors', () => {
    expect(() => Upsample({})).toThrow(/exactly one of the options 'scale' and 'size'/);
    expect(() => Upsample({ scale: 2, size: [4, 4] })).toThrow(OptionError);
    expect(() => Upsample({ scale: 1.5 })).toThrow(/must be integers in mode 'nearest'/);
    expect(() => Upsample({ scale: 2, mode: 'bicubic' as never })).toThrow(/mode/);
    expect(() => Upsample({ scale: -2 })).toThrow(/scale/);
    expect(() => Upsample({ scale: 2, align_corners: true } as never)).toThrow(/unknown option 'align_corners'/);
    expect(() => up({ size: [5, 5] }, tf.zeros([1, 2, 2, 1]))).toThrow(ShapeError);
    expect(() => up({ scale: 2 }, tf.zeros([2, 2, 1]))).toThrow('Upsample(nearest, scale=2) expects input of shape [batch, height, width, channels], got [2, 2, 1]');
  });
});

describe('Upsample across backends', () => {
  it('cpu and wasm agree on outputs', async () => {
    const x = hostRandom([2, 3, 4, 2], 3);
    for (const options of [{ scale: 2 }, { size: [5, 7], mode: 'bilinear' }, { scale: 1.5, mode: 'bilinear', alignCorners: false }] as UpsampleOptions[]) {
      const f = () => Array.from(up(options, toTensor(x)).dataSync());
      expectClose(await onBackend('wasm', f), await onBackend('cpu', f), 1e-6, JSON.stringify(options));
    }
  });
});
