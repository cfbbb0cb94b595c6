import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend, Xoshiro } from '@deqts/core-layers';
import { crossEntropy } from '../../src/index.js';
import { checkGradients, expectClose, expectNoLeak } from '../../../../test/utils/index.js';

// On wasm, crossEntropy of int32 class indices runs two fused kernels (softmax-cross-entropy.ts);
// every other backend, soft labels and label smoothing compose tfjs ops. The fused result must
// be the op composition's, value and gradient, including labels outside [0, classes).

const rng = new Xoshiro(21);
const N = 37;
const C = 10;
const logitsValues = Float32Array.from(rng.normalArray(N * C), (v) => 3 * v);
const labelValues = Int32Array.from({ length: N }, (_, i) => (i === 5 ? -1 : i === 9 ? C : (i * 7) % C));

type Reduction = 'mean' | 'sum' | 'none';

/** Loss and logits gradient (of Σ r ⊙ loss for 'none') on the current backend. */
function lossAndGrad(reduction: Reduction): { loss: Float32Array; grad: Float32Array } {
  return tf.tidy(() => {
    const logits = tf.tensor2d(logitsValues, [N, C]);
    const labels = tf.tensor1d(labelValues, 'int32');
    const weights = tf.linspace(0.5, 1.5, N);
    const f = (x: tf.Tensor) => {
      const l = crossEntropy(x, labels, { reduction });
      return reduction === 'none' ? tf.sum(tf.mul(l, weights)) : l;
    };
    return { loss: crossEntropy(logits, labels, { reduction }).dataSync() as Float32Array, grad: tf.grad(f)(logits).dataSync() as Float32Array };
  });
}

describe('crossEntropy on wasm: the fused softmax cross-entropy kernels', () => {
  for (const reduction of ['mean', 'sum', 'none'] as const) {
    it(`matches the tfjs-op composition on cpu, value and gradient, invalid labels included (${reduction})`, async () => {
      await initBackend('cpu');
      const reference = lossAndGrad(reduction);
      await initBackend('wasm');
      const fused = lossAndGrad(reduction);
      expectClose(fused.loss, reference.loss, 2e-6, 'loss');
      expectClose(fused.grad, reference.grad, 2e-6, 'gradient');
      // the invalid labels' rows: loss 0 and gradient 0
      if (reduction === 'none') expect([fused.loss[5], fused.loss[9]]).toEqual([0, 0]);
      for (const row of [5, 9]) expect(Array.from(fused.grad.subarray(row * C, row * C + C)).every((g) => g === 0)).toBe(true);
    });
  }

  it('runs the two fused kernels (not logSoftmax and one-hot) and its gradient passes finite differences', async () => {
    await initBackend('wasm');
    const logits = tf.tensor2d(logitsValues, [N, C]);
    const labels = tf.tensor1d(labelValues, 'int32');
    const profile = await tf.profile(() => tf.grad((x: tf.Tensor) => crossEntropy(x, labels))(logits));
    const names = new Set(profile.kernels.map((k) => k.name));
    expect(names.has('DeqtsSoftmaxCrossEntropy')).toBe(true);
    expect(names.has('DeqtsSoftmaxCrossEntropyGrad')).toBe(true);
    expect(names.has('OneHot')).toBe(false);
    tf.dispose(profile.result as tf.Tensor);
    checkGradients((t) => crossEntropy(t as tf.Tensor, labels, { reduction: 'none' }), logits, { rtol: 2e-3 });
    tf.dispose([logits, labels]);
  });

  it('inside a nested gradient takes the op composition, as on cpu (first-order values the same, second order refused alike)', async () => {
    const run = () =>
      tf.tidy(() => {
        const logits = tf.tensor2d(logitsValues, [N, C]);
        const labels = tf.tensor1d(labelValues, 'int32');
        // the inner gradient's value, computed inside an outer gradient's function
        let inner: Float32Array = new Float32Array(0);
        tf.grad((x: tf.Tensor) => {
          const g = tf.grad((y: tf.Tensor) => crossEntropy(y, labels))(x);
          inner = g.dataSync() as Float32Array;
          return tf.sum(tf.mul(x, x));
        })(logits);
        let refused = '';
        try {
          tf.grad((x: tf.Tensor) => tf.sum(tf.square(tf.grad((y: tf.Tensor) => crossEntropy(y, labels))(x))))(logits);
        } catch (error) {
          refused = (error as Error).message;
        }
        return { inner, refused };
      });
    await initBackend('cpu');
    const reference = run();
    await initBackend('wasm');
    const nested = run();
    expectClose(nested.inner, reference.inner, 2e-6, 'nested first-order gradient');
    expect(reference.refused).toMatch(/Cannot compute gradient/);
    expect(nested.refused).toBe(reference.refused);
  });

  it('leaks no tensor over repeated value-and-gradient calls', async () => {
    await initBackend('wasm');
    const logits = tf.tensor2d(logitsValues, [N, C]);
    const labels = tf.tensor1d(labelValues, 'int32');
    await expectNoLeak(() => tf.dispose(tf.grad((x: tf.Tensor) => crossEntropy(x, labels))(logits)), 10, 2);
    tf.dispose([logits, labels]);
  });
});
