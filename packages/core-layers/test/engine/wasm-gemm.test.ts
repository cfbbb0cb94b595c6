import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { initBackend, relaxedSimdSupported, wasmGemmOptions, Xoshiro } from '@deqts/core-layers';

/** Float64 reference of op(a)·op(b) for rank-2 operands stored row-major. */
function reference(a: Float32Array, b: Float32Array, m: number, k: number, n: number, tA: boolean, tB: boolean): { value: Float64Array; scale: Float64Array } {
  const value = new Float64Array(m * n);
  const scale = new Float64Array(m * n); // Σ|a||b|: what float32 rounding error is relative to
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      let abs = 0;
      for (let p = 0; p < k; p++) {
        const x = tA ? a[p * m + i] : a[i * k + p];
        const y = tB ? b[j * k + p] : b[p * n + j];
        s += x * y;
        abs += Math.abs(x * y);
      }
      value[i * n + j] = s;
      scale[i * n + j] = abs;
    }
  }
  return { value, scale };
}

/** The largest error of the wasm product relative to Σ|a||b| (over 1 where that is below 1). */
function productError(m: number, k: number, n: number, tA: boolean, tB: boolean, seed: number): number {
  const rng = new Xoshiro(seed);
  const a = Float32Array.from(rng.normalArray(m * k));
  const b = Float32Array.from(rng.normalArray(k * n));
  const ta = tf.tensor2d(a, tA ? [k, m] : [m, k]);
  const tb = tf.tensor2d(b, tB ? [n, k] : [k, n]);
  const c = tf.matMul(ta, tb, tA, tB);
  expect(c.shape).toEqual([m, n]);
  const got = c.dataSync();
  tf.dispose([ta, tb, c]);
  const { value, scale } = reference(a, b, m, k, n, tA, tB);
  let worst = 0;
  for (let i = 0; i < m * n; i++) worst = Math.max(worst, Math.abs(got[i] - value[i]) / Math.max(1, scale[i]));
  return worst;
}

const FLAGS: [boolean, boolean][] = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
];

describe('wasm matrix product kernel (wasm-gemm.wat) against a float64 reference', () => {
  afterEach(() => {
    wasmGemmOptions.multiplyAdd = 'auto';
  });

  it('initBackend turns relaxed SIMD on in Node (the fused multiply-add variant is used)', async () => {
    await initBackend('wasm');
    expect(relaxedSimdSupported()).toBe(true);
  });

  for (const variant of ['auto', 'simd128'] as const) {
    it(`${variant}: every row remainder (m mod 4), column remainder (n mod 8), k from 0, all transpose flags`, async () => {
      await initBackend('wasm');
      wasmGemmOptions.multiplyAdd = variant;
      let seed = 1;
      let worst = 0;
      for (const m of [1, 2, 3, 4, 5, 6, 7, 9]) {
        for (const n of [1, 3, 7, 8, 9, 15, 16, 17]) {
          for (const k of [0, 1, 3, 4, 5, 8, 13]) {
            for (const [tA, tB] of FLAGS) worst = Math.max(worst, productError(m, k, n, tA, tB, seed++));
          }
        }
      }
      // float32 accumulation of ≤ 13 terms: a few units of 2⁻²⁴ relative to Σ|a||b|
      expect(worst).toBeLessThan(13 * 2 ** -23);
    });

    it(`${variant}: DEQ-sized products (k up to 784, full and partial panels)`, async () => {
      await initBackend('wasm');
      wasmGemmOptions.multiplyAdd = variant;
      let worst = 0;
      for (const [m, k, n] of [
        [128, 784, 128],
        [128, 128, 10],
        [37, 300, 45],
      ]) {
        for (const [tA, tB] of FLAGS) worst = Math.max(worst, productError(m, k, n, tA, tB, m + k + n));
      }
      expect(worst).toBeLessThan(784 * 2 ** -24);
      expect(worst).toBeGreaterThan(0); // float32 arithmetic, not a float64 path
    });
  }

  it('the two variants agree, and SIMD128 is deterministic run to run', async () => {
    await initBackend('wasm');
    const rng = new Xoshiro(9);
    const a = tf.tensor2d(rng.normalArray(64 * 200), [64, 200]);
    const b = tf.tensor2d(rng.normalArray(200 * 24), [200, 24]);
    wasmGemmOptions.multiplyAdd = 'simd128';
    const plain = tf.matMul(a, b).dataSync().slice();
    expect(Array.from(tf.matMul(a, b).dataSync())).toEqual(Array.from(plain));
    wasmGemmOptions.multiplyAdd = 'auto';
    const fused = tf.matMul(a, b).dataSync();
    let worst = 0;
    for (let i = 0; i < plain.length; i++) worst = Math.max(worst, Math.abs(plain[i] - fused[i]));
    expect(worst).toBeLessThan(1e-3);
    tf.dispose([a, b]);
  });

  it('frees its packing scratch (no backend data block left behind) and rejects mismatched inner sizes', async () => {
    await initBackend('wasm');
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const a = tf.randomNormal([33, 70]);
    const b = tf.randomNormal([21, 70]);
    const blocks = backend.numDataIds();
    for (let i = 0; i < 5; i++) tf.matMul(a, b, false, true).dispose();
    expect(backend.numDataIds()).toBe(blocks);
    expect(() => tf.matMul(a, b)).toThrow(/inner|70|21/);
    tf.dispose([a, b]);
  });
});
