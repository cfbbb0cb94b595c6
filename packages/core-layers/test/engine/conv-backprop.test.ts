import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend, Xoshiro, type Tree } from '@deqts/core-layers';
import { checkGradients, describeBackends, expectNoLeak } from '../../../../test/utils/index.js';
import { expectWasmMatchesCpu } from './cross-backend.js';

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

const convCases: [string, number[], number[], number | [number, number], Pad][] = [
  ['3x3 same', [2, 6, 5, 3], [3, 3, 3, 4], 1, 'same'],
  ['3x3 valid', [2, 6, 5, 3], [3, 3, 3, 4], 1, 'valid'],
  ['3x3 stride 2 same', [2, 7, 6, 3], [3, 3, 3, 4], 2, 'same'],
  ['3x3 stride 2 valid, leftover rows', [2, 8, 7, 3], [3, 3, 3, 2], 2, 'valid'],
  ['2x3 stride [1, 2] explicit padding', [2, 5, 6, 3], [2, 3, 3, 4], [1, 2], [[0, 0], [1, 2], [0, 1], [0, 0]]],
  ['5x5 numeric padding 1', [1, 7, 7, 2], [5, 5, 2, 3], 1, 1],
  ['1x1 stride 2', [2, 5, 5, 4], [1, 1, 4, 3], 2, 'valid'],
  // stride 1: DEQ.ts's own kernel (wasm-conv2d.ts); the conv DEQ's shapes, more than 8 output
  // channels (two panels), a single input channel, 1x1
  ['3x3 same 16 → 16 (conv DEQ)', [2, 9, 11, 16], [3, 3, 16, 16], 1, 'same'],
  ['3x3 same 1 → 13', [3, 7, 7, 1], [3, 3, 1, 13], 1, 'same'],
  ['1x1 stride 1, 5 → 9', [2, 3, 5, 5], [1, 1, 5, 9], 1, 'valid'],
];

describe('conv2d on wasm (Conv2DBackpropFilter added, Conv2DBackpropInput replaced) matches cpu', () => {
  for (const [name, xs, ws, stride, pad] of convCases) {
    it(name, async () => {
      await expectWasmMatchesCpu({ shapes: [xs, ws], f: (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, stride, pad) });
    });
  }
  it('dilation 2 (tfjs has no gradient for dilated convolutions; ours is registered)', async () => {
    await expectWasmMatchesCpu({ shapes: [[2, 7, 7, 2], [3, 3, 2, 3]], f: (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same', 'NHWC', 2) });
  });
  it('dilation [2, 3], valid', async () => {
    await expectWasmMatchesCpu({ shapes: [[1, 9, 10, 2], [2, 3, 2, 2]], f: (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'valid', 'NHWC', [2, 3]) });
  });
  it('conv2dTranspose (forward is Conv2DBackpropInput), stride 2 same', async () => {
    await expectWasmMatchesCpu({
      shapes: [[2, 4, 3, 3], [3, 3, 5, 3]],
      f: (x, w) => tf.conv2dTranspose(x as tf.Tensor4D, w as tf.Tensor4D, [2, 8, 6, 5], 2, 'same'),
    });
  });
  it('conv2dTranspose, stride 1 valid', async () => {
    await expectWasmMatchesCpu({
      shapes: [[1, 4, 4, 2], [3, 2, 3, 2]],
      f: (x, w) => tf.conv2dTranspose(x as tf.Tensor4D, w as tf.Tensor4D, [1, 6, 5, 3], 1, 'valid'),
    });
  });
});

describe('depthwiseConv2d on wasm (both backprop kernels added) matches cpu', () => {
  const cases: [string, number[], number[], number, Pad, number][] = [
    ['3x3 same, multiplier 1', [2, 5, 6, 3], [3, 3, 3, 1], 1, 'same', 1],
    ['3x3 same, multiplier 2', [2, 5, 5, 3], [3, 3, 3, 2], 1, 'same', 1],
    ['3x3 stride 2 valid', [2, 7, 6, 2], [3, 3, 2, 1], 2, 'valid', 1],
    ['2x2 numeric padding 1, multiplier 3', [1, 4, 5, 2], [2, 2, 2, 3], 1, 1, 1],
    ['3x3 dilation 2 same', [1, 7, 7, 2], [3, 3, 2, 2], 1, 'same', 2],
  ];
  for (const [name, xs, ws, stride, pad, dilation] of cases) {
    it(name, async () => {
      await expectWasmMatchesCpu({
        shapes: [xs, ws],
        f: (x, w) => tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, stride, pad, 'NHWC', dilation),
      });
    });
  }
});

describe('conv3d on wasm (both backprop kernels replaced: the stock ones are wrong) matches cpu', () => {
  const cases: [string, number[], number[], number | [number, number, number], 'same' | 'valid'][] = [
    ['2x2x2 same', [2, 4, 4, 4, 2], [2, 2, 2, 2, 3], 1, 'same'],
    ['3x3x3 valid', [1, 5, 4, 5, 2], [3, 3, 3, 2, 2], 1, 'valid'],
    ['3x3x3 stride 2 same', [1, 5, 6, 5, 2], [3, 3, 3, 2, 3], 2, 'same'],
    ['2x3x2 stride [1, 2, 2] valid', [1, 4, 7, 6, 1], [2, 3, 2, 1, 2], [1, 2, 2], 'valid'],
  ];
  for (const [name, xs, ws, stride, pad] of cases) {
    it(name, async () => {
      await expectWasmMatchesCpu({ shapes: [xs, ws], f: (x, w) => tf.conv3d(x as tf.Tensor5D, w as tf.Tensor5D, stride, pad) });
    });
  }
});

describeBackends('conv2d gradients against finite differences', () => {
  it('stride 2 with explicit asymmetric padding', () => {
    const rng = new Xoshiro(2);
    const tree = [tf.tensor(rng.normalArray(2 * 6 * 5 * 2), [2, 6, 5, 2]), tf.tensor(rng.normalArray(3 * 2 * 2 * 3), [3, 2, 2, 3])];
    checkGradients((t: Tree<tf.Tensor>) => {
      const [x, w] = t as tf.Tensor4D[];
      return tf.conv2d(x, w, 2, [[0, 0], [2, 0], [1, 1], [0, 0]]);
    }, tree);
    tf.dispose(tree);
  });
  it('dilation 2', () => {
    const rng = new Xoshiro(4);
    const tree = [tf.tensor(rng.normalArray(1 * 7 * 6 * 2), [1, 7, 6, 2]), tf.tensor(rng.normalArray(3 * 3 * 2 * 2), [3, 3, 2, 2])];
    checkGradients((t: Tree<tf.Tensor>) => {
      const [x, w] = t as tf.Tensor4D[];
      return tf.conv2d(x, w, 1, 'valid', 'NHWC', 2);
    }, tree);
    tf.dispose(tree);
  });
});

describe('conv kernels on wasm: memory', () => {
  it('leak no tensor (conv2d and depthwise, forward and both gradients)', async () => {
    await initBackend('wasm');
    const rng = new Xoshiro(6);
    const x = tf.tensor(rng.normalArray(2 * 6 * 6 * 3), [2, 6, 6, 3]) as tf.Tensor4D;
    const w = tf.tensor(rng.normalArray(3 * 3 * 3 * 2), [3, 3, 3, 2]) as tf.Tensor4D;
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.add(tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same')), tf.sum(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same'))),
    );
    await expectNoLeak(() => {
      tf.dispose(g([x, w]));
    }, 5);
    // stride 1 (DEQ.ts's kernel: padded copy and packing scratch, not engine tensors)
    const g1 = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same')));
    const blocks = (tf.backend() as unknown as { numDataIds(): number }).numDataIds;
    tf.dispose(g1([x, w]));
    const before = [tf.memory().numTensors, blocks.call(tf.backend())];
    for (let i = 0; i < 3; i++) tf.dispose(g1([x, w]));
    expect([tf.memory().numTensors, blocks.call(tf.backend())]).toEqual(before);
    tf.dispose([x, w]);
  });
});

