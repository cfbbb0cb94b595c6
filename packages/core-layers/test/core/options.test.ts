import { z } from 'zod';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { OptionError, parseOptions, parseOptionsEither } from '@deqts/core-layers';

const schema = z.strictObject({ maxiters: z.number().int().positive().default(10), tol: z.number().positive().default(1e-3), name: z.string().optional() });

describe('parseOptions', () => {
  it('fills defaults and names the option and its owner in errors, as Either or thrown', () => {
    expect(parseOptions(schema, {}, 'Solver')).toEqual({ maxiters: 10, tol: 1e-3 });
    expect(parseOptions(schema, undefined, 'Solver')).toEqual({ maxiters: 10, tol: 1e-3 });
    const bad = parseOptionsEither(schema, { maxiters: -1 }, 'Solver');
    expect(E.isLeft(bad) && bad.left.message).toMatch(/Solver: option 'maxiters'/);
    expect(() => parseOptions(schema, { maxiters: 2.5 }, 'Solver')).toThrow(OptionError);
    expect(() => parseOptions(schema, { maxIters: 3 }, 'Solver')).toThrow(/unknown option 'maxIters'/);
  });

  it('the same primitive options again give an equal, separate result; different or invalid ones are parsed afresh', () => {
    const first = parseOptions(schema, { maxiters: 5, name: 'a' }, 'Solver');
    const again = parseOptions(schema, { maxiters: 5, name: 'a' }, 'Solver');
    expect(again).toEqual({ maxiters: 5, tol: 1e-3, name: 'a' });
    expect(again).not.toBe(first);
    (again as { maxiters: number }).maxiters = 99; // a caller changing its copy changes nothing later
    expect(parseOptions(schema, { maxiters: 5, name: 'a' }, 'Solver').maxiters).toBe(5);
    expect(parseOptions(schema, { maxiters: 6, name: 'a' }, 'Solver').maxiters).toBe(6);
    expect(parseOptions(schema, { maxiters: 5 }, 'Solver')).toEqual({ maxiters: 5, tol: 1e-3 });
    expect(() => parseOptions(schema, { maxiters: 5, name: 'a', extra: 1 }, 'Solver')).toThrow(/unknown option 'extra'/);
    expect(() => parseOptions(schema, { maxiters: -5, name: 'a' }, 'Solver')).toThrow(/maxiters/);
    // options holding objects are always parsed (a shallow copy would share them)
    const nested = z.strictObject({ list: z.array(z.number()).default([]) });
    const a = parseOptions(nested, {}, 'Nested');
    const b = parseOptions(nested, {}, 'Nested');
    expect(b).toEqual(a);
    expect(() => parseOptions(nested, { list: ['x'] }, 'Nested')).toThrow(/list/);
  });
});
