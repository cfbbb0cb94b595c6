import * as tf from '@tensorflow/tfjs-core';
import type { Tableau } from './tableaus.js';

/** The ODE right-hand side on flattened states: F(u [B, n], t [B]) → [B, n] (internal). */
export type FlatRhs = (u: tf.Tensor2D, t: tf.Tensor1D) => tf.Tensor2D;

/** Inputs of one step attempt; `h` and `t` are per-sample [B, 1] columns (h = 0: stay). */
export type StepArgs = {
  readonly u: tf.Tensor2D;
  /** F(u, t). */
  readonly k1: tf.Tensor2D;
  readonly t: tf.Tensor2D;
  readonly h: tf.Tensor2D;
  /** Host copies of each sample's time and step. */
  readonly tHost: Float64Array;
  readonly hHost: Float64Array;
  /** Compute the local error estimate (adaptive stepping). */
  readonly wantError: boolean;
  /** Compute F at the new state even if the method does not need it (FSAL methods always do). */
  readonly wantDerivative: boolean;
};

/** Result of an attempt: the proposed state, F there (if computed) and the local error estimate. */
export type StepResult = { readonly uNew: tf.Tensor2D; readonly kNew: tf.Tensor2D | null; readonly error: tf.Tensor2D | null };

/**
 * A time-stepping method run by the integrator (internal). Steppers may keep per-sample history;
 * `participants` says which running samples can step now (the others are held at h = 0 and
 * neither charged an attempt nor accepted), `accept` commits the accepted samples' step.
 */
export interface OdeStepper {
  /** Order q of the error estimate's lower method; the controller uses err ∝ h^(q+1). */
  readonly errorOrder: number;
  /** Whether the method can estimate its local error. */
  readonly adaptive: boolean;
  participants(running: Uint8Array): Uint8Array;
  attempt(args: StepArgs): StepResult;
  accept(accepted: Uint8Array, acceptedMask: tf.Tensor2D, previous: { readonly k1: tf.Tensor2D; readonly t: Float64Array; readonly h: Float64Array }): void;
  dispose(): void;
}

/** Stage time t + c·h as a [B] tensor. */
export function stageTime(t: tf.Tensor2D, h: tf.Tensor2D, c: number): tf.Tensor1D {
  return tf.reshape(c === 0 ? t : tf.add(t, tf.mul(h, c)), [t.shape[0]]) as tf.Tensor1D;
}

/** Σ wᵢ kᵢ over the non-zero weights (one addN: fewer full-size temporaries than pairwise adds). */
export function combine(weights: readonly number[], stages: readonly tf.Tensor2D[]): tf.Tensor2D | null {
  const terms: tf.Tensor2D[] = [];
  weights.forEach((w, i) => {
    if (w !== 0 && i < stages.length) terms.push(w === 1 ? stages[i] : (tf.mul(stages[i], w) as tf.Tensor2D));
  });
  if (terms.length === 0) return null;
  return terms.length === 1 ? terms[0] : (tf.addN(terms) as tf.Tensor2D);
}

/** One explicit Runge–Kutta attempt with per-sample step sizes. */
export function rungeKuttaAttempt(tableau: Tableau, rhs: FlatRhs, args: StepArgs): StepResult {
  const { u, k1, t, h } = args;
  const stages: tf.Tensor2D[] = [k1];
  const last = tableau.fsal ? tableau.a.length - 1 : tableau.a.length;
  for (let i = 0; i < last; i++) {
    const increment = combine(tableau.a[i], stages);
    const ui = increment === null ? u : (tf.add(u, tf.mul(increment, h)) as tf.Tensor2D);
    stages.push(rhs(ui, stageTime(t, h, tableau.c[i + 1])));
  }
  const slope = combine(tableau.b, stages) ?? tf.zerosLike(u);
  const uNew = tf.add(u, tf.mul(slope, h)) as tf.Tensor2D;
  let kNew: tf.Tensor2D | null = null;
  if (tableau.fsal || args.wantDerivative) {
    kNew = rhs(uNew, stageTime(t, h, 1));
    if (tableau.fsal) stages.push(kNew);
  }
  let error: tf.Tensor2D | null = null;
  if (args.wantError && tableau.errorWeights) {
    const e = combine(tableau.errorWeights, stages);
    error = e === null ? tf.zerosLike(u) : (tf.mul(e, h) as tf.Tensor2D);
  }
  return { uNew, kNew, error };
}

/** A stateless stepper for a Runge–Kutta tableau. */
export function rungeKuttaStepper(tableau: Tableau, rhs: FlatRhs): OdeStepper {
  return {
    errorOrder: tableau.errorWeights ? tableau.order - 1 : tableau.order,
    adaptive: tableau.errorWeights !== null,
    participants: (running) => running.slice(),
    attempt: (args) => rungeKuttaAttempt(tableau, rhs, args),
    accept: () => undefined,
    dispose: () => undefined,
  };
}

/**
 * Per-sample scaled error norm (Hairer's): RMS over elements of e / (abstol + reltol·max(|u|, |u₊|)).
 * A step is acceptable when it is ≤ 1.
 */
export function scaledErrorNorm(error: tf.Tensor2D, u: tf.Tensor2D, uNew: tf.Tensor2D, abstol: number, reltol: number): tf.Tensor1D {
  const scale = tf.add(tf.mul(tf.maximum(tf.abs(u), tf.abs(uNew)), reltol), abstol);
  return tf.sqrt(tf.mean(tf.square(tf.div(error, scale)), 1)) as tf.Tensor1D;
}
