import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { heapOffset, initBackend, wasmGemmOptions, Xoshiro, type WasmModuleBackend } from '@deqts/core-layers';
import { gemmOperand } from '../../src/engine/fixes/wasm-gemm.js';
import { sparseGemm, sparseGemmSettings } from '../../src/engine/fixes/wasm-sparse-gemm.js';

// The zero-skipping product (wasm-sparse-gemm.ts) leaves out only steps that add zero products:
// its results must be the dense kernel's bit for bit (NaN and signed zeros included), and it must
// decline where that would not hold (a non-finite dense operand) or would not pay (dense data).

const bits = (values: tf.TypedArray) => Array.from(new Uint32Array(new Float32Array(values).buffer));
const saved = { ...sparseGemmSettings };

/** rows×cols values, `zeros` of them (as a fraction) exactly 0 (a few −0), the rest normal. */
function sparseMatrix(rng: Xoshiro, rows: number, cols: number, zeros: number): tf.Tensor2D {
  const v = Float32Array.from(rng.normalArray(rows * cols));
  const u = rng.uniformArray(rows * cols);
  for (let i = 0; i < v.length; i++) if (u[i] < zeros) v[i] = i % 17 === 0 ? -0 : 0;
  return tf.tensor2d(v, [rows, cols]);
}

/** tf.matMul with the zero-skipping path allowed or not. */
function product(a: tf.Tensor2D, b: tf.Tensor2D, transposeA: boolean, transposeB: boolean, sparse: boolean): Float32Array {
  sparseGemmSettings.enabled = sparse;
  const c = tf.matMul(a, b, transposeA, transposeB);
  const out = c.dataSync() as Float32Array;
  c.dispose();
  return out;
}

/** Calls sparseGemm itself on tensors (stored a: [aRows, aCols], b likewise); returns whether it took the product and C. */
function direct(a: tf.Tensor2D, b: tf.Tensor2D, transposeA: boolean, transposeB: boolean): { taken: boolean; c: Float32Array } {
  sparseGemmSettings.enabled = true;
  const backend = tf.backend() as unknown as WasmModuleBackend;
  const m = transposeA ? a.shape[1] : a.shape[0];
  const k = transposeA ? a.shape[0] : a.shape[1];
  const n = transposeB ? b.shape[0] : b.shape[1];
  const c = tf.fill([m, n], 7); // a sentinel: a declined product must leave it untouched
  const at = (t: tf.Tensor) => heapOffset(backend, t);
  const taken = sparseGemm(backend, at(c), gemmOperand(at(a), a.shape[0], a.shape[1], transposeA), gemmOperand(at(b), b.shape[0], b.shape[1], transposeB), m, k, n);
  const out = c.dataSync() as Float32Array;
  c.dispose();
  return { taken, c: out };
}

