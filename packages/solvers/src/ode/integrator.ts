import * as tf from '@tensorflow/tfjs-core';
import { readColumns, replace, uploadColumn, uploadMask } from '../internal/batch.js';
import type { SolveStatus } from '../types.js';
import { INITIAL_PREVIOUS_ERROR, initialStepSizes, nextStepAfterAccept, nextStepAfterReject, type ControllerSettings } from './controller.js';
import { scaledErrorNorm, type FlatRhs, type OdeStepper } from './stepper.js';

/** Settings of a batched integration (internal). */
export type IntegratorSettings = {
  readonly adaptive: boolean;
  /** Fixed step, or the first step when adaptive (null: Hairer's automatic choice). */
  readonly dt: number | null;
  readonly abstol: number;
  readonly reltol: number;
  readonly controller: ControllerSettings;
  /** Step attempts allowed per sample. */
  readonly maxiters: number;
  readonly t0: number;
  /** End time (Infinity for steady-state runs). */
  readonly t1: number;
  /** Compute F at every accepted state (needed for residual checks and interpolation). */
  readonly needDerivative: boolean;
};

/** What one batched attempt did, on the host. */
export type AttemptReport = {
  readonly participated: Uint8Array;
  readonly accepted: Uint8Array;
  /** Host values of the extra columns requested for this attempt. */
  readonly values: readonly Float32Array[];
};

/** Views of a step for observers, valid only during the callback. */
export type StepView = { readonly u: tf.Tensor2D; readonly k: tf.Tensor2D | null; readonly t: Float64Array };

/**
 * Integrates B independent problems with per-sample time, step size, step-size controller state
 * and attempt budget (internal). Samples that finish (reach t1, or are frozen by the caller) stop
 * moving; rejected samples keep their state and retry with a smaller step. All host decisions
 * come from one small read per attempt (none in fixed-step mode without extra columns).
 */
export class BatchIntegrator {
  u: tf.Tensor2D;
  /** F(u, t), or null when not yet computed. */
  k1: tf.Tensor2D | null;
  readonly t: Float64Array;
  readonly attempts: Int32Array;
  readonly acceptedSteps: Int32Array;
  readonly rejectedSteps: Int32Array;
  readonly running: Uint8Array;
  readonly status: (SolveStatus | null)[];
  private readonly h: Float64Array;
  private readonly errPrev: Float64Array;
  private readonly lastErrorNonfinite: Uint8Array;
  private readonly fixedStep: number | null;

  constructor(
    private readonly rhs: FlatRhs,
    private readonly stepper: OdeStepper,
    u0: tf.Tensor2D,
    private readonly settings: IntegratorSettings,
  ) {
    const batch = u0.shape[0];
    this.u = tf.keep(tf.clone(u0));
    this.k1 = null;
    this.t = new Float64Array(batch).fill(settings.t0);
    this.h = new Float64Array(batch);
    this.errPrev = new Float64Array(batch).fill(INITIAL_PREVIOUS_ERROR);
    this.attempts = new Int32Array(batch);
    this.acceptedSteps = new Int32Array(batch);
    this.rejectedSteps = new Int32Array(batch);
    this.running = new Uint8Array(batch).fill(settings.t1 > settings.t0 ? 1 : 0);
    this.status = new Array<SolveStatus | null>(batch).fill(settings.t1 > settings.t0 ? null : 'success');
    this.lastErrorNonfinite = new Uint8Array(batch);
    const span = settings.t1 - settings.t0;
    this.fixedStep = settings.adaptive ? null : Number.isFinite(span) ? span / Math.max(1, Math.ceil(span / settings.dt! - 1e-9)) : settings.dt!;
    if (!settings.adaptive) this.h.fill(this.fixedStep!);
    else if (settings.dt !== null) this.h.fill(Math.min(settings.dt, span));
  }

  /** Ensures k1 = F(u, t) is available. */
  derivative(): tf.Tensor2D {
    if (this.k1 === null) {
      this.k1 = tf.keep(tf.tidy(() => this.rhs(this.u, tf.tensor1d(Float32Array.from(this.t)))));
    }
    return this.k1;
  }

  /** Picks each sample's first step size (adaptive runs without an explicit dt). */
  chooseInitialSteps(): void {
    if (!this.settings.adaptive || this.settings.dt !== null) return;
    const k1 = this.derivative();
    const span = Float64Array.from(this.t, (t) => this.settings.t1 - t);
    const t0 = uploadColumn(this.t);
    let h: Float64Array;
    try {
      h = initialStepSizes(this.rhs, this.u, k1, t0, this.stepper.errorOrder + 1, this.settings.abstol, this.settings.reltol, span);
    } finally {
      t0.dispose();
    }
    this.h.set(h);
  }

  /** Stops sample b (it keeps its state). */
  stop(b: number, status: SolveStatus): void {
    if (!this.running[b]) return;
    this.running[b] = 0;
    this.status[b] = status;
  }

  /** Whether any sample still moves. */
  anyRunning(): boolean {
    return this.running.some((r) => r === 1);
  }

