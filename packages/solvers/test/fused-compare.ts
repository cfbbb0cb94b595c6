import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import { solveSteadyState, type SteadyStateAlgorithm, type TerminationMode, type ResidualNorm } from '@deqts/solvers';
import { solverSwitches } from '../src/internal/switches.js';

/** Live backend data blocks (catches a leaked scratch block, which tf.memory() does not see). */
export const dataIds = (): number => (tf.backend() as unknown as { numDataIds(): number }).numDataIds();

/** The iteration cap of the compared solves. */
const MAXITERS = 40;

/** z = tanh(W z + x) per sample; `scale` > 1 on some rows makes them slow or oscillating. */
function problem(batch: number, n: number) {
  const W = tf.tidy(() => tf.mul(tf.randomNormal([n, n], 0, 1, 'float32', 31), 1 / Math.sqrt(n)));
  const x = tf.randomNormal([batch, n], 0, 0.5, 'float32', 32);
  const scale = tf.tensor2d(Array.from({ length: batch }, (_, b) => [0.3, 0.9, 1.2, 0.6][b % 4]), [batch, 1]);
  const f = (z: tf.Tensor) => tf.tidy(() => tf.tanh(tf.add(tf.mul(tf.matMul(z, W), scale), x)));
  return { f, dispose: () => tf.dispose([W, x, scale]) };
}

/**
 * Solves the same batch (16 samples of size 37) with a fused-kernel switch off and on and checks
 * that the fused path matches: same statuses and iterations within ±1 for every sample the op
 * path solves within `stableWithin` iterations (default: all of them; a sample one path stops at
 * the iteration cap may converge one step earlier on the other); for the hard rest, whose
 * iteration counts move by a few either way with last-bit differences (Broyden's rank-one updates
 * amplify them; so does the elementwise 'rel' test near its tolerance), the fused residual must
 * be within 10× of the op path's or of the tolerance, whichever is larger; each converged sample as
 * close to the converged limit (a solve at 1e-7) as the op path's answer (within 2×); and no tensor or backend
 * block left behind.
 */
export function expectFusedSolveMatches(
  switchName: 'fusedAnderson' | 'fusedBroyden',
  make: () => SteadyStateAlgorithm,
  terminationMode: TerminationMode,
  norm: ResidualNorm,
  stableWithin = Infinity,
): void {
  const p = problem(16, 37);
  const u0 = tf.zeros([16, 37]);
  const saved = solverSwitches[switchName];
  const run = (fused: boolean, tol: number, maxiters: number) => {
    solverSwitches[switchName] = fused;
    return solveSteadyState(p.f, u0, make(), { abstol: tol, reltol: tol, maxiters, terminationMode, norm });
  };
  try {
    const ref = run(false, 1e-7, 300);
    const off = run(false, 1e-5, MAXITERS);
    const before = [tf.memory().numTensors, dataIds()];
    const on = run(true, 1e-5, MAXITERS);
    expect(on.perSample.status.filter((s) => s === 'success').length).toBeGreaterThan(8);
    off.perSample.status.forEach((st, b) => {
      if (off.perSample.iterations[b] <= stableWithin) {
        expect(Math.abs(on.perSample.iterations[b] - off.perSample.iterations[b]), `sample ${b}`).toBeLessThanOrEqual(1);
        // ±1 iteration at the cap: one path may stop there ('maxiters') and the other converge one
        // step earlier; its residual is then held to the hard rows' bound below.
        const atCap = Math.max(on.perSample.iterations[b], off.perSample.iterations[b]) === MAXITERS;
        if (!atCap || on.perSample.status[b] === st) expect(on.perSample.status[b], `sample ${b}`).toBe(st);
        else expect(on.perSample.residualNorm[b], `sample ${b} (at the cap)`).toBeLessThanOrEqual(10 * Math.max(off.perSample.residualNorm[b], 1e-5));
      } else {
        // 1e-5: the solves' tolerance (f(u) is O(1) here, so it also bounds the relative modes' residual).
        const bound = 10 * Math.max(off.perSample.residualNorm[b], 1e-5);
        expect(on.perSample.residualNorm[b], `sample ${b} (hard: ${off.perSample.iterations[b]} iterations)`).toBeLessThanOrEqual(bound);
      }
    });
    const err = (u: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(u, ref.u)), 1).arraySync() as number[]);
    const [eOn, eOff] = [err(on.u), err(off.u)];
    on.perSample.status.forEach((st, b) => {
      if (st === 'success' && ref.perSample.status[b] === 'success') expect(eOn[b], `sample ${b}`).toBeLessThanOrEqual(2 * eOff[b] + 1e-6);
    });
    tf.dispose([on.u, on.residual]);
    expect([tf.memory().numTensors, dataIds()]).toEqual(before);
    tf.dispose([off.u, off.residual, ref.u, ref.residual]);
  } finally {
    solverSwitches[switchName] = saved;
    p.dispose();
    u0.dispose();
  }
}

/** The termination modes and norms the whole-solve comparisons run over. */
export const MODES = [['absNorm', 'inf'], ['relNorm', 'l2'], ['abs', 'l2'], ['rel', 'inf']] as const;
