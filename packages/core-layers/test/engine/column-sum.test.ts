import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend } from '@deqts/core-layers';
import { originalKernel } from '../../src/engine/fixes/registry.js';

const bits = (values: tf.TypedArray) => Array.from(new Uint32Array(new Float32Array(values).buffer));

describe('wasm Sum over leading axes (wasm-column-sum.ts)', () => {
  it('is bit-identical to the stock kernel for leading-axis sums of many shapes, keepDims included', async () => {
    await initBackend('wasm');
    const stock = originalKernel('Sum', 'wasm');
    expect(stock, 'the stock kernel was replaced').toBeDefined();
    const backend = tf.backend();
    const cases: [number[], number[]][] = [
      [[128, 128], [0]],
      [[128, 10], [0]],
      [[7, 3], [0]],
      [[5, 37], [0]],
      [[2, 3, 21], [0, 1]],
      [[4, 6, 5, 3], [0, 1, 2]],
      [[1, 19], [0]],
    ];
    for (const [shape, axis] of cases) {
      for (const keepDims of [false, true]) {
        const x = tf.randomNormal(shape, 0, 3, 'float32', shape.length + shape[shape.length - 1]);
        const ours = tf.sum(x, axis, keepDims);
        const ref = stock!.kernelFunc({ inputs: { x }, attrs: { axis, keepDims }, backend }) as tf.TensorInfo;
        const refValues = (backend as unknown as { readSync(id: tf.DataId): tf.TypedArray }).readSync(ref.dataId);
        expect(ours.shape, `${shape} ${axis} ${keepDims}`).toEqual(ref.shape);
        expect(bits(ours.dataSync()), `${shape} ${axis}`).toEqual(bits(refValues));
        backend.disposeData(ref.dataId);
        tf.dispose([x, ours]);
      }
    }
  });

  it('takes leading-axis float32 sums itself and declines the rest (called directly: tf.sum would pass on the stock kernel too)', async () => {
    await initBackend('wasm');
    const { columnSumWasm } = await import('../../src/engine/fixes/wasm-column-sum.js');
    const backend = tf.backend() as unknown as Parameters<typeof columnSumWasm>[0];
    const x = tf.tensor3d([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2]);
    const taken = columnSumWasm(backend, x, [0, 1], false);
    expect(taken).not.toBeNull();
    const got = tf.engine().makeTensorFromTensorInfo(taken!);
    expect(Array.from(got.dataSync())).toEqual([16, 20]);
    expect(columnSumWasm(backend, x, [1], false)).toBeNull(); // not a leading block
    expect(columnSumWasm(backend, x, [0, 1, 2], false)).toBeNull(); // every axis: the stock kernel
    tf.tidy(() => {
      expect(columnSumWasm(backend, tf.cast(x, 'int32'), [0], false)).toBeNull();
    });
    tf.dispose([x, got]);
  });

  it('leaves other reductions and dtypes to the stock kernel', async () => {
    await initBackend('wasm');
    const x = tf.tensor2d([[1, 2, 3], [4, 5, 6]]);
    expect(Array.from(tf.sum(x, 1).dataSync())).toEqual([6, 15]);
    expect(Array.from(tf.sum(x).dataSync())).toEqual([21]);
    expect(Array.from(tf.sum(x, 0).dataSync())).toEqual([5, 7, 9]);
    expect(Array.from(tf.sum(tf.cast(x, 'int32'), 0).dataSync())).toEqual([5, 7, 9]);
    expect(tf.sum(tf.zeros([0, 3]), 0).shape).toEqual([3]);
    expect(tf.getKernel('Sum', 'wasm')?.kernelFunc).not.toBe(originalKernel('Sum', 'wasm')?.kernelFunc);
    x.dispose();
  });
});
