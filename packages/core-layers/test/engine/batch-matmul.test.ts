import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend, Xoshiro, type Tree } from '@deqts/core-layers';
import { checkGradients, describeBackends, expectNoLeak } from '../../../../test/utils/index.js';
import { expectWasmMatchesCpu } from './cross-backend.js';

/** Operand shapes for op(a)·op(b) = [..., m, n] with inner size k. */
function operands(batchA: number[], batchB: number[], m: number, k: number, n: number, tA: boolean, tB: boolean): number[][] {
  return [
    [...batchA, ...(tA ? [k, m] : [m, k])],
    [...batchB, ...(tB ? [n, k] : [k, n])],
  ];
}

const FLAGS: [boolean, boolean][] = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
];

describe('BatchMatMul on wasm (transposition-free kernel) matches cpu, forward and gradient', () => {
  const cases: [string, number[], number[], number, number, number][] = [
    ['rank 2', [], [], 7, 5, 6],
    ['rank 2, wide right operand', [], [], 3, 9, 40],
    ['batched, small (batched kernel)', [4], [4], 3, 5, 2],
    ['batched, large (one fast product per entry)', [3], [3], 64, 64, 32],
    ['right operand shared', [2, 3], [], 4, 5, 6],
    ['right operand shared, batch of one', [2, 3], [1], 4, 5, 6],
    ['left operand shared', [], [3], 4, 5, 6],
    ['broadcast batch axes', [2, 1], [1, 3], 4, 5, 3],
    ['broadcast batch axes, large', [2, 1], [2], 64, 48, 48],
  ];
  for (const [name, batchA, batchB, m, k, n] of cases) {
    for (const [tA, tB] of FLAGS) {
      it(`${name}, transposeA=${tA}, transposeB=${tB}`, async () => {
        await expectWasmMatchesCpu({
          shapes: operands(batchA, batchB, m, k, n, tA, tB),
          f: (a, b) => tf.matMul(a, b, tA, tB),
        });
      });
    }
  }
});

describe('tf.fused.matMul on wasm (flagged and batched calls rerouted) matches cpu', () => {
  for (const [tA, tB] of FLAGS) {
    it(`bias + relu, transposeA=${tA}, transposeB=${tB}`, async () => {
      await expectWasmMatchesCpu({
        shapes: [...operands([], [], 5, 7, 6, tA, tB), [6]],
        f: (a, b, bias) => tf.fused.matMul({ a, b, transposeA: tA, transposeB: tB, bias, activation: 'relu' }),
      });
    });
  }
  it('batched, bias + elu', async () => {
    await expectWasmMatchesCpu({
      shapes: [...operands([3], [3], 4, 5, 6, false, true), [6]],
      f: (a, b, bias) => tf.fused.matMul({ a, b, transposeB: true, bias, activation: 'elu' }),
    });
  });
});

describeBackends('BatchMatMul gradient with broadcast batch axes (stock gradient throws)', () => {
  for (const [tA, tB] of FLAGS) {
    it(`agrees with finite differences, transposeA=${tA}, transposeB=${tB}`, () => {
      const rng = new Xoshiro(3);
      const [sa, sb] = operands([2, 1], [3], 3, 4, 2, tA, tB);
      const tree = [tf.tensor(rng.normalArray(2 * 12), sa), tf.tensor(rng.normalArray(3 * 8), sb)];
      checkGradients((t: Tree<tf.Tensor>) => {
        const [a, b] = t as tf.Tensor[];
        return tf.matMul(a, b, tA, tB);
      }, tree, { eps: 1e-2, rtol: 2e-3 });
      tf.dispose(tree);
    });
  }
});

describe('BatchMatMul on wasm: memory', () => {
  it('leaks no tensor through the rewritten products and their gradients', async () => {
    await initBackend('wasm');
    const rng = new Xoshiro(5);
    const a = tf.tensor(rng.normalArray(3 * 64 * 64), [3, 64, 64]);
    const b = tf.tensor(rng.normalArray(64 * 32), [32, 64]);
    const g = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.matMul(x, y, true, true)));
    await expectNoLeak(() => {
      tf.dispose(g([a, b]));
    }, 5);
    tf.dispose([a, b]);
  });

  it('keeps the fast kernel for a plain product (same result as before the fix)', async () => {
    await initBackend('wasm');
    const a = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    const b = tf.tensor2d([5, 6, 7, 8], [2, 2]);
    expect(Array.from(tf.matMul(a, b).dataSync())).toEqual([19, 22, 43, 50]);
    expect(Array.from(tf.matMul(a, b, true, true).dataSync())).toEqual([23, 31, 34, 46]);
  });
});
