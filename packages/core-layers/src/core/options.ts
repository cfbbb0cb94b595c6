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
  return pipe(
    parseOptionsEither(schema, value, owner),
    E.getOrElse<OptionError, z.output<S>>((error) => {
      throw error;
    }),
  );
}
