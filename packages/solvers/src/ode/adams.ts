import * as tf from '@tensorflow/tfjs-core';
import { replace, uploadColumn } from '../internal/batch.js';
import { rungeKuttaAttempt, stageTime, type FlatRhs, type OdeStepper, type StepArgs, type StepResult } from './stepper.js';
import { BS3 } from './tableaus.js';

/**
 * Weights wⱼ = ∫₀¹ Lⱼ(s) ds of the Lagrange basis on `nodes` (host, float64): integrating the
 * interpolant of values at the nodes over the unit step gives Σ wⱼ·valueⱼ.
 */
export function lagrangeIntegralWeights(nodes: readonly number[]): number[] {
  return nodes.map((xj, j) => {
    let poly = [1]; // coefficients in ascending powers of s
    nodes.forEach((xm, m) => {
      if (m === j) return;
      const scale = 1 / (xj - xm);
      const next = new Array<number>(poly.length + 1).fill(0);
      poly.forEach((c, p) => {
        next[p + 1] += c * scale;
        next[p] -= c * xm * scale;
      });
      poly = next;
    });
    return poly.reduce((sum, c, p) => sum + c / (p + 1), 0);
  });
}

/**
 * Variable-coefficient Adams–Bashforth–Moulton of order 3 in PECE form, per sample:
 * predictor AB3 (quadratic through the last three slopes), corrector AM3 (quadratic through
 * t₋₁, t₀ and the predicted slope at t₊), local error estimated by the difference between the
 * order-4 corrector (cubic through all four slopes) and the order-3 one. Coefficients are
 * recomputed on the host for each sample's own step history, so step sizes may differ per
 * sample and per step. Two f-evaluations per step; the first two steps of each sample are taken
 * with Bogacki–Shampine 3(2), as the method needs three past slopes.
 */
export class AdamsStepper implements OdeStepper {
  readonly errorOrder = 3;
  readonly adaptive = true;
  /** Slopes at the two previous accepted points (the current one is the integrator's k1). */
  private slope1: tf.Tensor2D | null = null;
  private slope2: tf.Tensor2D | null = null;
  /** Per sample: number of known slopes (1..3) and the times of the two previous points. */
  private readonly known: Int32Array;
  private readonly time1: Float64Array;
  private readonly time2: Float64Array;
  private startupRound = false;

  constructor(
    private readonly rhs: FlatRhs,
    batch: number,
  ) {
    this.known = new Int32Array(batch).fill(1);
    this.time1 = new Float64Array(batch);
    this.time2 = new Float64Array(batch);
  }

  participants(running: Uint8Array): Uint8Array {
    // While any running sample still needs start-up steps, only those step (with BS3).
    const starting = running.map((r, b) => (r && this.known[b] < 3 ? 1 : 0));
    this.startupRound = starting.some((s) => s === 1);
    return this.startupRound ? starting : running.slice();
  }

  attempt(args: StepArgs): StepResult {
    if (this.startupRound) return rungeKuttaAttempt(BS3, this.rhs, args);
    const { u, k1, t, h, tHost, hHost } = args;
    const batch = tHost.length;
    const predictor = [new Float64Array(batch), new Float64Array(batch), new Float64Array(batch)];
    const corrector = [new Float64Array(batch), new Float64Array(batch), new Float64Array(batch)];
    const estimator = [new Float64Array(batch), new Float64Array(batch), new Float64Array(batch), new Float64Array(batch)];
    for (let b = 0; b < batch; b++) {
      const step = hHost[b];
      if (!(step > 0)) continue;
      const x1 = (this.time1[b] - tHost[b]) / step;
      const x2 = (this.time2[b] - tHost[b]) / step;
      const ab = lagrangeIntegralWeights([0, x1, x2]);
      const am3 = lagrangeIntegralWeights([1, 0, x1]);
      const am4 = lagrangeIntegralWeights([1, 0, x1, x2]);
      for (let j = 0; j < 3; j++) {
        predictor[j][b] = step * ab[j];
        corrector[j][b] = step * am3[j];
      }
      for (let j = 0; j < 4; j++) estimator[j][b] = step * (am4[j] - (j < 3 ? am3[j] : 0));
    }
    const col = (v: Float64Array): tf.Tensor2D => uploadColumn(v);
    const s1 = this.slope1!;
    const s2 = this.slope2!;
    const p = tf.add(u, tf.add(tf.add(tf.mul(k1, col(predictor[0])), tf.mul(s1, col(predictor[1]))), tf.mul(s2, col(predictor[2])))) as tf.Tensor2D;
    const tNext = stageTime(t, h, 1);
    const kp = this.rhs(p, tNext);
    const uNew = tf.add(u, tf.add(tf.add(tf.mul(kp, col(corrector[0])), tf.mul(k1, col(corrector[1]))), tf.mul(s1, col(corrector[2])))) as tf.Tensor2D;
    const error = args.wantError
      ? (tf.add(tf.add(tf.mul(kp, col(estimator[0])), tf.mul(k1, col(estimator[1]))), tf.add(tf.mul(s1, col(estimator[2])), tf.mul(s2, col(estimator[3])))) as tf.Tensor2D)
      : null;
    return { uNew, kNew: this.rhs(uNew, tNext), error };
  }

  accept(accepted: Uint8Array, mask: tf.Tensor2D, previous: { readonly k1: tf.Tensor2D; readonly t: Float64Array }): void {
    const older = this.slope1 ?? previous.k1;
    this.slope2 = replace(this.slope2, tf.keep(this.slope2 ? (tf.where(mask, older, this.slope2) as tf.Tensor2D) : tf.clone(older)));
    this.slope1 = replace(this.slope1, tf.keep(this.slope1 ? (tf.where(mask, previous.k1, this.slope1) as tf.Tensor2D) : tf.clone(previous.k1)));
    for (let b = 0; b < accepted.length; b++) {
      if (!accepted[b]) continue;
      this.time2[b] = this.time1[b];
      this.time1[b] = previous.t[b];
      this.known[b] = Math.min(3, this.known[b] + 1);
    }
  }

  dispose(): void {
    this.slope1?.dispose();
    this.slope2?.dispose();
    this.slope1 = null;
    this.slope2 = null;
  }
}