describe('DEQ.ts stride-1 convolution kernel on wasm (wasm-conv2d.ts)', () => {
  // The cases above go through tf.conv2d, which would also pass if the kernel fell back to
  // XNNPACK: this calls it directly, and checks which convolutions it takes.
  it('takes stride-1 NHWC convolutions (values equal to cpu), declines strided and dilated ones', async () => {
    const { conv2dStride1Wasm } = await import('../../src/engine/fixes/wasm-conv2d.js');
    const rng = new Xoshiro(8);
    const cases: [number[], number[], Pad][] = [
      [[2, 9, 11, 16], [3, 3, 16, 16], 'same'],
      [[3, 7, 7, 1], [3, 3, 1, 13], 'same'],
      [[2, 6, 5, 3], [2, 3, 3, 4], 'valid'],
      [[1, 7, 7, 2], [5, 5, 2, 3], 1],
    ];
    for (const [xs, ws, pad] of cases) {
      const xv = rng.normalArray(xs.reduce((a, b) => a * b, 1));
      const wv = rng.normalArray(ws.reduce((a, b) => a * b, 1));
      await initBackend('cpu');
      const expected = tf.tidy(() => tf.conv2d(tf.tensor4d(xv, xs as [number, number, number, number]), tf.tensor4d(wv, ws as [number, number, number, number]), 1, pad).dataSync().slice());
      await initBackend('wasm');
      const x = tf.tensor4d(xv, xs as [number, number, number, number]);
      const w = tf.tensor4d(wv, ws as [number, number, number, number]);
      const backend = tf.backend() as unknown as Parameters<typeof conv2dStride1Wasm>[0];
      const info = conv2dStride1Wasm(backend, x, w, { strides: 1, pad });
      expect(info, `[${xs}] * [${ws}] ${pad}`).not.toBeNull();
      const got = tf.engine().makeTensorFromTensorInfo(info!);
      const out = got.dataSync();
      expect(out.length).toBe(expected.length);
      let worst = 0;
      for (let i = 0; i < out.length; i++) worst = Math.max(worst, Math.abs(out[i] - expected[i]) / Math.max(1, Math.abs(expected[i])));
      expect(worst).toBeLessThan(1e-5);
      tf.dispose([x, w, got]);
    }
    await initBackend('wasm');
    const x = tf.ones([1, 6, 6, 2]);
    const w = tf.ones([3, 3, 2, 2]);
    const backend = tf.backend() as unknown as Parameters<typeof conv2dStride1Wasm>[0];
    expect(conv2dStride1Wasm(backend, x, w, { strides: 2, pad: 'same' })).toBeNull();
    expect(conv2dStride1Wasm(backend, x, w, { strides: 1, pad: 'same', dilations: 2 })).toBeNull();
    tf.dispose([x, w]);
  });
});