  /**
   * One attempt for every running sample. `extra(uNew, kNew)` may return [B] columns to read with
   * the error norms (e.g. residual norms of the new state); `onAccept(old, new, mask)` sees the
   * step before the old state is released.
   */
  attempt(
    extra?: (uNew: tf.Tensor2D, kNew: tf.Tensor2D | null) => tf.Tensor[],
    onAccept?: (before: StepView, after: StepView, accepted: Uint8Array) => void,
  ): AttemptReport {
    const s = this.settings;
    const batch = this.t.length;
    const participated = this.stepper.participants(this.running);
    const hStep = new Float64Array(batch);
    for (let b = 0; b < batch; b++) {
      if (!participated[b]) continue;
      const remaining = s.t1 - this.t[b];
      hStep[b] = this.h[b] * 1.01 >= remaining ? remaining : this.h[b];
    }
    const k1 = this.derivative();
    let report: AttemptReport | null = null;
    tf.tidy(() => {
      const tCol = uploadColumn(this.t);
      const hCol = uploadColumn(hStep);
      const wantDerivative = s.needDerivative || s.adaptive;
      const step = this.stepper.attempt({ u: this.u, k1, t: tCol, h: hCol, tHost: this.t, hHost: hStep, wantError: s.adaptive, wantDerivative });
      const columns: tf.Tensor[] = [];
      if (s.adaptive) columns.push(scaledErrorNorm(step.error!, this.u, step.uNew, s.abstol, s.reltol));
      const extras = extra ? extra(step.uNew, step.kNew) : [];
      const values = readColumns([...columns, ...extras]);
      const accepted = s.adaptive ? this.decide(participated, hStep, values[0]) : this.advanceFixed(participated, hStep);
      const mask = uploadMask(accepted, this.u.shape[1]);
      const before: StepView = { u: this.u, k: k1, t: this.t.slice() };
      for (let b = 0; b < batch; b++) if (accepted[b]) this.t[b] = this.finishTime(this.t[b] + hStep[b]);
      const newU = tf.keep(tf.where(mask, step.uNew, this.u) as tf.Tensor2D);
      const newK = step.kNew ? tf.keep(tf.where(mask, step.kNew, k1) as tf.Tensor2D) : null;
      onAccept?.(before, { u: newU, k: newK, t: this.t }, accepted);
      this.stepper.accept(accepted, mask, { k1, t: before.t, h: hStep });
      this.u = replace(this.u, newU);
      if (newK) this.k1 = replace(this.k1, newK);
      else {
        this.k1?.dispose();
        this.k1 = null;
      }
      for (let b = 0; b < batch; b++) if (this.running[b] && this.t[b] >= s.t1) this.stop(b, 'success');
      report = { participated, accepted, values: values.slice(columns.length) };
    });
    return report!;
  }

  /** Adaptive accept/reject and PI step control; returns the accepted flags. */
  private decide(participated: Uint8Array, hStep: Float64Array, errors: Float32Array): Uint8Array {
    const s = this.settings;
    const c = s.controller;
    const accepted = new Uint8Array(hStep.length);
    for (let b = 0; b < hStep.length; b++) {
      if (!participated[b]) continue;
      this.attempts[b] += 1;
      const err = errors[b];
      this.lastErrorNonfinite[b] = Number.isFinite(err) ? 0 : 1;
      if (err <= 1) {
        accepted[b] = 1;
        this.acceptedSteps[b] += 1;
        this.h[b] = nextStepAfterAccept(hStep[b], err, this.errPrev[b], c);
        this.errPrev[b] = Math.max(err, INITIAL_PREVIOUS_ERROR);
      } else {
        this.rejectedSteps[b] += 1;
        this.h[b] = nextStepAfterReject(hStep[b], err, c);
      }
      if (this.h[b] < c.dtmin) this.stop(b, this.lastErrorNonfinite[b] ? 'nonfinite' : 'stalled');
      else if (this.attempts[b] >= s.maxiters && !(accepted[b] && this.finishTime(this.t[b] + hStep[b]) >= s.t1)) this.stop(b, 'maxiters');
    }
    return accepted;
  }

  /** Fixed steps: every participant accepts. */
  private advanceFixed(participated: Uint8Array, hStep: Float64Array): Uint8Array {
    for (let b = 0; b < hStep.length; b++) {
      if (!participated[b]) continue;
      this.attempts[b] += 1;
      this.acceptedSteps[b] += 1;
      if (this.attempts[b] >= this.settings.maxiters && this.finishTime(this.t[b] + hStep[b]) < this.settings.t1) this.stop(b, 'maxiters');
    }
    return participated.slice();
  }

  /** Snaps a time within round-off of t1 onto t1. */
  private finishTime(t: number): number {
    const t1 = this.settings.t1;
    return Number.isFinite(t1) && Math.abs(t1 - t) <= 1e-12 * Math.max(1, Math.abs(t1)) ? t1 : t;
  }

  /** Replaces rows of the state (and drops F there) where `mask` is set; used to restore best iterates. */
  replaceRows(mask: tf.Tensor2D, source: tf.Tensor2D, sourceDerivative: tf.Tensor2D | null): void {
    this.u = replace(this.u, tf.keep(tf.where(mask, source, this.u) as tf.Tensor2D));
    if (this.k1 && sourceDerivative) this.k1 = replace(this.k1, tf.keep(tf.where(mask, sourceDerivative, this.k1) as tf.Tensor2D));
  }

  dispose(): void {
    this.u.dispose();
    this.k1?.dispose();
    this.k1 = null;
    this.stepper.dispose();
  }
}
