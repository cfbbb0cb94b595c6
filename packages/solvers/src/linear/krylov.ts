import * as tf from '@tensorflow/tfjs-core';
import { canRunWasmKernels } from '@deqts/core-layers';
import { readColumnsTidy, replace, rowDot, uploadColumn } from '../internal/batch.js';
import { addCombination } from '../internal/fused/krylov-kernels.js';
import { orthogonalize } from './orthogonalize.js';
import { solverSwitches } from '../internal/switches.js';
import { solveUpperTriangular } from '../internal/small-solve.js';

/** Settings of the batched GMRES engine (internal). */
export type KrylovSettings = {
  /** Per-sample absolute tolerances on ‖b − A x‖₂, from each sample's ‖b‖₂. */
  readonly tolerance: (referenceNorms: Float64Array) => Float64Array;
  readonly restart: number;
  /** Total Arnoldi steps (matrix-vector products, not counting residual recomputations). */
  readonly maxiters: number;
  /** Recompute b − A x after the last cycle to report the true residual (one extra product). */
  readonly trueResidual: boolean;
};

/** Result of the batched GMRES engine; `x` is kept (the caller disposes it). */
export type KrylovResult = {
  readonly x: tf.Tensor2D;
  /** ‖b − A x‖₂ per sample: true residual if requested, else the GMRES estimate. */
  readonly residualNorm: Float64Array;
  /** ‖b‖₂ per sample. */
  readonly referenceNorm: Float64Array;
  readonly iterations: Int32Array;
  readonly converged: Uint8Array;
  readonly matvecs: number;
};

/**
 * Restarted GMRES on B independent systems at once: row b of `x` solves A_b x = b_b, where the
 * operator `matvec` acts row by row. Each sample has its own Krylov basis (per-row inner
 * products, modified Gram–Schmidt), its own Givens rotations and least-squares problem (on the
 * host in float64), its own tolerance and stopping step. A sample that stops keeps a zero basis
 * vector, so its rows of later products are wasted but harmless. Internal; the caller owns `x`.
 */
export function batchedGmres(matvec: (v: tf.Tensor2D) => tf.Tensor2D, b: tf.Tensor2D, x0: tf.Tensor2D | null, settings: KrylovSettings): KrylovResult {
  const state = { x: tf.keep(x0 ? tf.clone(x0) : tf.zerosLike(b)) };
  try {
    return gmresLoop(matvec, b, x0 === null, settings, state);
  } catch (error) {
    state.x.dispose();
    throw error;
  }
}

function gmresLoop(matvec: (v: tf.Tensor2D) => tf.Tensor2D, b: tf.Tensor2D, startsAtZero: boolean, settings: KrylovSettings, state: { x: tf.Tensor2D }): KrylovResult {
  const [batch] = b.shape;
  const restart = Math.max(1, Math.min(settings.restart, settings.maxiters));
  let xIsZero = startsAtZero;
  const iterations = new Int32Array(batch);
  const converged = new Uint8Array(batch);
  let tol: Float64Array | null = null;
  let reference = new Float64Array(batch);
  let estimate = new Float64Array(batch).fill(Infinity);
  let total = 0;
  let matvecs = 0;
  for (;;) {
    const finalPass = total >= settings.maxiters;
    if (finalPass && !settings.trueResidual) break;
    const current = state.x;
    const r = xIsZero ? b : tf.tidy(() => tf.sub(b, matvec(current)) as tf.Tensor2D);
    if (!xIsZero) matvecs += 1;
    const firstPass = tol === null;
    const [beta32, bNorm] = readColumnsTidy(() => [tf.sqrt(rowDot(r, r)), ...(firstPass && r !== b ? [tf.sqrt(rowDot(b, b))] : [])]);
    const beta = Float64Array.from(beta32);
    if (tol === null) {
      reference = Float64Array.from(bNorm ?? beta32);
      tol = settings.tolerance(reference);
    }
    estimate = beta.slice();
    let anyOpen = false;
    for (let s = 0; s < batch; s++) {
      converged[s] = beta[s] <= tol[s] ? 1 : 0;
      if (!converged[s] && Number.isFinite(beta[s])) anyOpen = true;
    }
    if (finalPass || !anyOpen) {
      if (r !== b) r.dispose();
      break;
    }
    const cycle = arnoldiCycle(matvec, r, beta, tol, converged, Math.min(restart, settings.maxiters - total));
    if (r !== b) r.dispose();
    total += cycle.steps;
    matvecs += cycle.steps;
    for (let s = 0; s < batch; s++) {
      iterations[s] += cycle.stepsOf[s];
      estimate[s] = cycle.estimate[s];
    }
    state.x = replace(state.x, tf.keep(tf.add(state.x, cycle.correction) as tf.Tensor2D));
    xIsZero = false;
    cycle.correction.dispose();
  }
  if (!settings.trueResidual) for (let s = 0; s < batch; s++) converged[s] = estimate[s] <= tol![s] ? 1 : 0;
  return { x: state.x, residualNorm: estimate, referenceNorm: reference, iterations, converged, matvecs };
}

