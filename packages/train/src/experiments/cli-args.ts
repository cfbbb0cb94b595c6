import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { OptionError, parseOptionsEither } from '@deqts/core-layers';
import { ExperimentOptionsSchema, type ExperimentOptions } from './config.js';

const camel = (flag: string): string => flag.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
const kebab = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The valid flags, for error messages and --help. */
export const VALID_FLAGS = Object.keys(ExperimentOptionsSchema.shape).map((k) => `--${kebab(k)}`);

const NUMERIC = new Set(['epochs', 'batchSize', 'trainSize', 'testSize', 'learningRate', 'tolerance', 'seed']);

/**
 * Parses `--flag value` / `--flag=value` arguments into validated runner options, as an fp-ts
 * Either. An unknown flag is an OptionError listing the valid ones.
 *
 * @example
 * ```ts
 * import { parseExperimentArgs } from '@deqts/train';
 * const r = parseExperimentArgs(['--experiment', 'mnist-dense', '--profile', 'quick']);
 * ```
 */
export function parseExperimentArgs(argv: readonly string[]): E.Either<OptionError, ExperimentOptions> {
  const raw: Record<string, unknown> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) return E.left(new OptionError(`deqts-experiment: unexpected argument '${arg}'; flags look like --experiment mnist-dense`));
    const [name, inline] = arg.slice(2).split('=', 2);
    const key = camel(name);
    if (!(key in ExperimentOptionsSchema.shape)) {
      return E.left(new OptionError(`deqts-experiment: unknown flag '--${name}'; valid flags: ${VALID_FLAGS.join(', ')}`));
    }
    const value = inline ?? argv[++i];
    if (value === undefined) return E.left(new OptionError(`deqts-experiment: flag '--${name}' needs a value`));
    raw[key] = key === 'variants' ? value.split(',') : NUMERIC.has(key) ? Number(value) : value;
  }
  return pipe(
    parseOptionsEither(ExperimentOptionsSchema, raw, 'deqts-experiment'),
    E.mapLeft((e) => new OptionError(`${e.detail} (valid flags: ${VALID_FLAGS.join(', ')})`)),
  );
}
