import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend } from '@deqts/core-layers';
import { originalKernel } from '../../src/engine/fixes/registry.js';
import { expectWasmMatchesCpu } from './cross-backend.js';

const bits = (values: tf.TypedArray) => Array.from(new Uint32Array(new Float32Array(values).buffer));

describe('wasm AvgPoolGrad for windows that tile the input (wasm-avg-pool-grad.ts)', () => {
  it('is bit-identical to the stock kernel where windows tile the input, and defers to it elsewhere', async () => {
    await initBackend('wasm');
    const stock = originalKernel('AvgPoolGrad', 'wasm');
    expect(stock, 'the stock kernel was replaced').toBeDefined();
    expect(tf.getKernel('AvgPoolGrad', 'wasm')?.kernelFunc).not.toBe(stock?.kernelFunc);
    const backend = tf.backend();
    const read = (id: tf.DataId) => (backend as unknown as { readSync(id: tf.DataId): tf.TypedArray }).readSync(id);
    const cases: [number[], number | [number, number], number | [number, number], 'valid' | 'same'][] = [
      [[2, 28, 28, 3], 7, 7, 'valid'], // tiles: the fast path
      [[3, 4, 6, 5], [2, 3], [2, 3], 'valid'], // tiles, rectangular windows
      [[2, 6, 6, 2], 3, 2, 'valid'], // overlapping windows: stock
      [[2, 7, 7, 2], 2, 2, 'same'], // padding: stock
    ];
    for (const [shape, filter, strides, pad] of cases) {
      const x = tf.randomNormal(shape, 0, 1, 'float32', 3);
      const info = tf.backend_util.computePool2DInfo(shape as [number, number, number, number], filter, strides, 1, pad);
      const dy = tf.randomNormal(info.outShape, 0, 1, 'float32', 4);
      const attrs = { filterSize: filter, strides, pad } as unknown as tf.NamedAttrMap;
      const ours = tf.engine().runKernel('AvgPoolGrad', { dy, input: x }, attrs) as tf.Tensor;
      const ref = stock!.kernelFunc({ inputs: { dy, input: x }, attrs, backend }) as tf.TensorInfo;
      expect(ours.shape, `${shape} ${filter}`).toEqual(ref.shape);
      expect(bits(ours.dataSync()), `${shape} ${filter} ${strides} ${pad}`).toEqual(bits(read(ref.dataId)));
      backend.disposeData(ref.dataId);
      tf.dispose([x, dy, ours]);
    }
  });

  it('takes exact tilings itself and declines the rest (called directly: the kernel would pass on the stock path too)', async () => {
    await initBackend('wasm');
    const { avgPoolGradTiled } = await import('../../src/engine/fixes/wasm-avg-pool-grad.js');
    const x = tf.zeros([1, 4, 6, 2]);
    const dy = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 2, 2]);
    const taken = avgPoolGradTiled(tf.backend(), dy, x, { filterSize: [2, 3], strides: [2, 3], pad: 'valid' });
    expect(taken).not.toBeNull();
    const got = tf.engine().makeTensorFromTensorInfo(taken!);
    const values = got.dataSync();
    expect(values[0]).toBeCloseTo(1 / 6, 7); // [0,0,0,c0] lies in window (0,0)
    expect(values[(3 * 6 + 5) * 2 + 1]).toBeCloseTo(8 / 6, 6); // [0,3,5,c1] lies in window (1,1)
    tf.tidy(() => {
      // overlapping windows, then padded ones: the stock kernel
      expect(avgPoolGradTiled(tf.backend(), tf.zeros([1, 2, 2, 2]), tf.zeros([1, 5, 5, 2]), { filterSize: 3, strides: 2, pad: 'valid' })).toBeNull();
    });
    tf.tidy(() => {
      expect(avgPoolGradTiled(tf.backend(), tf.zeros([1, 3, 3, 2]), tf.zeros([1, 5, 5, 2]), { filterSize: 2, strides: 2, pad: 'same' })).toBeNull();
    });
    tf.dispose([x, dy, got]);
  });

  it('the average-pooling gradient through the fast path matches cpu', async () => {
    await expectWasmMatchesCpu({ shapes: [[2, 12, 8, 3]], f: (x) => tf.avgPool(x as tf.Tensor4D, [4, 2], [4, 2], 'valid') }, 1e-6);
  });
});
