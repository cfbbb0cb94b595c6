import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { GroupNorm, initBackend, setup, Xoshiro } from '@deqts/core-layers';
import { expectWasmMatchesCpu } from '../../engine/cross-backend.js';

/** GroupNorm(channels, groups) applied with explicit scale and bias inputs (so they get gradients). */
const groupNorm = (channels: number, groups: number, affine = true) => {
  const layer = GroupNorm(channels, groups, { affine });
  return (x: tf.Tensor, scale?: tf.Tensor, bias?: tf.Tensor) => layer(x, affine ? { scale: scale as tf.Tensor1D, bias: bias as tf.Tensor1D } : {}, {})[0];
};

describe('GroupNorm on wasm: fused kernels (group-norm.wat) match the op path on cpu', () => {
  const cases: [string, number[], number, boolean][] = [
    ['conv DEQ shape, 4 channels per group', [3, 7, 7, 16], 4, true],
    ['channels not a multiple of 4 (scalar tail)', [2, 5, 3, 6], 2, true],
    ['one channel per group', [2, 4, 4, 5], 5, true],
    ['[batch, features] input', [4, 12], 3, true],
    ['no affine parameters', [2, 6, 6, 8], 2, false],
  ];
  for (const [name, shape, groups, affine] of cases) {
    it(`${name}: value and gradients of x${affine ? ', scale and bias' : ''}`, async () => {
      const channels = shape[shape.length - 1];
      const f = groupNorm(channels, groups, affine);
      await expectWasmMatchesCpu({
        shapes: affine ? [shape, [channels], [channels]] : [shape],
        // an offset and spread per input so the statistics are not those of N(0, 1)
        input: (values, s, i) => tf.tensor(Array.from(values, (v) => (i === 0 ? 3 + 2 * v : 1 + 0.3 * v)), s, 'float32'),
        f: (x, scale, bias) => f(x, scale, bias),
      });
    });
  }

  it('runs as the fused kernels on wasm, and leaves no tensor or backend block behind', async () => {
    await initBackend('wasm');
    const m = GroupNorm(16, 4);
    const [ps, st] = setup(new Xoshiro(1), m);
    const x = tf.randomNormal([2, 5, 5, 16], 0, 1, 'float32', 3);
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const grads = () => tf.grads((xx: tf.Tensor, s: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(m(xx, { scale: s as tf.Tensor1D, bias: b as tf.Tensor1D }, st)[0])))([x, ps.scale!, ps.bias!]);
    const profile = await tf.profile(() => {
      tf.dispose(grads());
      return [];
    });
    const names = new Set(profile.kernels.map((k) => k.name));
    expect(names.has('DeqtsGroupNorm')).toBe(true);
    expect(names.has('DeqtsGroupNormGrad')).toBe(true);
    expect(names.has('Mean')).toBe(false); // no op-path statistics
    const before = [tf.memory().numTensors, backend.numDataIds()];
    for (let i = 0; i < 3; i++) tf.dispose(grads());
    expect([tf.memory().numTensors, backend.numDataIds()]).toEqual(before);
    tf.dispose([x, ps.scale!, ps.bias!]);
  });
});
