import { z } from 'zod';
import { OptionError } from '../core/errors.js';

/** zod schema for an activation option: a name or a function (names are checked on resolve). */
export const activationSchema = z.union([z.string(), z.custom<(x: unknown) => unknown>((v) => typeof v === 'function', 'must be an activation name or a function')]);

/** zod schema for an initialiser option: a function `(rng, shape) => tensor`. */
export const initializerSchema = z.custom<(...args: unknown[]) => unknown>((v) => typeof v === 'function', 'must be an initializer function (rng, shape) => tensor');

/** zod schema for a positive integer. */
export const positiveIntSchema = z.number().int().positive();

/** Throws an OptionError unless `value` is a positive integer. */
export function positiveInt(owner: string, argument: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new OptionError(`${owner}: argument '${argument}' must be a positive integer, got ${String(value)}`);
  }
}
