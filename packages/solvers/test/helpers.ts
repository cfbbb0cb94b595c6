import * as tf from '@tensorflow/tfjs-core';
import { Xoshiro } from '@deqts/core-layers';

/**
 * The DEQ test problem z = tanh(z·W + x·U + b) for a batch, with W scaled so that the map is a
 * contraction with factor `contraction` in the max-norm (max column abs-sum of W, tanh being
 * 1-Lipschitz), and an independent float64 reference fixed point computed on the host.
 */
export type TanhProblem = {
  readonly n: number;
  readonly batch: number;
  readonly contraction: number;
  readonly f: (z: tf.Tensor) => tf.Tensor;
  /** Reference fixed point, float64, row-major [batch, n]. */
  readonly reference: Float64Array;
  readonly dispose: () => void;
};

export function tanhProblem(n: number, batch: number, seed: number, contraction = 0.8): TanhProblem {
  const rng = new Xoshiro(seed);
  const m = Math.max(1, n >> 1);
  const w = Float32Array.from(rng.normalArray(n * n));
  let maxColumn = 0;
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += Math.abs(w[i * n + j]);
    maxColumn = Math.max(maxColumn, s);
  }
  for (let i = 0; i < w.length; i++) w[i] = (w[i] * contraction) / maxColumn;
  const x = rng.normalArray(batch * m);
  const u = rng.normalArray(m * n).map((v) => v / Math.sqrt(m));
  const b = rng.normalArray(n).map((v) => 0.1 * v);
  const injection = new Float32Array(batch * n);
  for (let r = 0; r < batch; r++) {
    for (let j = 0; j < n; j++) {
      let s = b[j];
      for (let k = 0; k < m; k++) s += x[r * m + k] * u[k * n + j];
      injection[r * n + j] = s;
    }
  }
  const reference = fixedPoint64(w, injection, n, batch);
  const W = tf.tensor2d(w, [n, n]);
  const inj = tf.tensor2d(injection, [batch, n]);
  return {
    n,
    batch,
    contraction,
    f: (z) => tf.tanh(tf.add(tf.matMul(z, W), inj)),
    reference,
    dispose: () => {
      W.dispose();
      inj.dispose();
    },
  };
}

/** Plain float64 fixed-point iteration on the host, to |Δz| < 1e-14. */
function fixedPoint64(w: Float32Array, injection: Float32Array, n: number, batch: number): Float64Array {
  let z = new Float64Array(batch * n);
  let next = new Float64Array(batch * n);
  for (let iteration = 0; iteration < 10000; iteration++) {
    let change = 0;
    for (let r = 0; r < batch; r++) {
      for (let j = 0; j < n; j++) {
        let s = injection[r * n + j];
        for (let i = 0; i < n; i++) s += z[r * n + i] * w[i * n + j];
        const v = Math.tanh(s);
        change = Math.max(change, Math.abs(v - z[r * n + j]));
        next[r * n + j] = v;
      }
    }
    [z, next] = [next, z];
    if (change < 1e-14) break;
  }
  return z;
}

/** max |a − b| over all elements, with a read from a tensor. */
export function maxAbsDifference(a: tf.Tensor, b: ArrayLike<number>): number {
  const v = a.dataSync();
  let m = 0;
  for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i] - b[i]));
  return m;
}

/** Solves the dense n×n system A x = c in float64 (Gaussian elimination with partial pivoting). */
export function solveDense(a: ArrayLike<number>, c: ArrayLike<number>, n: number): Float64Array {
  const m = Array.from({ length: n }, (_, i) => [...Array.from({ length: n }, (_, j) => a[i * n + j]), c[i]]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r][col]) > Math.abs(m[pivot][col])) pivot = r;
    [m[col], m[pivot]] = [m[pivot], m[col]];
    for (let r = col + 1; r < n; r++) {
      const t = m[r][col] / m[col][col];
      for (let k = col; k <= n; k++) m[r][k] -= t * m[col][k];
    }
  }
  const out = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = m[i][n];
    for (let j = i + 1; j < n; j++) s -= m[i][j] * out[j];
    out[i] = s / m[i][i];
  }
  return out;
}
