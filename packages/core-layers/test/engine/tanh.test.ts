import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend } from '@deqts/core-layers';
import { originalKernel } from '../../src/engine/fixes/registry.js';
import { expectWasmMatchesCpu } from './cross-backend.js';

describe('Tanh on wasm (DEQ.ts SIMD kernel, wasm-tanh.wat) matches cpu', () => {
  it('forward and gradient on normal values, scaled ×3', async () => {
    await expectWasmMatchesCpu({ shapes: [[4, 7, 5]], f: (x) => tf.tanh(tf.mul(x, 3)) }, 1e-5);
  });

  it('absolute error below 1e-7 against Math.tanh (the cpu kernel) from −20 to 20, exact saturation, odd symmetry', async () => {
    const grid = (): tf.Tensor1D => tf.linspace(-20, 20, 400_001);
    await initBackend('cpu');
    const reference = tf.tidy(() => tf.tanh(grid()).dataSync());
    await initBackend('wasm');
    const ours = tf.tidy(() => tf.tanh(grid()).dataSync());
    let err = 0;
    for (let i = 0; i < ours.length; i++) err = Math.max(err, Math.abs(ours[i] - reference[i]));
    expect(err).toBeLessThan(1e-7); // measured 8.8e-8
    const stock = originalKernel('Tanh', 'wasm');
    expect(stock, 'the stock kernel was replaced').toBeDefined();
    expect(tf.getKernel('Tanh', 'wasm')?.kernelFunc).not.toBe(stock?.kernelFunc);
    expect(Array.from(tf.tidy(() => tf.tanh(tf.tensor1d([-50, 50, 0, -Infinity, Infinity])).dataSync()))).toEqual([-1, 1, 0, -1, 1]);
    // NaN propagates, in the 4-vector loop, the single-vector loop and the scalar tail.
    for (const size of [16, 4, 3]) {
      const values = tf.tidy(() => tf.tanh(tf.tensor1d(Array.from({ length: size }, (_, i) => (i === size - 1 ? NaN : 0.5)))).dataSync());
      expect(Number.isNaN(values[size - 1]), `size ${size}`).toBe(true);
    }
    const asym = tf.tidy(() => tf.max(tf.abs(tf.add(tf.tanh(grid()), tf.tanh(tf.neg(grid()))))).dataSync()[0]);
    expect(asym).toBe(0); // the sign is put back on tanh|x|: exactly odd
    expect(Object.is(tf.tidy(() => tf.tanh(tf.tensor1d([-0])).dataSync()[0]), -0)).toBe(true);
  });

  it('relative error below 2e-7 for 1e-7 ≤ |x| ≤ 1 (no cancellation near 0)', async () => {
    const values = Float32Array.from({ length: 100_001 }, (_, i) => (i % 2 ? -1 : 1) * Math.fround(10 ** (-7 + (7 * i) / 100_000)));
    await initBackend('wasm');
    const ours = tf.tidy(() => tf.tanh(tf.tensor1d(values)).dataSync());
    let rel = 0;
    for (let i = 0; i < values.length; i++) rel = Math.max(rel, Math.abs(ours[i] - Math.tanh(values[i])) / Math.abs(Math.tanh(values[i])));
    expect(rel).toBeLessThan(2e-7); // measured 1.7e-7
  });
});
