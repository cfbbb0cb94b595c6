import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { gmres, orthogonalize } from '@deqts/solvers';
import { solverSwitches } from '../src/internal/switches.js';
import { describeBackends } from '../../../test/utils/index.js';
import { dataIds } from './fused-compare.js';

// Gram–Schmidt: the fused wasm kernel (fusedGramSchmidt on) against the op path (off) and
// against the definition; GMRES solves with either path reach the same solution.


function withSwitch<T>(on: boolean, fn: () => T): T {
  const saved = solverSwitches.fusedGramSchmidt;
  solverSwitches.fusedGramSchmidt = on;
  try {
    return fn();
  } finally {
    solverSwitches.fusedGramSchmidt = saved;
  }
}

/** An orthonormal basis (per row, or of the whole flattened tensor) from random vectors. */
function basisOf(k: number, shape: number[], perSample: boolean): tf.Tensor[] {
  const basis: tf.Tensor[] = [];
  for (let i = 0; i < k; i++) {
    const raw = tf.randomNormal(shape, 0, 1, 'float32', 40 + i);
    const { w, coefficients } = withSwitch(false, () => orthogonalize(raw, basis, { perSample }));
    const norms = coefficients[coefficients.length - 1];
    basis.push(tf.tidy(() => (perSample ? tf.div(w, tf.reshape(tf.tensor1d(norms), [shape[0], ...shape.slice(1).map(() => 1)])) : tf.div(w, norms[0]))));
    tf.dispose([raw, w]);
  }
  return basis;
}

describeBackends('orthogonalize and GMRES, fused and op paths', (backend) => {
  for (const perSample of [true, false]) {
    for (const shape of [[3, 5], [4, 2, 3, 2], [6, 128]]) {
      it(`orthogonalize (${perSample ? 'per sample' : 'whole tensor'}, [${shape}]): w − Σ hᵢ·vᵢ, coefficients and norm as defined; both paths agree`, () => {
        const k = 3;
        const basis = basisOf(k, shape, perSample);
        const w0 = tf.randomNormal(shape, 0, 1, 'float32', 7);
        const before = [tf.memory().numTensors, dataIds()];
        const fused = withSwitch(true, () => orthogonalize(w0, basis, { perSample }));
        expect([tf.memory().numTensors, dataIds()]).toEqual([before[0] + 1, before[1] + 1]);
        const ops = withSwitch(false, () => orthogonalize(w0, basis, { perSample }));
        const rows = perSample ? shape[0] : 1;
        expect(fused.coefficients.length).toBe(k + 1);
        fused.coefficients.forEach((c, i) => {
          expect(c.length).toBe(rows);
          c.forEach((v, b) => expect(Math.abs(v - ops.coefficients[i][b])).toBeLessThan(1e-5 * (1 + Math.abs(v))));
        });
        const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(fused.w, ops.w))).dataSync()[0]);
        expect(diff).toBeLessThan(1e-5);
        // The result is orthogonal to the basis, and w0 = w + Σ hᵢ vᵢ.
        const flat = (t: tf.Tensor) => tf.reshape(t, [rows, t.size / rows]);
        for (const v of basis) {
          const inner = tf.tidy(() => tf.max(tf.abs(tf.sum(tf.mul(flat(fused.w), flat(v)), 1))).dataSync()[0]);
          expect(inner).toBeLessThan(1e-4);
        }
        const rebuilt = tf.tidy(() =>
          basis.reduce((acc, v, i) => tf.add(acc, tf.mul(flat(v), tf.reshape(tf.tensor1d(fused.coefficients[i]), [rows, 1]))), flat(fused.w) as tf.Tensor),
        );
        expect(tf.tidy(() => tf.max(tf.abs(tf.sub(rebuilt, flat(w0)))).dataSync()[0])).toBeLessThan(1e-4);
        const norms = tf.tidy(() => tf.sqrt(tf.sum(tf.square(flat(fused.w)), 1)).dataSync());
        Array.from(norms).forEach((n, b) => expect(Math.abs(n - fused.coefficients[k][b])).toBeLessThan(1e-5 * (1 + n)));
        tf.dispose([...basis, w0, fused.w, ops.w, rebuilt]);
      });
    }
  }

  it('orthogonalize refuses a basis vector of another size, naming both sizes', () => {
    const w = tf.ones([2, 3]);
    const v = tf.ones([2, 4]);
    expect(() => orthogonalize(w, [v])).toThrow(/6 values, got one of shape \[2, 4\]/);
    tf.dispose([w, v]);
  });

  it(`batched GMRES gives the same solutions and iteration counts with either path${backend === 'wasm' ? '' : ' (cpu: the op path twice)'}`, () => {
    const n = 21;
    const A = tf.tidy(() => tf.add(tf.eye(n), tf.mul(tf.randomNormal([n, n], 0, 1, 'float32', 3), 0.3 / Math.sqrt(n))));
    const b = tf.randomNormal([8, n], 0, 1, 'float32', 4);
    const matvec = (v: tf.Tensor) => tf.matMul(v, A);
    const run = (on: boolean) => withSwitch(on, () => gmres(matvec, b, { reltol: 1e-6, restart: 8, maxiters: 40 }));
    const off = run(false);
    const before = tf.memory().numTensors;
    const on = run(true);
    expect(Array.from(on.iterations)).toEqual(Array.from(off.iterations));
    expect(on.converged).toEqual(off.converged);
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(on.x, off.x))).dataSync()[0])).toBeLessThan(1e-5);
    // …and solves the system.
    const residual = tf.tidy(() => tf.max(tf.abs(tf.sub(matvec(on.x), b))).dataSync()[0]);
    expect(residual).toBeLessThan(1e-4);
    on.x.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([A, b, off.x]);
  });
});
