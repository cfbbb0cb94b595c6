import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend } from '@deqts/core-layers';
import { tanhGrad } from '../../src/engine/fixes/tanh-grad.js';
import { expectWasmMatchesCpu } from './cross-backend.js';

const bits = (t: tf.Tensor) => Array.from(new Uint32Array(new Float32Array(t.dataSync()).buffer));

describe('Tanh gradient as one wasm kernel (tanh-grad.ts, wasm-tanh-grad.wat)', () => {
  it('is bit-identical to tfjs op path dy·(1 − y²) in the vector loop and the scalar tail, and runs as one kernel', async () => {
    await initBackend('wasm');
    for (const size of [1, 3, 4, 16, 1027]) {
      const y = tf.tanh(tf.randomNormal([size], 0, 1.5, 'float32', size));
      const dy = tf.randomNormal([size], 0, 1, 'float32', size + 1);
      const fused = tanhGrad(dy, y);
      const ops = tf.mul(tf.sub(tf.scalar(1), tf.square(y)), dy);
      expect(bits(fused), `size ${size}`).toEqual(bits(ops));
      tf.dispose([y, dy, fused, ops]);
    }
    const x = tf.randomNormal([8, 5]);
    const profile = await tf.profile(() => tf.grad((v: tf.Tensor) => tf.sum(tf.tanh(v)))(x));
    const names = profile.kernels.map((k) => k.name);
    expect(names).toContain('DeqtsTanhGrad');
    expect(names).not.toContain('Square');
    x.dispose();
  });

  it('the gradient matches the cpu backend (op path); the fused kernel\'s own gradient matches the closed form', async () => {
    await expectWasmMatchesCpu({ shapes: [[6, 9]], f: (x) => tf.tanh(tf.mul(x, 2)) }, 1e-5);
    // the fused kernel's own gradient (second-order uses): with respect to y, −2·dy·y; with respect to dy, 1 − y²
    for (const backend of ['wasm', 'cpu'] as const) {
      await initBackend(backend);
      const t = tf.tanh(tf.linspace(-3, 3, 13));
      const dy = tf.randomNormal([13], 0, 1, 'float32', 7);
      const [gy, gdy] = tf.grads((yy: tf.Tensor, d: tf.Tensor) => tf.sum(tanhGrad(d, yy)))([t, dy]);
      const closedY = tf.mul(tf.mul(dy, t), -2);
      expect(tf.max(tf.abs(tf.sub(gy, closedY))).dataSync()[0], backend).toBeLessThan(1e-6);
      expect(tf.max(tf.abs(tf.sub(gdy, tf.sub(1, tf.square(t))))).dataSync()[0], backend).toBeLessThan(1e-7);
      tf.dispose([t, dy, gy, gdy, closedY]);
    }
  });
});
