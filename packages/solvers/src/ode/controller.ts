import * as tf from '@tensorflow/tfjs-core';
import { readColumns, uploadColumn } from '../internal/batch.js';
import type { FlatRhs } from './stepper.js';

/** Step-size controller settings (internal), as OrdinaryDiffEq's PIController. */
export type ControllerSettings = {
  /** Gain on the current error, default 7/(10·order). */
  readonly beta1: number;
  /** Gain on the previous accepted error, default 2/(5·order). */
  readonly beta2: number;
  /** Smallest and largest step ratio per step, defaults 0.2 and 10. */
  readonly qmin: number;
  readonly qmax: number;
  /** Safety factor, default 0.9. */
  readonly safety: number;
  readonly dtmin: number;
  readonly dtmax: number;
};

/** Error assumed for the step before the first (OrdinaryDiffEq's qoldinit). */
export const INITIAL_PREVIOUS_ERROR = 1e-4;

/**
 * PI step-size control for one sample: after an accepted step with scaled error `err` (≤ 1) and
 * previous accepted error `errPrev`, the next step is h·γ·errPrev^β₂/err^β₁, the factor clamped
 * to [qmin, qmax].
 */
export function nextStepAfterAccept(h: number, err: number, errPrev: number, s: ControllerSettings): number {
  const q = err ** s.beta1 / errPrev ** s.beta2 / s.safety;
  const clamped = Math.min(1 / s.qmin, Math.max(1 / s.qmax, Number.isFinite(q) ? q : 1 / s.qmin));
  return Math.min(s.dtmax, h / clamped);
}

/** After a rejected step: h / min(1/qmin, err^β₁/γ) (a NaN/Inf error shrinks by qmin). */
export function nextStepAfterReject(h: number, err: number, s: ControllerSettings): number {
  const q = Number.isFinite(err) ? err ** s.beta1 / s.safety : Infinity;
  return h / Math.min(1 / s.qmin, Math.max(q, 1));
}

/**
 * Hairer's starting step (Solving ODEs I, §II.4), per sample: from d₀ = ‖u₀‖, d₁ = ‖F(u₀)‖ (scaled
 * norms) take h₀ = 0.01·d₀/d₁, probe F(u₀ + h₀F(u₀)), and choose h₁ with h₁^(q+1)·max(d₁, d₂) = 0.01,
 * where d₂ estimates the second derivative; h = min(100·h₀, h₁). One extra F-evaluation.
 */
export function initialStepSizes(
  rhs: FlatRhs,
  u0: tf.Tensor2D,
  k1: tf.Tensor2D,
  t0: tf.Tensor2D,
  order: number,
  abstol: number,
  reltol: number,
  span: Float64Array,
): Float64Array {
  const out = new Float64Array(span.length);
  tf.tidy(() => {
    const scale = tf.add(tf.mul(tf.abs(u0), reltol), abstol);
    const norm = (x: tf.Tensor): tf.Tensor1D => tf.sqrt(tf.mean(tf.square(tf.div(x, scale)), 1)) as tf.Tensor1D;
    const [d0, d1] = readColumns([norm(u0), norm(k1)]);
    const batch = d0.length;
    const h0 = new Float64Array(batch);
    for (let b = 0; b < batch; b++) {
      h0[b] = d0[b] < 1e-5 || d1[b] < 1e-5 || !Number.isFinite(d0[b] / d1[b]) ? 1e-6 : (0.01 * d0[b]) / d1[b];
      h0[b] = Math.min(h0[b], span[b]);
    }
    const h0Col = uploadColumn(h0);
    const u1 = tf.add(u0, tf.mul(k1, h0Col)) as tf.Tensor2D;
    const k2 = rhs(u1, tf.reshape(tf.add(t0, h0Col), [batch]) as tf.Tensor1D);
    const [d2raw] = readColumns([norm(tf.sub(k2, k1))]);
    for (let b = 0; b < batch; b++) {
      const d2 = d2raw[b] / h0[b];
      const big = Math.max(d1[b], d2);
      const h1 = big <= 1e-15 || !Number.isFinite(big) ? Math.max(1e-6, h0[b] * 1e-3) : (0.01 / big) ** (1 / (order + 1));
      out[b] = Math.min(100 * h0[b], h1, span[b]);
    }
  });
  return out;
}
