import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { Anderson, Broyden, FixedPointIteration, LimitedMemoryBroyden, NewtonRaphson, solveSteadyState, type SteadyStateAlgorithm } from '@deqts/solvers';
import { solverSwitches } from '../src/internal/switches.js';
import { describeBackends } from '../../../test/utils/index.js';

// Every internal performance switch must leave results unchanged: each solve runs with the
// switch off and on and the two must agree exactly (same float32 operations, in the same order).

const ALGORITHMS: readonly [string, () => SteadyStateAlgorithm][] = [
  ['Anderson', () => new Anderson({ memory: 3 })],
  ['Broyden', () => new Broyden()],
  ['LimitedMemoryBroyden', () => new LimitedMemoryBroyden({ memory: 3 })],
  ['NewtonRaphson', () => new NewtonRaphson()],
  ['FixedPointIteration (overshooting)', () => new FixedPointIteration({ damping: 1.9 })],
];

/**
 * Rows of different difficulty: an easy contraction, a hard one, a row whose residual oscillates
 * (so its best iterate is an old one), a row that diverges (restored to its best) and a row that
 * turns NaN (log of a negative number after a few steps).
 */
function problem(n: number) {
  const W = tf.tidy(() => tf.mul(tf.randomNormal([n, n], 0, 1, 'float32', 11), 1 / Math.sqrt(n)));
  const x = tf.randomNormal([5, n], 0, 0.5, 'float32', 12);
  const scale = tf.tensor2d([0.1, 0.95, -1.3, 4, 0.5], [5, 1]);
  const nanRow = tf.tile(tf.tensor2d([0, 0, 0, 0, 1], [5, 1], 'bool'), [1, n]);
  const rootless = tf.tile(tf.tensor2d([0, 0, 0, 1, 0], [5, 1], 'bool'), [1, n]);
  const f = (z: tf.Tensor) =>
    tf.tidy(() => {
      const base = tf.tanh(tf.add(tf.mul(tf.matMul(z, W), scale), x));
      // row 4: z ↦ log(0.2 − z) + …, NaN once z > 0.2
      const risky = tf.add(tf.log(tf.sub(0.2, z)), base);
      // row 3: z ↦ z + 0.1 (1 + z²) has no fixed point at all
      const none = tf.add(z, tf.mul(tf.add(1, tf.square(z)), 0.1));
      return tf.where(nanRow, risky, tf.where(rootless, none, base));
    });
  return { f, dispose: () => tf.dispose([W, x, scale, nanRow, rootless]) };
}

function solveBoth(name: keyof typeof solverSwitches, run: () => { u: tf.Tensor; residual: tf.Tensor; status: unknown; iterations: number; nfe: number; perSample: unknown }) {
  const saved = solverSwitches[name];
  try {
    solverSwitches[name] = false;
    const off = run();
    solverSwitches[name] = true;
    const on = run();
    return { off, on };
  } finally {
    solverSwitches[name] = saved;
  }
}

// The fused kernels reorder float32 sums (SIMD partial sums): fused-anderson.test.ts and
// fused-gmres.test.ts (and fused-broyden.test.ts) compare them to the op path to a tolerance instead.
const APPROXIMATE = new Set(['fusedAnderson', 'fusedGramSchmidt', 'fusedBroyden']);
const EXACT = (Object.keys(solverSwitches) as (keyof typeof solverSwitches)[]).filter((name) => !APPROXIMATE.has(name));

describeBackends('internal performance switches leave results unchanged', () => {
  for (const name of EXACT) {
    it(`${name}: same iterates, residuals, statuses and counts for every root finder, checking every step or every 3rd`, () => {
      const p = problem(8);
      for (const [label, make] of ALGORITHMS) {
        for (const checkEvery of [1, 3]) {
          const { off, on } = solveBoth(name, () =>
            solveSteadyState(p.f, tf.zeros([5, 8]), make(), { abstol: 1e-6, reltol: 1e-6, maxiters: 25, checkEvery }),
          );
          const what = `${label}, checkEvery ${checkEvery}`;
          expect(Array.from(on.u.dataSync()), what).toEqual(Array.from(off.u.dataSync()));
          expect(Array.from(on.residual.dataSync()), what).toEqual(Array.from(off.residual.dataSync()));
          expect(on.perSample, what).toEqual(off.perSample);
          expect([on.status, on.iterations, on.nfe], what).toEqual([off.status, off.iterations, off.nfe]);
          tf.dispose([on.u, on.residual, off.u, off.residual]);
        }
      }
      // The problem really exercises the paths: successes and failures in the same batch.
      const statuses = new Set<string>();
      for (const [, make] of ALGORITHMS) {
        const probe = solveSteadyState(p.f, tf.zeros([5, 8]), make(), { abstol: 1e-6, reltol: 1e-6, maxiters: 25 });
        for (const s of probe.perSample.status) statuses.add(s);

        tf.dispose([probe.u, probe.residual]);
      }
      expect(statuses.has('success')).toBe(true);
      expect(statuses.size).toBeGreaterThan(2);
      const u0 = tf.zeros([5, 8]);
      const saved = solverSwitches[name];
      for (const on of [false, true]) {
        solverSwitches[name] = on;
        for (const [label, make] of ALGORITHMS) {
          const before = tf.memory().numTensors;
          const again = solveSteadyState(p.f, u0, make(), { abstol: 1e-6, maxiters: 25 });
          tf.dispose([again.u, again.residual]);
          expect(tf.memory().numTensors, `${label} leaks (switch ${on ? 'on' : 'off'})`).toBe(before);
        }
      }
      solverSwitches[name] = saved;
      u0.dispose();
      p.dispose();
    });
  }
});
