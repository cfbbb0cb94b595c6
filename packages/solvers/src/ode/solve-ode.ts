import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { OptionError, parseOptions } from '@deqts/core-layers';
import { checkInitialState, flattenBatch, readColumnsTidy, uploadColumn, uploadMask } from '../internal/batch.js';
import type { OdeFunction, SolveStatus } from '../types.js';
import { OdeAlgorithm } from './algorithms.js';
import { BatchIntegrator, type StepView } from './integrator.js';
import type { FlatRhs } from './stepper.js';

const fields = z.strictObject({
  abstol: z.number().nonnegative().optional(),
  reltol: z.number().nonnegative().optional(),
  dt: z.number().positive().optional(),
  maxiters: z.number().int().positive().optional(),
  saveat: z.array(z.number()).optional(),
  fixedPointForm: z.boolean().default(false),
});

/**
 * Options of {@link solveOde}; each overrides the algorithm's own.
 *
 * @example
 * ```ts
 * import type { SolveOdeOptions } from '@deqts/solvers';
 * const opts: SolveOdeOptions = { abstol: 1e-8, reltol: 1e-8, saveat: [0.5, 1], fixedPointForm: true };
 * ```
 */
export type SolveOdeOptions = {
  /** Local-error absolute tolerance (adaptive methods). Default 1e-6. */
  readonly abstol?: number;
  /** Local-error relative tolerance (adaptive methods). Default 1e-3. */
  readonly reltol?: number;
  /** Fixed step (fixed-step methods; rounded down to split the span evenly) or first step. */
  readonly dt?: number;
  /** Step attempts allowed per sample. Default 10000. */
  readonly maxiters?: number;
  /**
   * Times (within the span) at which to also return the state. Values between steps come from
   * cubic Hermite interpolation of the step's end states and slopes (third-order accurate).
   */
  readonly saveat?: readonly number[];
  /**
   * When true, `f` is a fixed-point map and the integrated dynamics are du/dt = f(u, t) − u
   * (the neural-ODE form of DEQ layers, as MultiScaleNeuralODE uses). Default false: f is du/dt.
   */
  readonly fixedPointForm?: boolean;
};

/**
 * What {@link solveOde} returns; the caller owns `u` and the `saved` tensors.
 *
 * @example
 * ```ts
 * import type { OdeSolution } from '@deqts/solvers';
 * const release = (s: OdeSolution): void => { s.u.dispose(); s.saved?.u.forEach((t) => t.dispose()); };
 * ```
 */
export type OdeSolution = {
  /** Each sample's state at the end of the span (or where it stopped). */
  readonly u: tf.Tensor;
  /** Each sample's final time (t1 unless it stopped early). */
  readonly t: Float64Array;
  /** States at the `saveat` times, when requested. */
  readonly saved?: { readonly t: readonly number[]; readonly u: readonly tf.Tensor[] };
  /** Calls of f (each on the whole batch). */
  readonly nfe: number;
  /** Accepted steps per sample. */
  readonly steps: Int32Array;
  /** Rejected steps per sample. */
  readonly rejectedSteps: Int32Array;
  /** 'success' when every sample reached t1; else the most severe per-sample status. */
  readonly status: SolveStatus;
  readonly perSampleStatus: readonly SolveStatus[];
};

/**
 * Integrates du/dt = f(u, t) from t0 to t1 for a batch of independent initial states.
 *
 * `f(u, t)` receives the batched state and a [batch] tensor of each sample's time (adaptive
 * methods step each sample separately); autonomous dynamics can ignore `t`. With fixed steps
 * (Euler, RK4, or `adaptive: false`) every step is plain tfjs ops with no host reads until one
 * finiteness check at the end, so the solve can be differentiated through with tf.grad (backprop
 * through the solver steps). Adaptive steps read one small per-sample error vector per step; the
 * step-size decisions are then constants for autodiff, and the state still carries gradients.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { RK4, solveOde } from '@deqts/solvers';
 * const u0 = tf.tensor2d([[1, 0]]);                                    // harmonic oscillator
 * const f = (u: tf.Tensor) => tf.matMul(u, tf.tensor2d([[0, -1], [1, 0]]));
 * const sol = solveOde(f, u0, [0, Math.PI], new RK4({ dt: 0.01 }));
 * sol.u.print(); // ≈ [[-1, 0]]
 * ```
 */
