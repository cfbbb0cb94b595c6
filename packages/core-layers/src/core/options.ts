import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import type { z } from 'zod';
import { OptionError } from './errors.js';

function describeIssue(issue: z.core.$ZodIssue, owner: string): string {
  const path = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    return `${owner}: unknown option${issue.keys.length > 1 ? 's' : ''} ${issue.keys
      .map((k) => `'${k}'`)
      .join(', ')}`;
  }
  return `${owner}: option '${path || '(options)'}' ${issue.message}`;
}

/**
 * Validates a user-facing options object with a zod schema, as an fp-ts `Either`: `Right` with the
 * parsed options (defaults filled in) or `Left` with an {@link OptionError} naming the option.
 *
 * @example
 * ```ts
 * import { z } from 'zod';
 * import * as E from 'fp-ts/lib/Either.js';
 * import { parseOptionsEither } from '@deqts/core-layers';
 * const schema = z.strictObject({ maxiters: z.number().int().positive().default(10) });
 * const r = parseOptionsEither(schema, { maxiters: -1 }, 'Broyden');
 * if (E.isLeft(r)) console.log(r.left.message); // "Broyden: option 'maxiters' ..."
 * ```
 */
export function parseOptionsEither<S extends z.ZodType>(
  schema: S,
  value: unknown,
  owner: string,
): E.Either<OptionError, z.output<S>> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return E.right(result.data);
  const lines = result.error.issues.map((issue) => describeIssue(issue, owner));
  return E.left(new OptionError(lines.join('; ')));
}

/**
 * Like {@link parseOptionsEither} but throws the {@link OptionError}. Used by every constructor
 * that takes an options object.
 *
 * @example
 * ```ts
 * import { z } from 'zod';
 * import { parseOptions } from '@deqts/core-layers';
 * const opts = parseOptions(z.strictObject({ p: z.number().default(0.5) }), {}, 'Dropout');
 * console.log(opts.p); // 0.5
 * ```
 */
export function parseOptions<S extends z.ZodType>(schema: S, value: unknown, owner: string): z.output<S> {
  const cached = lastParse.get(schema);
  if (cached && sameFlatOptions(cached.input, value ?? {})) return { ...(cached.output as object) } as z.output<S>;
  const output = pipe(
    parseOptionsEither(schema, value, owner),
    E.getOrElse<OptionError, z.output<S>>((error) => {
      throw error;
    }),
  );
  // options of primitives only (most, e.g. a training step's { replay: true } every step) are
  // remembered per schema, so the same options again skip zod; a copy is handed out each time
  const input = value ?? {};
  if (isFlat(input) && isFlat(output)) lastParse.set(schema, { input: { ...(input as object) }, output: { ...(output as object) } });
  return output;
}

/** Per schema, the last options parsed whose input and output hold only primitive values. */
const lastParse = new WeakMap<z.ZodType, { input: object; output: object }>();

/** A plain object whose own values are all primitives (so a shallow copy is a full copy). */
function isFlat(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return false;
  for (const k of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[k];
    if (v !== null && (typeof v === 'object' || typeof v === 'function')) return false;
  }
  return true;
}

/** Whether `value` is a flat object with exactly `remembered`'s keys and values. */
function sameFlatOptions(remembered: object, value: unknown): boolean {
  if (!isFlat(value)) return false;
  const keys = Object.keys(remembered);
  if (Object.keys(value).length !== keys.length) return false;
  for (const k of keys) if (!Object.hasOwn(value, k) || !Object.is((value as Record<string, unknown>)[k], (remembered as Record<string, unknown>)[k])) return false;
  return true;
}
