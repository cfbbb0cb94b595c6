import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend, Xoshiro, type Tree } from '@deqts/core-layers';
import { checkGradients, describeBackends } from '../../../../test/utils/index.js';
import { expectWasmMatchesCpu } from './cross-backend.js';

/**
 * Distinct values 0.1 apart in random order, shifted by `offset`: max pooling has a unique
 * maximum in every window and finite differences with ε ≪ 0.05 never cross a tie.
 */
function distinct(shape: number[], offset: number, seed: number): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const order = new Xoshiro(seed).permutation(size);
  return tf.tensor(Float32Array.from(order, (v) => v * 0.1 + offset), shape);
}

type Pad = 'same' | 'valid' | number;
const maxCases: [string, number[], number, number, Pad][] = [
  ['2x2 stride 2 valid', [2, 4, 6, 3], 2, 2, 'valid'],
  ['3x3 stride 1 same (overlapping windows)', [1, 5, 5, 2], 3, 1, 'same'],
  ['3x3 stride 2 same', [2, 7, 6, 2], 3, 2, 'same'],
  ['2x2 stride 1 numeric padding 1', [1, 4, 4, 2], 2, 1, 1],
];

describe('maxPool gradient on wasm (MaxPoolGrad replaced) matches cpu', () => {
  for (const [name, shape, size, stride, pad] of maxCases) {
    for (const offset of [0, -100]) {
      it(`${name}, ${offset < 0 ? 'all values negative' : 'non-negative values'}`, async () => {
        await expectWasmMatchesCpu({
          shapes: [shape],
          input: (_v, s) => distinct(s, offset, 3),
          f: (x) => tf.maxPool(x as tf.Tensor4D, size, stride, pad),
        });
      });
    }
  }
});

describeBackends('maxPool gradient against finite differences', () => {
  for (const [name, shape, size, stride, pad] of maxCases) {
    it(`${name}, negative values`, () => {
      // Integers in [-200, -32]: every window is negative (the case wasm's own kernel got wrong),
      // maxima are 1 apart so steps of 0.1 cross no tie; the tolerance covers float32 rounding.
      const x = distinct(shape, -200, 5);
      tf.tidy(() => {
        const integers = tf.mul(tf.sub(x, -200), 10);
        checkGradients((t: Tree<tf.Tensor>) => tf.maxPool(tf.add(t as tf.Tensor4D, 0) as tf.Tensor4D, size, stride, pad), tf.add(integers, -200), {
          eps: 0.1,
          rtol: 1e-2,
          atolFraction: 0.05,
        });
      });
      x.dispose();
    });
  }
});

describe('maxPoolWithArgmax on wasm matches cpu', () => {
  it('gives the right maxima and indices for negative windows', async () => {
    const run = () => {
      const x = distinct([2, 4, 5, 3], -30, 9) as tf.Tensor4D;
      const { result, indexes } = tf.maxPoolWithArgmax(x, 2, 1, 'same', true);
      const out = [Array.from(result.dataSync()), Array.from(indexes.dataSync())];
      tf.dispose([x, result, indexes]);
      return out;
    };
    await initBackend('cpu');
    const cpu = run();
    await initBackend('wasm');
    expect(run()).toEqual(cpu);
  });
});

describeBackends('avgPool gradient (windows overlapping padding are divided by their valid count)', () => {
  const cases: [string, number[], number, number, Pad][] = [
    ['3x3 stride 1 same', [2, 5, 5, 2], 3, 1, 'same'],
    ['2x2 stride 2 same, odd size', [1, 5, 7, 2], 2, 2, 'same'],
    ['3x3 stride 2 numeric padding 1', [1, 6, 6, 1], 3, 2, 1],
    ['2x2 stride 2 valid', [2, 4, 4, 2], 2, 2, 'valid'],
  ];
  for (const [name, shape, size, stride, pad] of cases) {
    it(`${name} agrees with finite differences`, () => {
      const rng = new Xoshiro(8);
      const x = tf.tensor(rng.normalArray(shape.reduce((a, b) => a * b, 1)), shape);
      checkGradients((t: Tree<tf.Tensor>) => tf.avgPool(t as tf.Tensor4D, size, stride, pad), x);
      x.dispose();
    });
  }
});

describe('avgPool on wasm matches cpu', () => {
  it('3x3 stride 1 same', async () => {
    await expectWasmMatchesCpu({ shapes: [[2, 5, 6, 3]], f: (x) => tf.avgPool(x as tf.Tensor4D, 3, 1, 'same') });
  });
});

describe('maxPool3d on wasm (MaxPool3D and MaxPool3DGrad replaced: both were wrong for negative windows) matches cpu', () => {
  const cases: [string, number[], number, number, Pad][] = [
    ['2x2x2 stride 2 valid', [1, 4, 4, 4, 2], 2, 2, 'valid'],
    ['3x3x3 stride 1 same', [1, 3, 4, 3, 2], 3, 1, 'same'],
  ];
  for (const [name, shape, size, stride, pad] of cases) {
    it(`${name}, all values negative`, async () => {
      await expectWasmMatchesCpu({
        shapes: [shape],
        input: (_v, s) => distinct(s, -100, 4),
        f: (x) => tf.maxPool3d(x as tf.Tensor5D, size, stride, pad),
      });
    });
  }
});
