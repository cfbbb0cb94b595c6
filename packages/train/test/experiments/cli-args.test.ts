import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { OptionError } from '@deqts/core-layers';
import { parseExperimentArgs } from '../../src/experiments/cli-args.js';
import { resolveConfig } from '../../src/experiments/config.js';

const parse = (argv: string[]) => parseExperimentArgs(argv);

describe('deqts-experiment options', () => {
  it('parses flags and applies the profile defaults', () => {
    const r = parse(['--experiment', 'mnist-dense', '--profile=paper', '--variants', 'skip,skipreg', '--jacobian', 'on', '--seed', '3']);
    expect(E.isRight(r)).toBe(true);
    if (E.isLeft(r)) return;
    const c = resolveConfig(r.right);
    expect(c.variants).toEqual(['skip', 'skipreg']);
    expect(c.jacobian).toEqual([true]);
    expect(c.epochs).toBe(25); // the paper's MNIST FC settings
    expect(c.batchSize).toBe(32);
    expect(c.solver).toBe('tsit5');
    expect(c.tolerance).toBe(5e-3);
    const quick = resolveConfig((parse([]) as E.Right<never>).right);
    expect(quick.profile).toBe('quick');
    expect(quick.experiment).toBe('mnist-dense');
    expect(quick.trainSize).toBeLessThan(60000);
  });

  it('rejects an unknown flag with the list of valid ones', () => {
    const r = parse(['--epoch', '3']);
    expect(E.isLeft(r)).toBe(true);
    if (E.isRight(r)) return;
    expect(r.left).toBeInstanceOf(OptionError);
    expect(r.left.message).toMatch(/unknown flag '--epoch'/);
    expect(r.left.message).toMatch(/--epochs/);
    expect(r.left.message).toMatch(/--experiment/);
  });

  it('rejects invalid values naming the option', () => {
    const bad = [
      [['--experiment', 'imagenet'], /experiment/],
      [['--epochs', '0'], /epochs/],
      [['--epochs', 'many'], /epochs/],
      [['--variants', 'vanilla,huge'], /variants/],
      [['--solver', 'magic'], /solver/],
      [['--profile'], /needs a value/],
      [['stray'], /unexpected argument/],
    ] as const;
    for (const [argv, pattern] of bad) {
      const r = parse([...argv]);
      expect(E.isLeft(r), argv.join(' ')).toBe(true);
      if (E.isLeft(r)) expect(r.left.message).toMatch(pattern);
    }
  });
});
