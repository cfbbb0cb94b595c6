import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { ShapeError } from '@deqts/core-layers';
import { accuracy, countCorrect, crossEntropy, jacobianLossTerm, mae, mse, skipLoss } from '../../src/index.js';
import { checkGradients, describeBackends, expectClose, expectNoLeak } from '../../../../test/utils/index.js';

/** Cross-entropy of one row computed by hand in float64. */
function hostCrossEntropy(row: number[], target: number[]): number {
  const m = Math.max(...row);
  const logZ = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
  return -row.reduce((s, v, c) => s + target[c] * (v - logZ), 0);
}

describeBackends('losses', () => {
  const rows = [
    [2, 0, -1],
    [0.5, 1.5, 0.1],
  ];

  it('crossEntropy with class indices and with one-hot labels matches a hand computation', () => {
    const logits = tf.tensor2d(rows);
    // Row 1 by hand: log(e² + e⁰ + e⁻¹) − 2 = 0.16984…
    expect(crossEntropy(tf.tensor2d([rows[0]]), tf.tensor1d([0], 'int32')).dataSync()[0]).toBeCloseTo(0.1698, 4);
    const expected = (hostCrossEntropy(rows[0], [1, 0, 0]) + hostCrossEntropy(rows[1], [0, 0, 1])) / 2;
    expect(crossEntropy(logits, tf.tensor1d([0, 2], 'int32')).dataSync()[0]).toBeCloseTo(expected, 5);
    expect(crossEntropy(logits, tf.tensor2d([[1, 0, 0], [0, 0, 1]])).dataSync()[0]).toBeCloseTo(expected, 5);
    const perSample = crossEntropy(logits, tf.tensor1d([0, 2], 'int32'), { reduction: 'none' });
    expectClose(perSample, [hostCrossEntropy(rows[0], [1, 0, 0]), hostCrossEntropy(rows[1], [0, 0, 1])]);
    const soft = [0.2, 0.3, 0.5];
    expect(crossEntropy(tf.tensor2d([rows[1]]), tf.tensor2d([soft])).dataSync()[0]).toBeCloseTo(hostCrossEntropy(rows[1], soft), 5);
    const smoothed = crossEntropy(tf.tensor2d([rows[0]]), tf.tensor1d([0], 'int32'), { labelSmoothing: 0.3 });
    expect(smoothed.dataSync()[0]).toBeCloseTo(hostCrossEntropy(rows[0], [0.8, 0.1, 0.1]), 5);
  });

  it('crossEntropy is stable for huge logits', () => {
    const loss = crossEntropy(tf.tensor2d([[1000, 0, -1000], [-500, 500, 0]]), tf.tensor1d([0, 0], 'int32'));
    expect(loss.dataSync()[0]).toBeCloseTo((0 + 1000) / 2, 3);
    expect(Number.isFinite(loss.dataSync()[0])).toBe(true);
  });

  it('crossEntropy gradient matches finite differences', () => {
    const labels = tf.tensor1d([0, 2, 1], 'int32');
    checkGradients((t) => crossEntropy((t as { logits: tf.Tensor }).logits, labels, { reduction: 'none' }), {
      logits: tf.tensor2d([[0.3, -1.2, 0.8], [1.5, 0.2, -0.4], [-0.7, 0.1, 0.9]]),
    });
  });

  it('crossEntropy rejects wrong shapes and float class indices', () => {
    expect(() => crossEntropy(tf.zeros([2, 3]), tf.tensor1d([0, 1, 2], 'int32'))).toThrow(ShapeError);
    expect(() => crossEntropy(tf.zeros([2, 3]), tf.tensor1d([0, 1]))).toThrow(/must be int32/);
    expect(() => crossEntropy(tf.zeros([3]), tf.tensor1d([0], 'int32'))).toThrow(/rank 2/);
  });

  it('mse and mae', () => {
    expect(mse(tf.tensor1d([1, 2]), tf.tensor1d([0, 0])).dataSync()[0]).toBeCloseTo(2.5);
    expect(mae(tf.tensor1d([1, -3]), tf.tensor1d([0, 0])).dataSync()[0]).toBeCloseTo(2);
    expect(mse(tf.tensor1d([1, 2]), tf.tensor1d([0, 0]), { reduction: 'sum' }).dataSync()[0]).toBeCloseTo(5);
    expect(() => mse(tf.zeros([2]), tf.zeros([3]))).toThrow(/same shape/);
  });

  it('accuracy and countCorrect', () => {
    const logits = tf.tensor2d([[2, 1], [0, 3], [1, 0]]);
    expect(accuracy(logits, tf.tensor1d([0, 1, 1], 'int32'))).toBeCloseTo(2 / 3);
    expect(accuracy(logits, tf.tensor2d([[1, 0], [0, 1], [1, 0]]))).toBe(1);
    expect(countCorrect(logits, tf.tensor1d([1, 1, 1], 'int32'))).toBe(1);
  });

  it('skipLoss: mean |z* − u0| (and squared), over all scales together, with gradients to both', () => {
    const sol = { zStar: tf.tensor2d([[1, 2]]), u0: tf.tensor2d([[0, 0]]) };
    expect(skipLoss(sol).dataSync()[0]).toBeCloseTo(1.5);
    expect(skipLoss(sol, { kind: 'mse' }).dataSync()[0]).toBeCloseTo(2.5);
    const multi = { zStar: [tf.tensor2d([[1, 2]]), tf.tensor2d([[3]])], u0: [tf.tensor2d([[0, 0]]), tf.tensor2d([[-1]])] };
    expect(skipLoss(multi).dataSync()[0]).toBeCloseTo((1 + 2 + 4) / 3);
    const g = tf.grads((z: tf.Tensor, u: tf.Tensor) => skipLoss({ zStar: z, u0: u }))([tf.tensor1d([1, -1]), tf.tensor1d([0, 0])]);
    expect(Array.from(g[0].dataSync())).toEqual([0.5, -0.5]);
    expect(Array.from(g[1].dataSync())).toEqual([-0.5, 0.5]);
    expect(() => skipLoss({ zStar: null, u0: null })).toThrow(/no 'zStar'\/'u0' yet/);
    expect(() => skipLoss({ zStar: [tf.zeros([1])], u0: [tf.zeros([1]), tf.zeros([1])] })).toThrow(/scales/);
  });

  it('jacobianLossTerm weights a scalar tensor or number, and is 0 when absent', () => {
    expect(jacobianLossTerm({ jacobianLoss: tf.scalar(0.3) }, 2).dataSync()[0]).toBeCloseTo(0.6);
    expect(jacobianLossTerm({ jacobianLoss: 0.25 }, 2).dataSync()[0]).toBeCloseTo(0.5);
    expect(jacobianLossTerm({ jacobianLoss: null }, 1).dataSync()[0]).toBe(0);
    expect(() => jacobianLossTerm({ jacobianLoss: tf.zeros([2]) }, 1)).toThrow(ShapeError);
  });

  it('losses leak no tensor', async () => {
    const logits = tf.tensor2d(rows);
    const labels = tf.tensor1d([0, 2], 'int32');
    await expectNoLeak(() => {
      crossEntropy(logits, labels).dispose();
      accuracy(logits, labels);
      skipLoss({ zStar: logits, u0: logits }).dispose();
    });
  });
});
