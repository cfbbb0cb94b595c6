import { expect, it } from 'vitest';
import { OptionError } from '@deqts/core-layers';
import {
  constantSchedule,
  cosineSchedule,
  joinSchedules,
  linearSchedule,
  piecewiseConstantSchedule,
  stepSchedule,
  warmupCosineSchedule,
} from '../../src/index.js';

it('constantSchedule', () => {
  const s = constantSchedule(3e-4);
  expect([0, 1, 1e6].map(s)).toEqual([3e-4, 3e-4, 3e-4]);
});

it('cosineSchedule follows Optax cosine_decay_schedule', () => {
  const s = cosineSchedule({ init: 1, decaySteps: 100 });
  expect(s(0)).toBe(1);
  expect(s(50)).toBeCloseTo(0.5, 12);
  expect(s(25)).toBeCloseTo(0.5 * (1 + Math.cos(Math.PI / 4)), 12);
  expect(s(100)).toBeCloseTo(0, 12);
  expect(s(1000)).toBeCloseTo(0, 12); // held at the end
  // The paper's CIFAR schedule: 1e-3 → 1e-6 over 20 000 steps (alpha = 1e-3).
  const paper = cosineSchedule({ init: 1e-3, decaySteps: 20_000, alpha: 1e-3 });
  expect(paper(0)).toBeCloseTo(1e-3, 15);
  expect(paper(20_000)).toBeCloseTo(1e-6, 15);
  expect(paper(10_000)).toBeCloseTo(1e-3 * (0.999 * 0.5 + 0.001), 15);
  const squared = cosineSchedule({ init: 2, decaySteps: 10, exponent: 2 });
  expect(squared(5)).toBeCloseTo(2 * 0.25, 12);
});

it('piecewiseConstantSchedule multiplies from each boundary on', () => {
  const s = piecewiseConstantSchedule({ init: 0.1, boundaries: [100, 200], scales: [0.1, 0.5] });
  expect(s(0)).toBe(0.1);
  expect(s(99)).toBe(0.1);
  expect(s(100)).toBeCloseTo(0.01, 15);
  expect(s(199)).toBeCloseTo(0.01, 15);
  expect(s(200)).toBeCloseTo(0.005, 15);
  expect(() => piecewiseConstantSchedule({ init: 1, boundaries: [1, 2], scales: [1] })).toThrow(/same length/);
  expect(() => piecewiseConstantSchedule({ init: 1, boundaries: [5, 2], scales: [1, 1] })).toThrow(/increasing/);
});

it('stepSchedule decays by gamma every stepSize steps', () => {
  const s = stepSchedule({ init: 0.1, stepSize: 30 });
  expect(s(29)).toBe(0.1);
  expect(s(30)).toBeCloseTo(0.01, 15);
  expect(s(65)).toBeCloseTo(0.001, 15);
});

it('linearSchedule, joinSchedules and warmupCosineSchedule', () => {
  const lin = linearSchedule({ init: 0, end: 1, transitionSteps: 10, transitionBegin: 5 });
  expect([0, 5, 10, 15, 20].map(lin)).toEqual([0, 0, 0.5, 1, 1]);
  const joined = joinSchedules([constantSchedule(1), (t) => 10 + t], [3]);
  expect([0, 2, 3, 4].map(joined)).toEqual([1, 1, 10, 11]);
  const warm = warmupCosineSchedule({ peak: 1e-3, warmupSteps: 100, decaySteps: 1100 });
  expect(warm(0)).toBe(0);
  expect(warm(50)).toBeCloseTo(5e-4, 15);
  expect(warm(100)).toBeCloseTo(1e-3, 15);
  expect(warm(600)).toBeCloseTo(5e-4, 15);
  expect(warm(1100)).toBeCloseTo(0, 15);
  expect(() => warmupCosineSchedule({ peak: 1, warmupSteps: 10, decaySteps: 10 })).toThrow(/must exceed/);
});

it('schedule options are validated', () => {
  expect(() => cosineSchedule({ init: 1, decaySteps: 0 })).toThrow(OptionError);
  expect(() => cosineSchedule({ init: 1, decaySteps: 10, alpa: 0 } as never)).toThrow(/unknown option 'alpa'/);
  expect(() => constantSchedule(NaN)).toThrow(/option 'value'/);
});
