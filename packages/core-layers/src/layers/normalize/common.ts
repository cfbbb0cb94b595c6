import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { ShapeError, StateStructureError } from '../../core/errors.js';
import { ones, zeros, type Initializer } from '../../init/initializers.js';
import { activationName, resolveActivation, type Activation, type ActivationFunction } from '../activations.js';
import { activationSchema, initializerSchema } from '../schemas.js';

/** The options every normalisation layer shares (zod fields; spread into each layer's schema). */
export const normalizationFields = {
  activation: activationSchema.optional(),
  epsilon: z.number().positive().default(1e-5),
  affine: z.boolean().default(true),
  initScale: initializerSchema.optional(),
  initBias: initializerSchema.optional(),
};

/** The running-statistics options of BatchNorm and InstanceNorm (zod fields). */
export const runningStatisticsFields = {
  trackStats: z.boolean(),
  momentum: z.number().min(0).max(1).default(0.1),
};

/** Options shared by the normalisation layers. */
export type NormalizationOptions = {
  /** Activation applied after normalising (name or function). Default identity. */
  readonly activation?: Activation;
  /** Added to the variance before the square root. Default 1e-5 (Lux). */
  readonly epsilon?: number;
  /** Learn a per-channel (per-element for LayerNorm) `scale` and `bias`. Default true. */
  readonly affine?: boolean;
  /** Initialiser of `scale`. Default ones. */
  readonly initScale?: Initializer;
  /** Initialiser of `bias`. Default zeros. */
  readonly initBias?: Initializer;
};

/** Affine parameters of a normalisation layer (absent when `affine` is false). */
export type AffineParams = { readonly scale?: tf.Tensor; readonly bias?: tf.Tensor };

/** Resolved shared options: the activation function, its display name and the initialisers. */
export type ResolvedNormalization = {
  readonly act: ActivationFunction;
  readonly actName: string;
  readonly epsilon: number;
  readonly affine: boolean;
  readonly initScale: Initializer;
  readonly initBias: Initializer;
};

/** Resolves the shared options parsed by zod. */
export function resolveNormalization(
  opts: { activation?: unknown; epsilon: number; affine: boolean; initScale?: unknown; initBias?: unknown },
  owner: string,
): ResolvedNormalization {
  const activation = opts.activation as Activation | undefined;
  return {
    act: resolveActivation(activation, owner),
    actName: activationName(activation),
    epsilon: opts.epsilon,
    affine: opts.affine,
    initScale: (opts.initScale as Initializer | undefined) ?? ones(),
    initBias: (opts.initBias as Initializer | undefined) ?? zeros(),
  };
}

/**
 * The description's extra parts: the activation (when not identity) followed by the given
 * non-default settings, e.g. `, relu, affine=false`.
 */
export function describeExtras(actName: string, settings: readonly (string | false)[]): string {
  const parts = [actName === 'identity' ? false : actName, ...settings].filter((s): s is string => s !== false);
  return parts.map((p) => `, ${p}`).join('');
}

/**
 * Mean and biased variance over `axes` (kept as size-1 axes), written with explicit
 * differentiable ops: mean, centred square, mean. (tfjs's `moments` + `batchNorm` route does not
 * differentiate reliably; see FACTS.md.)
 */
export function explicitMoments(x: tf.Tensor, axes: readonly number[]): { mean: tf.Tensor; centered: tf.Tensor; variance: tf.Tensor } {
  const mean = tf.mean(x, [...axes], true);
  const centered = tf.sub(x, mean);
  const variance = tf.mean(tf.square(centered), [...axes], true);
  return { mean, centered, variance };
}

/**
 * `act(centered · rsqrt(variance + ε) · scale + bias)`, with scale and bias optional and
 * broadcast against `centered`.
 */
export function normalizeCentered(
  centered: tf.Tensor,
  variance: tf.Tensor,
  epsilon: number,
  act: ActivationFunction,
  scale?: tf.Tensor,
  bias?: tf.Tensor,
): tf.Tensor {
  let y = tf.mul(centered, tf.rsqrt(tf.add(variance, epsilon)));
  if (scale) y = tf.mul(y, scale);
  if (bias) y = tf.add(y, bias);
  return act(y);
}

/**
 * Lux's running-statistics update (LuxLib `update_running_statistics`):
 * `rμ' = (1−m)·rμ + m·μ`, `rσ²' = (1−m)·rσ² + m·n/(n−1)·σ²` with σ² the biased batch variance
 * and n the number of values each statistic was computed from.
 */
export function updateRunningStatistics(
  runningMean: tf.Tensor,
  runningVar: tf.Tensor,
  mean: tf.Tensor,
  variance: tf.Tensor,
  momentum: number,
  count: number,
): { runningMean: tf.Tensor1D; runningVar: tf.Tensor1D } {
  const correction = count / (count - 1);
  return {
    runningMean: tf.add(tf.mul(runningMean, 1 - momentum), tf.mul(tf.reshape(mean, [-1]), momentum)) as tf.Tensor1D,
    runningVar: tf.add(tf.mul(runningVar, 1 - momentum), tf.mul(tf.reshape(variance, [-1]), momentum * correction)) as tf.Tensor1D,
  };
}

/** Throws a ShapeError unless `x` is a tensor of rank ≥ `minRank` whose last axis is `channels`. */
export function expectChannelsLast(x: unknown, label: string, channels: number, minRank: number): asserts x is tf.Tensor {
  const ok = x instanceof tf.Tensor && x.rank >= minRank && x.shape[x.rank - 1] === channels;
  if (!ok) {
    const expected = minRank <= 2 ? `[batch, …, ${channels}]` : `[batch, ${Array.from({ length: minRank - 2 }, () => 'spatial').join(', ')}, …, ${channels}]`;
    const got = x instanceof tf.Tensor ? `[${x.shape.join(', ')}]` : typeof x;
    throw new ShapeError(`${label} expects input of shape ${expected} (channels last, rank ≥ ${minRank}), got ${got}`);
  }
}

/** The product of the sizes of `axes` of `shape`. */
export function sizeOf(shape: readonly number[], axes: readonly number[]): number {
  return axes.reduce((n, a) => n * shape[a], 1);
}

/**
 * The `training` flag of a state, checked to be a boolean (a StateStructureError otherwise, e.g.
 * for a state built for another layer).
 */
export function readTrainingFlag(st: { readonly training?: unknown }, label: string): boolean {
  if (typeof st.training !== 'boolean') {
    throw new StateStructureError(
      `${label}: state 'training' must be true or false, got ${String(st.training)}; use trainmode(st) / testmode(st) to set it`,
    );
  }
  return st.training;
}

/** 0, 1, …, n−1. */
export function range(n: number, start = 0): number[] {
  return Array.from({ length: Math.max(0, n - start) }, (_, i) => start + i);
}

/**
 * Resolves the axes of option `option` against an input of rank `rank` (negative counts from the
 * end), sorted and without repeats; an axis out of range is a ShapeError naming the valid range.
 */
export function resolveAxes(axes: readonly number[], rank: number, label: string, option: string): number[] {
  const out = new Set<number>();
  for (const axis of axes) {
    if (axis < -rank || axis >= rank) {
      throw new ShapeError(
        `${label}: axis ${axis} of option '${option}' is out of range for an input of rank ${rank} (valid: ${-rank} … ${rank - 1})`,
      );
    }
    out.add(axis < 0 ? axis + rank : axis);
  }
  return [...out].sort((a, b) => a - b);
}
