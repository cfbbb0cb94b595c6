import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend } from '@deqts/core-layers';
import { registerEngineFixes } from '../../src/engine/fixes/register.js';
import { originalKernel } from '../../src/engine/fixes/registry.js';

describe('registerEngineFixes', () => {
  it('is idempotent: a second call replaces nothing and keeps the stock kernels recorded', async () => {
    await initBackend('wasm');
    const names = ['BatchMatMul', 'Conv2DBackpropFilter', 'Conv2DBackpropInput', 'MaxPoolGrad', 'UnsortedSegmentSum'];
    const before = names.map((n) => tf.getKernel(n, 'wasm')?.kernelFunc);
    const gradient = tf.getGradient('BatchMatMul')?.gradFunc;
    registerEngineFixes();
    registerEngineFixes();
    expect(names.map((n) => tf.getKernel(n, 'wasm')?.kernelFunc)).toEqual(before);
    expect(tf.getGradient('BatchMatMul')?.gradFunc).toBe(gradient);
    // The recorded original is tfjs's kernel, never one of ours wrapped twice.
    const stock = originalKernel('BatchMatMul', 'wasm');
    expect(stock).toBeDefined();
    expect(stock?.kernelFunc).not.toBe(tf.getKernel('BatchMatMul', 'wasm')?.kernelFunc);
    expect(originalKernel('Conv2DBackpropFilter', 'wasm')).toBeUndefined();
  });

  it('keeps the wasm kernels working after switching backends back and forth', async () => {
    await initBackend('cpu');
    await initBackend('wasm');
    const a = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const b = tf.tensor2d([1, 0, 2, 1, 0, 3], [2, 3]);
    expect(Array.from(tf.matMul(a, b, false, true).dataSync())).toEqual([7, 10, 16, 22]);
    tf.dispose([a, b]);
  });
});
