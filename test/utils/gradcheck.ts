import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import { isTensor, treeLeavesWithPath, treeMap, valueAndGrad, Xoshiro, type Tree } from '@deqts/core-layers';

export type GradCheckOptions = {
  /** Step of the central difference along a unit direction. Default 1e-2. */
  eps?: number;
  /** Relative tolerance on each directional derivative. Default 1e-3. */
  rtol?: number;
  /** Absolute floor, relative to the gradient's norm, below which differences are ignored. Default 1e-3. */
  atolFraction?: number;
  /** Random directions per leaf. Default 2. */
  directions?: number;
  seed?: number;
};

export type GradCheckRow = { path: string; analytic: number; numeric: number; relError: number };

/**
 * Checks the gradient of a tensor-valued function `f(tree)` with respect to every tensor leaf of
 * `tree`, against central finite differences. The loss is the fixed random projection
 * L(tree) = Σ r ⊙ f(tree), reduced on the host in float64, so the differences are not drowned
 * in float32 summation error. For each leaf and each of `directions` random unit directions v:
 * ⟨∇L, v⟩ is compared with (L(θ + εv) − L(θ − εv)) / 2ε.
 * Returns the rows (for reporting) and asserts every relative error ≤ rtol.
 */
export function checkGradients(f: (tree: Tree<tf.Tensor>) => tf.Tensor, tree: Tree<tf.Tensor>, options: GradCheckOptions = {}): GradCheckRow[] {
  const { eps = 1e-2, rtol = 1e-3, atolFraction = 1e-3, directions = 2, seed = 7 } = options;
  const rng = new Xoshiro(seed);
  const probe = tf.tidy(() => f(tree));
  const r = tf.tensor(rng.normalArray(probe.size), probe.shape, 'float32');
  const rHost = Float64Array.from(r.dataSync());
  probe.dispose();
  const lossHost = (t: Tree<tf.Tensor>): number => {
    const y = tf.tidy(() => f(t));
    const v = y.dataSync();
    y.dispose();
    let s = 0;
    for (let i = 0; i < v.length; i++) s += v[i] * rHost[i];
    return s;
  };
  const [value, grads] = valueAndGrad((t: Tree<tf.Tensor>) => tf.sum(tf.mul(f(t), r)) as tf.Scalar)(tree);
  value.dispose();
  const rows: GradCheckRow[] = [];
  const gradLeaves = treeLeavesWithPath(grads as Tree);
  const leaves = treeLeavesWithPath(tree as Tree);
  leaves.forEach(([path, leaf], index) => {
    if (!isTensor(leaf) || leaf.dtype !== 'float32') return;
    const g = gradLeaves[index][1] as tf.Tensor;
    const gHost = g.dataSync();
    let gNorm = 0;
    for (let i = 0; i < gHost.length; i++) gNorm += gHost[i] * gHost[i];
    gNorm = Math.sqrt(gNorm);
    for (let d = 0; d < directions; d++) {
      const dir = rng.normalArray(leaf.size);
      let n = 0;
      for (let i = 0; i < dir.length; i++) n += dir[i] * dir[i];
      n = Math.sqrt(n);
      for (let i = 0; i < dir.length; i++) dir[i] /= n;
      let analytic = 0;
      for (let i = 0; i < dir.length; i++) analytic += gHost[i] * dir[i];
      const shifted = (sign: number): number => {
        const moved = tf.tidy(() => tf.add(leaf, tf.mul(tf.tensor(dir, leaf.shape, 'float32'), sign * eps)));
        const t = treeMap((l: unknown) => (l === leaf ? moved : l), tree as Tree) as Tree<tf.Tensor>;
        const out = lossHost(t);
        moved.dispose();
        return out;
      };
      const numeric = (shifted(1) - shifted(-1)) / (2 * eps);
      const scale = Math.max(Math.abs(analytic), Math.abs(numeric), atolFraction * gNorm, 1e-6);
      rows.push({ path: path.join('.'), analytic, numeric, relError: Math.abs(analytic - numeric) / scale });
    }
  });
  for (const [, g] of gradLeaves) if (isTensor(g)) g.dispose();
  r.dispose();
  for (const row of rows) {
    expect(row.relError, `gradient of '${row.path}': analytic ${row.analytic} vs finite difference ${row.numeric}`).toBeLessThanOrEqual(rtol);
  }
  return rows;
}