type CycleResult = { steps: number; stepsOf: Int32Array; estimate: Float64Array; correction: tf.Tensor2D };

/** One restart cycle: Arnoldi with per-sample Givens least squares, returning the correction V y. */
function arnoldiCycle(
  matvec: (v: tf.Tensor2D) => tf.Tensor2D,
  r: tf.Tensor2D,
  beta: Float64Array,
  tol: Float64Array,
  skip: Uint8Array,
  maxSteps: number,
): CycleResult {
  const batch = beta.length;
  const m = maxSteps;
  // Per sample: Hessenberg (as rotated upper-triangular R, (m+1)×m), rotations, rotated rhs g.
  const rMat = Array.from({ length: batch }, () => new Float64Array((m + 1) * m));
  const cs = Array.from({ length: batch }, () => new Float64Array(m));
  const sn = Array.from({ length: batch }, () => new Float64Array(m));
  const g = Array.from({ length: batch }, (_, s) => {
    const v = new Float64Array(m + 1);
    v[0] = beta[s];
    return v;
  });
  const open = Uint8Array.from(skip, (c, s) => (c || !(beta[s] > 0) || !Number.isFinite(beta[s]) ? 0 : 1));
  const stepsOf = new Int32Array(batch);
  const estimate = Float64Array.from(beta);
  const basis: tf.Tensor2D[] = [tf.tidy(() => tf.mul(r, uploadColumn(Array.from(beta, (v, s) => (open[s] ? 1 / v : 0)))) as tf.Tensor2D)];
  // On wasm (no tape recording) the final combination of the basis is one fused kernel.
  const fused = solverSwitches.fusedGramSchmidt && canRunWasmKernels();
  let steps = 0;
  for (let j = 0; j < m && open.some((o) => o === 1); j++) {
    steps += 1;
    // Modified Gram–Schmidt against this sample's basis (one fused kernel on wasm), one host read.
    const applied = tf.tidy(() => matvec(basis[j]));
    const { w, coefficients: column } = orthogonalize(applied, basis, { perSample: true });
    applied.dispose();
    const nextScale = new Float32Array(batch);
    for (let s = 0; s < batch; s++) {
      if (!open[s]) continue;
      const R = rMat[s];
      const col = new Float64Array(j + 2);
      for (let i = 0; i <= j + 1; i++) col[i] = column[i][s];
      for (let i = 0; i < j; i++) {
        const t = cs[s][i] * col[i] + sn[s][i] * col[i + 1];
        col[i + 1] = -sn[s][i] * col[i] + cs[s][i] * col[i + 1];
        col[i] = t;
      }
      const rho = Math.hypot(col[j], col[j + 1]);
      const c = rho > 0 ? col[j] / rho : 1;
      const sgn = rho > 0 ? col[j + 1] / rho : 0;
      cs[s][j] = c;
      sn[s][j] = sgn;
      for (let i = 0; i < j; i++) R[i * m + j] = col[i];
      R[j * m + j] = rho;
      g[s][j + 1] = -sgn * g[s][j];
      g[s][j] = c * g[s][j];
      stepsOf[s] = j + 1;
      const res = Math.abs(g[s][j + 1]);
      estimate[s] = res;
      const hNext = column[j + 1][s];
      const breakdown = !(hNext > 1e-30 * Math.max(rho, 1e-30));
      if (res <= tol[s] || breakdown || !Number.isFinite(res) || !Number.isFinite(rho)) open[s] = 0;
      else nextScale[s] = 1 / hNext;
    }
    if (j + 1 < m && open.some((o) => o === 1)) basis.push(tf.tidy(() => tf.mul(w, uploadColumn(nextScale)) as tf.Tensor2D));
    w.dispose();
  }
  // x correction = Σ_i y_i v_i, with y solving each sample's triangular system.
  const ys = Array.from({ length: batch }, (_, s) => solveUpperTriangular(rMat[s], g[s], stepsOf[s], m));
  const correction = tf.tidy(() => {
    if (fused) {
      const coefficients = new Float32Array(basis.length * batch);
      ys.forEach((y, s) => {
        for (let i = 0; i < basis.length; i++) coefficients[i * batch + s] = i < y.length && Number.isFinite(y[i]) ? y[i] : 0;
      });
      return addCombination(tf.zerosLike(r), basis, coefficients);
    }
    let sum: tf.Tensor2D = tf.zerosLike(r);
    for (let i = 0; i < basis.length; i++) {
      const coef = uploadColumn(ys.map((y) => (i < y.length && Number.isFinite(y[i]) ? y[i] : 0)));
      sum = tf.add(sum, tf.mul(basis[i], coef)) as tf.Tensor2D;
    }
    return sum;
  });
  for (const v of basis) v.dispose();
  return { steps, stepsOf, estimate, correction };
}