describe('zero-skipping matrix product [wasm]', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });
  afterEach(() => {
    Object.assign(sparseGemmSettings, saved);
    wasmGemmOptions.multiplyAdd = 'auto';
  });

  for (const multiplyAdd of ['auto', 'simd128'] as const) {
    it(`equals the dense kernel bit for bit with A or B mostly zeros, every transpose, ragged shapes (${multiplyAdd})`, () => {
      wasmGemmOptions.multiplyAdd = multiplyAdd;
      sparseGemmSettings.minElements = 64;
      const rng = new Xoshiro(5);
      // m = 37 (a partial row block), k = 150, n = 21 (a partial panel) and n = 70 (several panels)
      // (m, n mod 4 = 1, 2, 3, 0: the tails of the by-column lists and of the transposition)
      for (const [m, k, n] of [[37, 150, 21], [64, 96, 70], [5, 40, 8], [7, 33, 23], [6, 20, 39]] as const) {
        for (const transposeA of [false, true]) {
          for (const transposeB of [false, true]) {
            for (const sparseSide of ['a', 'b'] as const) {
              const a = sparseSide === 'a' ? sparseMatrix(rng, transposeA ? k : m, transposeA ? m : k, 0.95) : sparseMatrix(rng, transposeA ? k : m, transposeA ? m : k, 0);
              const b = sparseSide === 'b' ? sparseMatrix(rng, transposeB ? n : k, transposeB ? k : n, 0.95) : sparseMatrix(rng, transposeB ? n : k, transposeB ? k : n, 0);
              const label = `${m}×${k}×${n} tA=${transposeA} tB=${transposeB} sparse ${sparseSide}`;
              const dense = product(a, b, transposeA, transposeB, false);
              const { taken, c } = direct(a, b, transposeA, transposeB);
              expect(taken, label).toBe(true);
              expect(bits(c), label).toEqual(bits(dense));
              expect(bits(product(a, b, transposeA, transposeB, true)), label).toEqual(bits(dense));
              tf.dispose([a, b]);
            }
          }
        }
      }
    });
  }

  it('keeps NaN of the sparse operand where the dense product has it', () => {
    sparseGemmSettings.minElements = 64;
    const rng = new Xoshiro(6);
    const values = sparseMatrix(rng, 16, 40, 0.9).dataSync() as Float32Array;
    values[3 * 40 + 7] = NaN;
    const a = tf.tensor2d(values, [16, 40]);
    const b = sparseMatrix(rng, 40, 12, 0);
    const dense = product(a, b, false, false, false);
    const { taken, c } = direct(a, b, false, false);
    expect(taken).toBe(true);
    expect(bits(c)).toEqual(bits(dense));
    expect(Number.isNaN(c[3 * 12])).toBe(true);
    tf.dispose([a, b]);
  });

  it('declines when the other operand is not finite (0·∞ is NaN in the dense product), leaving C untouched', () => {
    sparseGemmSettings.minElements = 64;
    const rng = new Xoshiro(7);
    const a = sparseMatrix(rng, 16, 40, 0.9);
    for (const bad of [Infinity, -Infinity, NaN]) {
      const values = sparseMatrix(rng, 40, 12, 0).dataSync() as Float32Array;
      values[5] = bad;
      const b = tf.tensor2d(values, [40, 12]);
      const { taken, c } = direct(a, b, false, false);
      expect(taken, String(bad)).toBe(false);
      expect(c.every((x) => x === 7)).toBe(true);
      // and tf.matMul (which then runs the dense kernel) has the NaN
      expect(product(a, b, false, false, true).some(Number.isNaN)).toBe(true);
      b.dispose();
    }
    a.dispose();
  });

  it('declines dense data, small products, and a sample that looked sparse over a too-dense whole', () => {
    const rng = new Xoshiro(8);
    const a = sparseMatrix(rng, 64, 64, 0.3);
    const b = sparseMatrix(rng, 64, 64, 0.3);
    sparseGemmSettings.minElements = 64;
    expect(direct(a, b, false, false).taken).toBe(false); // 30 % zeros: not sampled as sparse
    const sa = sparseMatrix(rng, 64, 64, 0.9);
    sparseGemmSettings.minElements = 64 * 64 + 1;
    expect(direct(sa, b, false, false).taken).toBe(false); // below minElements
    sparseGemmSettings.minElements = 64;
    sparseGemmSettings.maxSteps = 0.05; // the listed steps (unions of 4 rows) exceed 5 % of the dense ones
    expect(direct(sa, b, false, false).taken).toBe(false);
    sparseGemmSettings.maxSteps = saved.maxSteps;
    expect(direct(sa, b, false, false).taken).toBe(true);
    tf.dispose([a, b, sa]);
  });

  it('skips every step of a product with an all-zero operand below minElements (a DEQ\'s z₀ = 0), A or B side, same bits', () => {
    const rng = new Xoshiro(10);
    for (const [m, k, n] of [[128, 128, 128], [37, 150, 21]] as const) {
      for (const zeroSide of ['a', 'b'] as const) {
        for (const transpose of [false, true]) {
          const label = `${m}×${k}×${n} zero ${zeroSide} transposed ${transpose}`;
          const aShape: [number, number] = transpose ? [k, m] : [m, k];
          const bShape: [number, number] = transpose ? [n, k] : [k, n];
          const a = zeroSide === 'a' ? sparseMatrix(rng, ...aShape, 1) : sparseMatrix(rng, ...aShape, 0);
          const b = zeroSide === 'b' ? sparseMatrix(rng, ...bShape, 1) : sparseMatrix(rng, ...bShape, 0);
          expect(m * k < sparseGemmSettings.minElements && k * n < sparseGemmSettings.minElements, label).toBe(true);
          const dense = product(a, b, transpose, transpose, false);
          const { taken, c } = direct(a, b, transpose, transpose);
          expect(taken, label).toBe(true);
          expect(bits(c), label).toEqual(bits(dense));
          sparseGemmSettings.zeroOperands = false;
          expect(direct(a, b, transpose, transpose).taken, `${label}, zeroOperands off`).toBe(false);
          sparseGemmSettings.zeroOperands = true;
          tf.dispose([a, b]);
        }
      }
    }
    // a small operand that is not all zeros, or a non-finite other operand, is left to the dense kernel
    const zeros = tf.zeros([64, 64]) as tf.Tensor2D;
    const dense = sparseMatrix(rng, 64, 64, 0);
    const mostly = sparseMatrix(rng, 64, 64, 0.9);
    expect(direct(dense, zeros, false, false).taken).toBe(true);
    expect(direct(mostly, dense, false, false).taken).toBe(false);
    expect(direct(dense, mostly, false, false).taken).toBe(false);
    const values = dense.dataSync().slice();
    values[100] = NaN;
    const withNaN = tf.tensor2d(values, [64, 64]);
    expect(direct(zeros, withNaN, false, false).taken).toBe(false);
    expect(product(zeros, withNaN, false, false, true).some(Number.isNaN)).toBe(true);
    tf.dispose([zeros, dense, mostly, withNaN]);
  });

  it('leaves no tensor or heap block behind', () => {
    sparseGemmSettings.minElements = 64;
    const rng = new Xoshiro(9);
    const a = sparseMatrix(rng, 32, 80, 0.9);
    const b = sparseMatrix(rng, 80, 24, 0);
    const dataIds = (): number => (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
    const before = [tf.memory().numTensors, dataIds()];
    for (let i = 0; i < 5; i++) tf.matMul(a, b).dispose();
    expect([tf.memory().numTensors, dataIds()]).toEqual(before);
    tf.dispose([a, b]);
  });
});
