import { z } from 'zod';
import { OptionError, ShapeError } from '../../core/errors.js';

/** A size along the two spatial axes: one number for both, or `[height, width]`. */
export type Pair = number | readonly [number, number];

/**
 * Padding of the two spatial axes, as in Lux's `pad`:
 * - a number: the same on every side;
 * - `[ph, pw]`: `ph` above and below, `pw` left and right;
 * - `[top, bottom, left, right]`: asymmetric;
 * - `'same'`: Lux's `SamePad()`: `k_eff − 1` in total per axis (`k_eff = k + (k−1)(d−1)`), the odd
 *   one on the top/left side, so stride 1 keeps the size and stride s gives `ceil(in / s)`;
 * - `'valid'`: no padding (the same as 0).
 */
export type Padding = number | readonly [number, number] | readonly [number, number, number, number] | 'same' | 'valid';

/** Padding resolved to `[top, bottom, left, right]`. */
export type Sides = readonly [number, number, number, number];

const nonNegativeInt = z.number().int().nonnegative();
const positiveInt = z.number().int().positive();

/** zod schema of a positive {@link Pair} (strides, dilations, windows). */
export const pairSchema = z.union([positiveInt, z.tuple([positiveInt, positiveInt])]);

/** zod schema of a {@link Padding}. */
export const paddingSchema = z.union([
  nonNegativeInt,
  z.tuple([nonNegativeInt, nonNegativeInt]),
  z.tuple([nonNegativeInt, nonNegativeInt, nonNegativeInt, nonNegativeInt]),
  z.literal('same'),
  z.literal('valid'),
]);

/** A {@link Pair} as `[height, width]`. */
export function expandPair(value: Pair): [number, number] {
  return typeof value === 'number' ? [value, value] : [value[0], value[1]];
}

/**
 * Validates a positional size argument (a kernel or window) and expands it to `[height, width]`;
 * anything but one positive integer or two is an OptionError naming the argument.
 */
export function spatialArgument(owner: string, argument: string, value: unknown): [number, number] {
  const parsed = pairSchema.safeParse(value);
  if (!parsed.success) {
    throw new OptionError(
      `${owner}: argument '${argument}' must be a positive integer or [height, width] of positive integers, got ${JSON.stringify(value)}`,
    );
  }
  return expandPair(parsed.data);
}

/** Effective extent of a dilated kernel: `k + (k − 1)(d − 1)`. */
export function effectiveKernel(kernel: readonly [number, number], dilation: readonly [number, number]): [number, number] {
  return [kernel[0] + (kernel[0] - 1) * (dilation[0] - 1), kernel[1] + (kernel[1] - 1) * (dilation[1] - 1)];
}

/**
 * Resolves a {@link Padding} to `[top, bottom, left, right]`. `'same'` follows Lux's
 * `calc_padding(SamePad(), k, dilation, stride)`: the total is `k_eff − 1`, split `ceil` before and
 * `floor` after; it does not depend on the stride.
 */
export function resolvePadding(padding: Padding, kernel: readonly [number, number], dilation: readonly [number, number]): Sides {
  if (padding === 'valid') return [0, 0, 0, 0];
  if (padding === 'same') {
    const [eh, ew] = effectiveKernel(kernel, dilation);
    return [Math.ceil((eh - 1) / 2), Math.floor((eh - 1) / 2), Math.ceil((ew - 1) / 2), Math.floor((ew - 1) / 2)];
  }
  if (typeof padding === 'number') return [padding, padding, padding, padding];
  if (padding.length === 2) return [padding[0], padding[0], padding[1], padding[1]];
  return [padding[0], padding[1], padding[2], padding[3]];
}

/**
 * Output size of a convolution or pooling along one axis (Lux's formula):
 * `floor((in + pLo + pHi − d(k − 1) − 1) / s) + 1`.
 */
export function convOutputSize(size: number, kernel: number, stride: number, padLo: number, padHi: number, dilation = 1): number {
  return Math.floor((size + padLo + padHi - dilation * (kernel - 1) - 1) / stride) + 1;
}

/**
 * Output size of a transposed convolution along one axis (Lux's `conv_transpose_dims`):
 * `(in − 1)s + 1 + d(k − 1) − pLo − pHi + outputPadding`.
 */
export function convTransposeOutputSize(
  size: number,
  kernel: number,
  stride: number,
  padLo: number,
  padHi: number,
  dilation: number,
  outputPadding: number,
): number {
  return (size - 1) * stride + 1 + dilation * (kernel - 1) - padLo - padHi + outputPadding;
}

const fmt = (values: readonly (number | string)[]): string => `[${values.join(', ')}]`;

/**
 * The spatial output size of a window sliding over `[height, width]`; throws a ShapeError naming
 * the layer when the (padded) input is smaller than the window.
 */
export function slidingOutputShape(
  label: string,
  input: readonly number[],
  kernel: readonly [number, number],
  stride: readonly [number, number],
  sides: Sides,
  dilation: readonly [number, number] = [1, 1],
): [number, number] {
  const oh = convOutputSize(input[1], kernel[0], stride[0], sides[0], sides[1], dilation[0]);
  const ow = convOutputSize(input[2], kernel[1], stride[1], sides[2], sides[3], dilation[1]);
  if (oh < 1 || ow < 1) {
    const [eh, ew] = effectiveKernel(kernel, dilation);
    throw new ShapeError(
      `${label}: input of shape ${fmt(input)} is too small: its padded height and width ` +
        `[${input[1] + sides[0] + sides[1]}, ${input[2] + sides[2] + sides[3]}] must be at least the ` +
        `effective window [${eh}, ${ew}]`,
    );
  }
  return [oh, ow];
}

/** Formats a `[height, width]` pair for a description: `2` when both are equal, else `[2, 3]`. */
export function formatPair(value: readonly [number, number]): string {
  return value[0] === value[1] ? String(value[0]) : fmt(value);
}

/** Formats resolved padding for a description, as compactly as it allows. */
export function formatSides(sides: Sides): string {
  const [t, b, l, r] = sides;
  if (t === b && l === r) return formatPair([t, l]);
  return fmt(sides);
}

/** True when every side is 0. */
export function noPadding(sides: Sides): boolean {
  return sides.every((p) => p === 0);
}
