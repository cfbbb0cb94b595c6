import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { OptionError, ShapeError } from '@deqts/core-layers';
import {
  Anderson,
  Broyden,
  Euler,
  FixedPointIteration,
  LimitedMemoryBroyden,
  NewtonRaphson,
  RK4,
  Tsit5,
  VCABM3,
  gmres,
  solveOde,
  solveSteadyState,
  type SteadyStateAlgorithm,
} from '@deqts/solvers';
import { describeBackends } from '../../../test/utils/index.js';

/** Expects `fn` to throw an OptionError whose message names `option`. */
function expectOptionError(fn: () => unknown, option: string): void {
  let caught: unknown = null;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, `expected an OptionError naming '${option}'`).toBeInstanceOf(OptionError);
  expect((caught as Error).message).toContain(option);
}

type Ctor = new (options?: never) => unknown;
const construct = (C: Ctor, options: Record<string, unknown>) => () => new C(options as never);

const TERMINATION_BAD: readonly [string, unknown][] = [
  ['abstol', -1],
  ['reltol', 'small'],
  ['maxiters', 1.5],
  ['terminationMode', 'absolute'],
  ['norm', 'l1'],
  ['checkEvery', 0],
  ['divergenceThreshold', 0.5],
  ['stallWindow', -1],
  ['stallTolerance', 2],
];

describe('option validation (typed errors naming the option)', () => {
  const rootFinders: readonly [string, Ctor, readonly [string, unknown][]][] = [
    ['FixedPointIteration', FixedPointIteration as Ctor, [['damping', 0], ['damping', 3]]],
    ['Anderson', Anderson as Ctor, [['memory', 0], ['memory', 2.5], ['damping', -1], ['regularization', -1]]],
    ['Broyden', Broyden as Ctor, [['lineSearch', 'armijo'], ['maxBacktracks', -1], ['damping', 0], ['memory', 3]]],
    ['LimitedMemoryBroyden', LimitedMemoryBroyden as Ctor, [['memory', 0], ['lineSearch', true]]],
    ['NewtonRaphson', NewtonRaphson as Ctor, [['jvp', 'forward'], ['krylovDim', 0], ['forcing', 1.5], ['forcing', 'ew'], ['maxBacktracks', 99]]],
  ];
  for (const [name, C, bad] of rootFinders) {
    it(`${name}: unknown keys and invalid values`, () => {
      expectOptionError(construct(C, { tolerance: 1e-3 }), 'tolerance');
      expectOptionError(construct(C, { maxIters: 10 }), 'maxIters');
      for (const [key, value] of [...bad, ...TERMINATION_BAD]) expectOptionError(construct(C, { [key]: value }), key);
      expect(() => new C({ abstol: 1e-4, maxiters: 5, terminationMode: 'relNorm', norm: 'l2' } as never)).not.toThrow();
    });
  }

  it('ODE algorithms: unknown keys, invalid values, and required step sizes', () => {
    for (const C of [Tsit5, VCABM3] as Ctor[]) {
      for (const [key, value] of [['adaptive', 'yes'], ['dt', -1], ['dtmin', 0], ['qmin', 2], ['qmax', 0.5], ['safety', 2], ['beta1', -1], ['maxiters', 0], ['order', 5]] as const) {
        expectOptionError(construct(C, { [key]: value }), key);
      }
      expectOptionError(construct(C, { adaptive: false }), 'dt');
      expectOptionError(construct(C, { dtmin: 1e-3, dtmax: 1e-4 }), 'dtmax');
      expectOptionError(construct(C, { terminationMode: 'abs' }), 'terminationMode');
    }
    for (const C of [Euler, RK4] as Ctor[]) {
      expectOptionError(construct(C, {}), 'dt');
      expectOptionError(construct(C, { dt: 0 }), 'dt');
      expectOptionError(construct(C, { dt: 0.1, adaptive: true }), 'adaptive');
    }
  });

  it('solve functions: options, spans and arguments', () => {
    const f = (u: tf.Tensor) => tf.cos(u);
    const u0 = tf.zeros([2, 3]);
    expectOptionError(() => solveSteadyState(f, u0, new Broyden(), { maxIter: 3 } as never), 'maxIter');
    expectOptionError(() => solveSteadyState(f, u0, new Broyden(), { trace: 'yes' } as never), 'trace');
    expectOptionError(() => solveSteadyState(f, u0, new Tsit5(), { maxTime: -1 }), 'maxTime');
    expectOptionError(() => solveSteadyState(f, u0, new Broyden(), { terminationMode: 'relNorm', reltol: 0 }), 'reltol');
    expectOptionError(() => solveSteadyState(f, u0, new Broyden(), { maxTime: 10 }), 'maxTime');
    expectOptionError(() => solveSteadyState(f, u0, { name: 'mine' } as unknown as SteadyStateAlgorithm), 'algorithm');
    expectOptionError(() => solveOde(f, u0, [0, 1], new Tsit5(), { tol: 1e-3 } as never), 'tol');
    expectOptionError(() => solveOde(f, u0, [1, 0], new Tsit5()), 'tspan');
    expectOptionError(() => solveOde(f, u0, [0, 1], new Tsit5(), { saveat: [2] }), 'saveat');
    expectOptionError(() => solveOde(f, u0, [0, 1], new Broyden() as never), 'algorithm');
    expectOptionError(() => gmres(f, u0, { tol: 1e-3 } as never), 'tol');
    expectOptionError(() => gmres(f, u0, { restart: 0 }), 'restart');
    expect(() => gmres(f, u0, { x0: tf.zeros([3, 2]) })).toThrow(ShapeError);
    expect(() => solveSteadyState(f, tf.zeros([2, 3], 'int32'), new Broyden())).toThrow(ShapeError);
    expect(() => solveSteadyState(f, tf.scalar(1), new Broyden())).toThrow(ShapeError);
    u0.dispose();
  });
});

describeBackends('user errors are reported, not swallowed, and leak nothing', () => {
  it('a map returning the wrong shape throws a ShapeError naming the expected shape', () => {
    const u0 = tf.zeros([2, 3]);
    const before = tf.memory().numTensors;
    for (const alg of [new Broyden(), new Anderson(), new NewtonRaphson(), new Tsit5()]) {
      expect(() => solveSteadyState((u) => tf.sum(u, 1), u0, alg)).toThrow(/\[2, 3\]/);
    }
    expect(tf.memory().numTensors).toBe(before);
    u0.dispose();
  });

  it('a map that throws mid-solve propagates its error and frees every tensor', () => {
    const u0 = tf.zeros([2, 3]);
    const before = tf.memory().numTensors;
    for (const alg of [new Broyden(), new Anderson(), new NewtonRaphson(), new FixedPointIteration(), new Tsit5(), new VCABM3()]) {
      let calls = 0;
      const f = (u: tf.Tensor): tf.Tensor => {
        calls += 1;
        if (calls === 4) throw new Error('model failed');
        return tf.cos(u);
      };
      expect(() => solveSteadyState(f, u0, alg, { abstol: 1e-9 })).toThrow('model failed');
    }
    expect(tf.memory().numTensors).toBe(before);
    u0.dispose();
  });
});
