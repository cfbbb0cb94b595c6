import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { OptionError, ShapeError, StateStructureError } from '../../core/errors.js';
import { Xoshiro } from '../../core/rng.js';
import { resolveAxes } from '../normalize/common.js';

/** zod schema of the dropout options: `dims`, the axes along which the mask varies. */
export const DropoutSchema = z.strictObject({
  dims: z.union([z.number().int(), z.array(z.number().int()).min(1)]).optional(),
});

/** Options of the dropout layers. */
export type DropoutOptions = {
  /**
   * The input axes along which the mask varies (negative counts from the end); along the others
   * one draw is shared (Lux's `dims`). Default: every axis. E.g. `{ dims: [0, -1] }` on NHWC
   * drops whole channels per sample ("2D dropout").
   */
  readonly dims?: number | readonly number[];
};

/** Checks the drop probability argument `p` ∈ [0, 1]. */
export function checkProbability(owner: string, p: unknown): asserts p is number {
  if (typeof p !== 'number' || !Number.isFinite(p) || p < 0 || p > 1) {
    throw new OptionError(`${owner}: argument 'p' (the drop probability) must be a number in [0, 1], got ${String(p)}`);
  }
}

/** The description suffix of the dims option. */
export function describeDims(dims: number | readonly number[] | undefined): string {
  if (dims === undefined) return '';
  return `, dims=${typeof dims === 'number' ? dims : `[${dims.join(', ')}]`}`;
}

/** The shape of the mask for input shape `shape`: the sizes along `dims`, 1 elsewhere. */
export function dropoutMaskShape(shape: readonly number[], dims: number | readonly number[] | undefined, label: string): number[] {
  if (dims === undefined) return [...shape];
  const kept = resolveAxes(typeof dims === 'number' ? [dims] : dims, shape.length, label, 'dims');
  return shape.map((d, i) => (kept.includes(i) ? d : 1));
}

/**
 * A dropout mask drawn from `rng` (advancing it): each entry is 1/(1−p) with probability 1−p
 * (a uniform draw above p, as LuxLib) and 0 otherwise. Drawn on the host, so the same rng gives
 * the same mask on every backend.
 */
export function drawDropoutMask(rng: Xoshiro, shape: readonly number[], p: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const keep = p >= 1 ? 0 : 1 / (1 - p);
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = rng.uniform() > p ? keep : 0;
  return tf.tensor(values, [...shape], 'float32');
}

/** The state's rng, checked to be a {@link Xoshiro}. */
export function readRng(st: { readonly rng?: unknown }, label: string): Xoshiro {
  if (!(st.rng instanceof Xoshiro)) {
    throw new StateStructureError(`${label}: state 'rng' must be a Xoshiro generator, got ${typeof st.rng}; pass the state that setup() returned`);
  }
  return st.rng;
}

/** Throws a ShapeError unless `x` is a float32 tensor. */
export function expectFloatTensor(x: unknown, label: string): asserts x is tf.Tensor {
  if (!(x instanceof tf.Tensor) || x.dtype !== 'float32') {
    const got = x instanceof tf.Tensor ? `a ${x.dtype} tensor of shape [${x.shape.join(', ')}]` : typeof x;
    throw new ShapeError(`${label} expects a float32 tensor, got ${got}`);
  }
}