export function solveOde(f: OdeFunction, u0: tf.Tensor, tspan: readonly [number, number], algorithm: OdeAlgorithm, options: SolveOdeOptions = {}): OdeSolution {
  checkInitialState(u0, 'solveOde');
  if (!(algorithm instanceof OdeAlgorithm)) {
    throw new OptionError(`solveOde: 'algorithm' must be an ODE algorithm (Tsit5, VCABM3, Euler, RK4), got ${String(algorithm)}`);
  }
  const opts = parseOptions(fields, options, 'solveOde');
  const [t0, t1] = tspan;
  if (!Number.isFinite(t0) || !Number.isFinite(t1) || t1 < t0) {
    throw new OptionError(`solveOde: 'tspan' must be [t0, t1] with finite t0 ≤ t1 (forward integration), got [${t0}, ${t1}]`);
  }
  const saveat = [...new Set(opts.saveat ?? [])].sort((a, b) => a - b);
  for (const s of saveat) if (s < t0 || s > t1) throw new OptionError(`solveOde: 'saveat' time ${s} lies outside tspan [${t0}, ${t1}]`);
  const a = algorithm.options;
  const dt = opts.dt ?? a.dt;
  if (!a.adaptive && dt === null) throw new OptionError(`solveOde: ${algorithm.name} needs option 'dt'`);
  const shape = u0.shape;
  const batch = shape[0];
  let nfe = 0;
  const rhs: FlatRhs = (u, t) => {
    nfe += 1;
    const du = tf.reshape(f(tf.reshape(u, shape), t), u.shape) as tf.Tensor2D;
    return opts.fixedPointForm ? (tf.sub(du, u) as tf.Tensor2D) : du;
  };
  const flat = flattenBatch(u0);
  const integrator = new BatchIntegrator(rhs, algorithm.createStepper(rhs, batch), flat, {
    adaptive: a.adaptive,
    dt,
    abstol: opts.abstol ?? a.abstol ?? 1e-6,
    reltol: opts.reltol ?? a.reltol ?? 1e-3,
    controller: a.controller,
    maxiters: opts.maxiters ?? a.maxiters ?? 10000,
    t0,
    t1,
    needDerivative: saveat.some((s) => s > t0),
  });
  const saved = new SavedStates(saveat, batch, t0, flat);
  flat.dispose();
  try {
    integrator.chooseInitialSteps();
    while (integrator.anyRunning()) {
      integrator.attempt(undefined, saved.size > 0 ? (before, after, accepted) => saved.record(before, after, accepted) : undefined);
    }
    const perSampleStatus = integrator.status.map((s) => s ?? 'maxiters');
    const [finite] = readColumnsTidy(() => [tf.cast(tf.all(tf.isFinite(integrator.u), 1), 'float32')]);
    for (let b = 0; b < batch; b++) if (!finite[b]) perSampleStatus[b] = 'nonfinite';
    const severity: SolveStatus[] = ['nonfinite', 'diverged', 'stalled', 'maxiters'];
    const status = severity.find((s) => perSampleStatus.includes(s)) ?? 'success';
    return {
      u: tf.reshape(integrator.u, shape),
      t: integrator.t.slice(),
      ...(saved.size > 0 ? { saved: { t: saveat, u: saved.take(shape) } } : {}),
      nfe,
      steps: integrator.acceptedSteps.slice(),
      rejectedSteps: integrator.rejectedSteps.slice(),
      status,
      perSampleStatus,
    };
  } finally {
    integrator.dispose();
    saved.dispose();
  }
}

/** States at requested times, filled per sample as each sample's steps pass them. */
class SavedStates {
  private readonly slots: (tf.Tensor2D | null)[];
  private readonly done: Uint8Array[];

  constructor(
    private readonly times: readonly number[],
    batch: number,
    t0: number,
    u0: tf.Tensor2D,
  ) {
    this.slots = times.map((s) => (s === t0 ? tf.keep(tf.clone(u0)) : null));
    this.done = times.map((s) => new Uint8Array(batch).fill(s === t0 ? 1 : 0));
  }

  get size(): number {
    return this.times.length;
  }

  /** Interpolates every pending save time that an accepted step crossed (cubic Hermite). */
  record(before: StepView, after: StepView, accepted: Uint8Array): void {
    this.times.forEach((s, i) => {
      const theta = new Float64Array(accepted.length);
      const hit = new Uint8Array(accepted.length);
      const h = new Float64Array(accepted.length);
      for (let b = 0; b < accepted.length; b++) {
        if (!accepted[b] || this.done[i][b] || !(s > before.t[b] && s <= after.t[b])) continue;
        h[b] = after.t[b] - before.t[b];
        theta[b] = (s - before.t[b]) / h[b];
        hit[b] = 1;
        this.done[i][b] = 1;
      }
      if (!hit.some((x) => x === 1)) return;
      const value = hermite(before, after, theta, h);
      const mask = uploadMask(hit, value.shape[1]);
      const previous = this.slots[i];
      this.slots[i] = tf.keep(tf.where(mask, value, previous ?? tf.fill(value.shape, NaN)) as tf.Tensor2D);
      previous?.dispose();
    });
  }

  /** The saved states (NaN rows for samples that stopped before a save time). */
  take(shape: readonly number[]): tf.Tensor[] {
    return this.slots.map((slot) => (slot ? tf.reshape(slot, [...shape]) : tf.fill([...shape], NaN)));
  }

  dispose(): void {
    for (const slot of this.slots) slot?.dispose();
  }
}

function hermite(before: StepView, after: StepView, thetaHost: Float64Array, hHost: Float64Array): tf.Tensor2D {
  const theta = uploadColumn(thetaHost);
  const h = uploadColumn(hHost);
  const th2 = tf.square(theta);
  const th3 = tf.mul(th2, theta);
  const h00 = tf.add(tf.sub(tf.mul(th3, 2), tf.mul(th2, 3)), 1);
  const h10 = tf.add(tf.sub(th3, tf.mul(th2, 2)), theta);
  const h01 = tf.sub(tf.mul(th2, 3), tf.mul(th3, 2));
  const h11 = tf.sub(th3, th2);
  const k0 = before.k ?? tf.zerosLike(before.u);
  const k1 = after.k ?? tf.zerosLike(after.u);
  return tf.addN([tf.mul(before.u, h00), tf.mul(tf.mul(k0, h), h10), tf.mul(after.u, h01), tf.mul(tf.mul(k1, h), h11)]) as tf.Tensor2D;
}
