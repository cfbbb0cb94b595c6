import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend } from '@deqts/core-layers';

describe('wasm Identity shares the data block (wasm-identity.ts)', () => {
  it('tf.clone shares the block, keeps its values when the source is freed, and frees it with the last reference', async () => {
    await initBackend('wasm');
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const blocks = backend.numDataIds();
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const y = tf.clone(x);
    expect(backend.numDataIds()).toBe(blocks + 1); // one block, two tensors
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(y.shape).toEqual([2, 3]);
    y.dispose();
    expect(backend.numDataIds()).toBe(blocks);
    const s = tf.tensor1d(['a', 'b'], 'string');
    expect(tf.clone(s).arraySync()).toEqual(['a', 'b']); // strings keep the stock kernel
    tf.dispose(s);
  });

  it('tensors saved for a gradient are not copied, and the gradient is unchanged', async () => {
    await initBackend('wasm');
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const a = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    const b = tf.tensor2d([5, 6, 7, 8], [2, 2]);
    const blocks = backend.numDataIds();
    const [ga, gb] = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.matMul(p, q)))([a, b]);
    // dA = 1·bᵀ (row sums of b), dB = aᵀ·1 (column sums of a)
    expect(Array.from(ga.dataSync())).toEqual([11, 15, 11, 15]);
    expect(Array.from(gb.dataSync())).toEqual([4, 4, 6, 6]);
    tf.dispose([ga, gb]);
    expect(backend.numDataIds()).toBe(blocks);
    tf.dispose([a, b]);
  });
});
