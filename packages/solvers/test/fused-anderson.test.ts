import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { canRunWasmKernels, initBackend } from '@deqts/core-layers';
import { Anderson } from '@deqts/solvers';
import { andersonMix, andersonPost, POST_EXTRA_COLUMNS } from '../src/internal/fused/anderson-kernels.js';
import { dataIds, expectFusedSolveMatches, MODES } from './fused-compare.js';

// The fused Anderson kernels (wasm backend only) against the same arithmetic as tfjs ops, and
// whole solves with the fused path against the op path.

function rand(shape: [number, number], seed: number): tf.Tensor2D {
  return tf.randomNormal(shape, 0, 1, 'float32', seed) as tf.Tensor2D;
}

function maxRelDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.div(tf.abs(tf.sub(a, b)), tf.add(tf.abs(b), 1e-3))).dataSync()[0]);
}

describe('fused Anderson kernels [wasm]', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('is available on wasm with no tape recording, and not while a gradient is being recorded', () => {
    expect(canRunWasmKernels()).toBe(true);
    const x = tf.scalar(1);
    let inside: boolean | null = null;
    tf.grad((v: tf.Tensor) => {
      inside = canRunWasmKernels();
      return tf.mul(v, 2);
    })(x).dispose();
    expect(inside).toBe(false);
    x.dispose();
  });

  for (const n of [3, 8, 37, 128]) {
    it(`mix = u + β·r − Σ γⱼ·Mⱼ on running rows, u on frozen rows (n = ${n}, k = 0…3)`, () => {
      const B = 5;
      const u = rand([B, n], 1);
      const r = rand([B, n], 2);
      const ms = [rand([B, n], 3), rand([B, n], 4), rand([B, n], 5)];
      const active = new Uint8Array([1, 0, 1, 1, 0]);
      for (let k = 0; k <= 3; k++) {
        const gamma = Float32Array.from({ length: k * B }, (_, i) => Math.sin(i + 1));
        const before = [tf.memory().numTensors, dataIds()];
        const got = andersonMix(u, r, ms.slice(0, k), gamma, active, 0.7);
        expect([tf.memory().numTensors - 1, dataIds() - 1]).toEqual(before); // only the output: the scratch block is freed
        const want = tf.tidy(() => {
          let c = tf.add(u, tf.mul(r, 0.7));
          for (let j = 0; j < k; j++) c = tf.sub(c, tf.mul(ms[j], tf.tensor2d(gamma.slice(j * B, (j + 1) * B), [B, 1])));
          return tf.where(tf.tile(tf.tensor2d(active, [B, 1], 'bool'), [1, n]), c, u);
        });
        expect(maxRelDiff(got, want), `k = ${k}`).toBeLessThan(1e-6);
        // Frozen rows are copied exactly.
        const g = got.arraySync();
        const uu = u.arraySync();
        expect([g[1], g[4]]).toEqual([uu[1], uu[4]]);
        tf.dispose([got, want]);
      }
      tf.dispose([u, r, ...ms]);
    });

    it(`post: r' = f − next, ΔG = r' − r, M' = (next − u) + β·ΔG and the per-row statistics (n = ${n})`, () => {
      const B = 4;
      const [next, fu, r, u] = [rand([B, n], 11), rand([B, n], 12), rand([B, n], 13), rand([B, n], 14)];
      const stored = [rand([B, n], 15), rand([B, n], 16)];
      const before = dataIds();
      const [rOut, dg, mix, stats] = andersonPost(next, fu, r, u, stored, 0.5);
      expect(dataIds() - before).toBe(4);
      expect(stats.shape).toEqual([B, stored.length + POST_EXTRA_COLUMNS]);
      const want = tf.tidy(() => {
        const rn = tf.sub(fu, next);
        const d = tf.sub(rn, r);
        const dot = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(a, b), 1, true);
        const cols = [...stored.map((s) => dot(d, s)), dot(d, d), dot(rn, d), dot(rn, rn), dot(fu, fu), tf.max(tf.abs(rn), 1, true), tf.max(tf.abs(fu), 1, true)];
        return { rn, d, m: tf.add(tf.sub(next, u), tf.mul(d, 0.5)), stats: tf.concat(cols, 1) };
      });
      expect(maxRelDiff(rOut, want.rn)).toBe(0);
      expect(maxRelDiff(dg, want.d)).toBe(0);
      expect(maxRelDiff(mix, want.m)).toBeLessThan(1e-6);
      expect(maxRelDiff(stats, want.stats)).toBeLessThan(1e-5);
      tf.dispose([next, fu, r, u, ...stored, rOut, dg, mix, stats, want.rn, want.d, want.m, want.stats]);
    });
  }

  it('post propagates a NaN of f into that row’s statistics only', () => {
    const B = 3;
    const n = 10;
    const fu = tf.tidy(() => tf.where(tf.tile(tf.tensor2d([[0], [1], [0]], [B, 1], 'bool'), [1, n]), tf.fill([B, n], NaN), rand([B, n], 21)));
    const z = tf.zeros([B, n]) as tf.Tensor2D;
    const outs = andersonPost(z, fu as tf.Tensor2D, z, z, [], 1);
    const s = outs[3].arraySync();
    expect(s[1].every((v) => Number.isNaN(v))).toBe(true);
    expect(s[0].concat(s[2]).every((v) => Number.isFinite(v))).toBe(true);
    tf.dispose([fu, z, ...outs]);
  });

  for (const [terminationMode, norm] of MODES) {
    it(`whole solves match the op path (${terminationMode}, ${norm}): statuses, iterations ±1, and no less accurate`, () => {
      expectFusedSolveMatches('fusedAnderson', () => new Anderson({ memory: 4, damping: 0.9 }), terminationMode, norm);
    });
  }
});
