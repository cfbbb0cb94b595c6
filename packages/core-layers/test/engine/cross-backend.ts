import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import { initBackend, Xoshiro } from '@deqts/core-layers';
import { maxRelativeDifference } from '../../../../test/utils/index.js';

/** An op under test: input shapes and a function of those inputs. */
export type OpCase = {
  readonly shapes: readonly (readonly number[])[];
  readonly f: (...xs: tf.Tensor[]) => tf.Tensor;
  /** Builds input i from its random normal values (e.g. to make them positive or distinct). */
  readonly input?: (values: Float32Array, shape: number[], index: number) => tf.Tensor;
};

/** Forward value and gradient of Σ r ⊙ f(xs) w.r.t. every input, on the current backend. */
export function valueAndGrads(c: OpCase, seed = 1): { value: Float32Array; grads: Float32Array[] } {
  const rng = new Xoshiro(seed);
  const xs = c.shapes.map((s, i) => {
    const shape = [...s];
    const values = rng.normalArray(shape.reduce((a, b) => a * b, 1));
    return c.input ? c.input(values, shape, i) : tf.tensor(values, shape, 'float32');
  });
  const y = c.f(...xs);
  const r = tf.tensor(rng.normalArray(y.size), y.shape, 'float32');
  const value = y.dataSync() as Float32Array;
  const grads = tf.grads((...args: tf.Tensor[]) => tf.sum(tf.mul(c.f(...args), r)))(xs);
  const out = { value: Float32Array.from(value), grads: grads.map((g, i) => {
    expect(g.shape, `gradient ${i} shape`).toEqual(xs[i].shape);
    return Float32Array.from(g.dataSync() as Float32Array);
  }) };
  tf.dispose([...xs, y, r, ...grads]);
  return out;
}

/**
 * Runs `c` on cpu and on wasm and asserts forward values and gradients agree to `tol`
 * (relative, floor 1). Leaves wasm selected.
 */
export async function expectWasmMatchesCpu(c: OpCase, tol = 1e-4, seed = 1): Promise<void> {
  await initBackend('cpu');
  const cpu = valueAndGrads(c, seed);
  await initBackend('wasm');
  const wasm = valueAndGrads(c, seed);
  expect(maxRelativeDifference(wasm.value, cpu.value), 'forward wasm vs cpu').toBeLessThanOrEqual(tol);
  cpu.grads.forEach((g, i) => {
    expect(maxRelativeDifference(wasm.grads[i], g), `gradient of input ${i}, wasm vs cpu`).toBeLessThanOrEqual(tol);
  });
}
