import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { Xoshiro } from '@deqts/core-layers';
import { gmres } from '@deqts/solvers';
import { describeBackends } from '../../../test/utils/index.js';
import { solveDense } from './helpers.js';

/** B random systems A_b = I + s_b·R_b (‖R_b‖ columns ≤ 1), well conditioned for s_b ≤ 0.6. */
function systems(n: number, scales: readonly number[], seed: number) {
  const rng = new Xoshiro(seed);
  const mats = scales.map((s) => {
    const r = rng.normalArray(n * n);
    let maxColumn = 0;
    for (let j = 0; j < n; j++) {
      let c = 0;
      for (let i = 0; i < n; i++) c += Math.abs(r[i * n + j]);
      maxColumn = Math.max(maxColumn, c);
    }
    return Float32Array.from(r, (v, k) => (Math.floor(k / n) === k % n ? 1 : 0) + (s * v) / maxColumn);
  });
  const b = Float32Array.from(rng.normalArray(scales.length * n));
  const A = tf.tensor3d(Float32Array.from(mats.flatMap((m) => Array.from(m))), [scales.length, n, n]);
  // Row b of the batch is multiplied by its own matrix: (A_b v_b) for v shaped [B, n].
  const matvec = (v: tf.Tensor): tf.Tensor => tf.reshape(tf.matMul(A, tf.reshape(v, [scales.length, n, 1])), [scales.length, n]);
  const exact = mats.map((m, i) => solveDense(m, b.subarray(i * n, (i + 1) * n), n));
  return { A, b: tf.tensor2d(b, [scales.length, n]), matvec, exact };
}

describeBackends('gmres (batched, matrix-free, restarted)', () => {
  it('solves random well-conditioned batched systems to tolerance, per sample', () => {
    const n = 30;
    const sys = systems(n, [0, 0.3, 0.6, 0.5], 1);
    for (const restart of [30, 5]) {
      const sol = gmres(sys.matvec, sys.b, { reltol: 1e-6, restart, maxiters: 200 });
      expect(Array.from(sol.converged)).toEqual([1, 1, 1, 1]);
      const x = sol.x.arraySync() as number[][];
      x.forEach((row, b) => row.forEach((v, j) => expect(Math.abs(v - sys.exact[b][j])).toBeLessThanOrEqual(1e-4)));
      // The identity system converges in one step; harder ones take more.
      expect(sol.iterations[0]).toBe(1);
      expect(sol.iterations[2]).toBeGreaterThan(sol.iterations[1]);
      // Reported residual is the true one, RMS(b − A x).
      const r = tf.tidy(() => tf.sqrt(tf.mean(tf.square(tf.sub(sys.b, sys.matvec(sol.x))), 1)));
      const trueNorms = r.dataSync();
      sol.residualNorm.forEach((v, b) => expect(Math.abs(v - trueNorms[b])).toBeLessThanOrEqual(1e-7));
      const rmsB = tf.tidy(() => tf.sqrt(tf.mean(tf.square(sys.b), 1))).dataSync();
      sol.residualNorm.forEach((v, b) => expect(v).toBeLessThanOrEqual(1e-6 * rmsB[b]));
      r.dispose();
      sol.x.dispose();
    }
    sys.A.dispose();
    sys.b.dispose();
  });

  it('accepts an initial guess, zero right-hand sides, and any trailing shape', () => {
    const n = 12;
    const sys = systems(n, [0.4, 0.4], 2);
    const guess = tf.tensor2d([Array.from(sys.exact[0]), new Array(n).fill(0)]);
    const warm = gmres(sys.matvec, sys.b, { x0: guess, reltol: 1e-6 });
    expect(warm.iterations[0]).toBeLessThanOrEqual(1); // already (nearly) solved
    expect(Array.from(warm.converged)).toEqual([1, 1]);
    warm.x.dispose();
    const zero = tf.tidy(() => tf.concat([tf.zeros([1, n]), tf.slice(sys.b, [1, 0], [1, n])]));
    const z = gmres(sys.matvec, zero, { reltol: 1e-6 });
    expect(z.iterations[0]).toBe(0);
    expect(Array.from(z.x.dataSync().slice(0, n))).toEqual(new Array(n).fill(0));
    z.x.dispose();
    // [B, 2, 2, 3] states: the operator sees the caller's shape.
    const shaped = tf.reshape(sys.b, [2, 2, 2, 3]);
    const s = gmres((v) => tf.reshape(sys.matvec(tf.reshape(v, [2, n])), [2, 2, 2, 3]), shaped, { reltol: 1e-6 });
    expect(s.x.shape).toEqual([2, 2, 2, 3]);
    const flat = s.x.dataSync();
    sys.exact.forEach((row, b) => row.forEach((v, j) => expect(Math.abs(flat[b * n + j] - v)).toBeLessThanOrEqual(1e-4)));
    s.x.dispose();
    [guess, zero, shaped, sys.A, sys.b].forEach((t) => t.dispose());
  });

  it('reports non-convergence honestly when the budget is too small', () => {
    const sys = systems(40, [0.9], 3);
    const sol = gmres(sys.matvec, sys.b, { reltol: 1e-8, restart: 3, maxiters: 3 });
    expect(sol.converged[0]).toBe(0);
    expect(sol.iterations[0]).toBe(3);
    expect(sol.matvecs).toBe(4); // 3 Arnoldi steps + the final true residual
    sol.x.dispose();
    sys.A.dispose();
    sys.b.dispose();
  });
});
