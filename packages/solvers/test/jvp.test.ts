import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { Xoshiro } from '@deqts/core-layers';
import { makeJvp, type JvpMode } from '../src/internal/jvp.js';
import { describeBackends } from '../../../test/utils/index.js';

// Accuracy of the three Jacobian-vector products Newton–Krylov can use, against the exact
// float64 product for f(z) = tanh(z·W + c): J v = sech²(z·W + c) ⊙ (v·W).
describeBackends('Jacobian-vector products (float32 accuracy)', () => {
  it('finite differences ≈ 3e-4, central differences ≈ 2e-5, autodiff ≈ 1e-7 relative', () => {
    const n = 64;
    const batch = 4;
    const rng = new Xoshiro(4);
    const w = Float32Array.from(rng.normalArray(n * n), (v) => (0.9 * v) / Math.sqrt(n));
    const c = Float32Array.from(rng.normalArray(batch * n));
    const z = Float32Array.from(rng.normalArray(batch * n), (v) => 0.5 * v);
    const v = Float32Array.from(rng.normalArray(batch * n));
    const exact = new Float64Array(batch * n);
    for (let b = 0; b < batch; b++) {
      for (let j = 0; j < n; j++) {
        let pre = c[b * n + j];
        let vw = 0;
        for (let i = 0; i < n; i++) {
          pre += z[b * n + i] * w[i * n + j];
          vw += v[b * n + i] * w[i * n + j];
        }
        exact[b * n + j] = vw / Math.cosh(pre) ** 2;
      }
    }
    const W = tf.tensor2d(w, [n, n]);
    const C = tf.tensor2d(c, [batch, n]);
    const f = (u: tf.Tensor2D): tf.Tensor2D => tf.tanh(tf.add(tf.matMul(u, W), C)) as tf.Tensor2D;
    const errors: Record<JvpMode, number> = { finiteDifference: 0, centralDifference: 0, autodiff: 0 };
    for (const mode of Object.keys(errors) as JvpMode[]) {
      const got = tf.tidy(() => {
        const u = tf.tensor2d(z, [batch, n]);
        return makeJvp(mode, f, u, f(u))(tf.tensor2d(v, [batch, n])).dataSync();
      });
      let num = 0;
      let den = 0;
      for (let i = 0; i < got.length; i++) {
        num += (got[i] - exact[i]) ** 2;
        den += exact[i] ** 2;
      }
      errors[mode] = Math.sqrt(num / den);
    }
    console.log(`relative JVP errors: ${Object.entries(errors).map(([k, e]) => `${k} ${e.toExponential(1)}`).join(', ')}`);
    expect(errors.finiteDifference).toBeLessThan(1e-3);
    expect(errors.centralDifference).toBeLessThan(1e-4);
    expect(errors.autodiff).toBeLessThan(1e-6);
    W.dispose();
    C.dispose();
  });
});
