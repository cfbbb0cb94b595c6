import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { OptionError, treeDispose, treeTensors, type Tree } from '@deqts/core-layers';
import {
  adam,
  adamw,
  addDecayedWeights,
  applyUpdates,
  chain,
  clipByGlobalNorm,
  constantSchedule,
  scaleByAdam,
  scaleByLearningRate,
  sgd,
  type GradientTransformation,
} from '../../src/index.js';
import { describeBackends, expectClose, expectNoLeak } from '../../../../test/utils/index.js';

type Params = { a: tf.Tensor; nested: { b: tf.Tensor } };
type HostParams = { a: number[]; b: number[] };

const INITIAL: HostParams = { a: [1, -2], b: [0.5] };
// One gradient per step, the same for every optimizer (gradients of a fixed, imaginary loss).
const GRADIENTS: HostParams[] = [
  { a: [0.5, -1], b: [2] },
  { a: [0.1, 0.3], b: [-1] },
  { a: [-0.2, 0.4], b: [0.25] },
];

const toParams = (h: HostParams): Params => ({ a: tf.tensor1d(h.a), nested: { b: tf.tensor1d(h.b) } });
const toHost = (p: Params): HostParams => ({ a: Array.from(p.a.dataSync()), b: Array.from(p.nested.b.dataSync()) });

/** Runs `opt` over the fixed gradients; returns the parameters after each step. */
function run(opt: GradientTransformation, steps = GRADIENTS.length): HostParams[] {
  let ps = toParams(INITIAL);
  let state = opt.init(ps);
  const out: HostParams[] = [];
  for (let t = 0; t < steps; t++) {
    const grads = toParams(GRADIENTS[t]);
    const [updates, next] = opt.update(grads, state, ps);
    const nextPs = applyUpdates(ps, updates);
    treeDispose([ps, grads, updates]);
    treeDispose(treeTensors(state).filter((s) => !treeTensors(next).includes(s)));
    ps = nextPs;
    state = next;
    out.push(toHost(ps));
  }
  treeDispose([ps, state]);
  return out;
}

/** Applies a per-element host update rule to every leaf (a, b) of the host tree. */
function reference(step: (p: number, g: number, t: number, slot: Record<string, number>) => number): HostParams[] {
  const params = { a: [...INITIAL.a], b: [...INITIAL.b] };
  const slots = { a: params.a.map(() => ({})), b: params.b.map(() => ({})) } as Record<'a' | 'b', Record<string, number>[]>;
  return GRADIENTS.map((g, t) => {
    for (const key of ['a', 'b'] as const) params[key] = params[key].map((p, i) => step(p, g[key][i], t + 1, slots[key][i]));
    return { a: [...params.a], b: [...params.b] };
  });
}

function expectTrajectory(actual: HostParams[], expected: HostParams[], tol = 2e-6): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((p, t) => {
    expectClose(p.a, expected[t].a, tol, `a after step ${t + 1}`);
    expectClose(p.b, expected[t].b, tol, `b after step ${t + 1}`);
  });
}

describeBackends('optimizers against hand-computed steps', () => {
  it('sgd: p ← p − lr·g', () => {
    const got = run(sgd({ learningRate: 0.1 }));
    // Step 1 by hand: a = [1 − 0.05, −2 + 0.1], b = 0.5 − 0.2.
    expectClose(got[0].a, [0.95, -1.9]);
    expectClose(got[0].b, [0.3]);
    expectTrajectory(got, reference((p, g) => p - 0.1 * g));
  });

  it('sgd with momentum and Nesterov momentum', () => {
    const heavyBall = reference((p, g, _t, s) => {
      s.v = g + 0.9 * (s.v ?? 0);
      return p - 0.1 * s.v;
    });
    const got = run(sgd({ learningRate: 0.1, momentum: 0.9 }));
    // Step 2 by hand for a[0]: v = 0.1 + 0.9·0.5 = 0.55; a = 0.95 − 0.055 = 0.895.
    expect(got[1].a[0]).toBeCloseTo(0.895, 6);
    expectTrajectory(got, heavyBall);
    const nesterov = reference((p, g, _t, s) => {
      s.v = g + 0.9 * (s.v ?? 0);
      return p - 0.1 * (g + 0.9 * s.v);
    });
    expectTrajectory(run(sgd({ learningRate: 0.1, momentum: 0.9, nesterov: true })), nesterov);
  });

  it('adam: bias-corrected moments', () => {
    const [b1, b2, eps, lr] = [0.9, 0.999, 1e-8, 0.1];
    const got = run(adam({ learningRate: lr }));
    // The first Adam step moves every coordinate by lr·sign(g) (μ̂ = g, ν̂ = g²).
    expectClose(got[0].a, [0.9, -1.9]);
    expectClose(got[0].b, [0.4]);
    const expected = reference((p, g, t, s) => {
      s.m = b1 * (s.m ?? 0) + (1 - b1) * g;
      s.v = b2 * (s.v ?? 0) + (1 - b2) * g * g;
      const mHat = s.m / (1 - b1 ** t);
      const vHat = s.v / (1 - b2 ** t);
      return p - (lr * mHat) / (Math.sqrt(vHat) + eps);
    });
    expectTrajectory(got, expected);
  });

  it('adamw: decoupled weight decay scaled by the learning rate', () => {
    const [b1, b2, eps, lr, wd] = [0.9, 0.999, 1e-8, 0.1, 0.5];
    const expected = reference((p, g, t, s) => {
      s.m = b1 * (s.m ?? 0) + (1 - b1) * g;
      s.v = b2 * (s.v ?? 0) + (1 - b2) * g * g;
      const update = s.m / (1 - b1 ** t) / (Math.sqrt(s.v / (1 - b2 ** t)) + eps);
      return p - lr * (update + wd * p);
    });
    const got = run(adamw({ learningRate: lr, weightDecay: wd }));
    // Step 1 by hand for b: 0.5 − 0.1·(1 + 0.5·0.5) = 0.375.
    expectClose(got[0].b, [0.375]);
    expectTrajectory(got, expected);
    // The mask leaves b undecayed.
    const masked = run(adamw({ learningRate: lr, weightDecay: wd, mask: (path) => path[path.length - 1] !== 'b' }));
    expectClose(masked[0].b, [0.4]);
    expectClose(masked[0].a, got[0].a);
  });

  it('a scheduled learning rate is evaluated at 0, 1, 2, …', () => {
    const rates = [0.1, 0.01, 0.001];
    const got = run(sgd({ learningRate: (step) => rates[step] }));
    let a0 = INITIAL.a[0];
    GRADIENTS.forEach((g, t) => {
      a0 -= rates[t] * g.a[0];
      expect(got[t].a[0]).toBeCloseTo(a0, 6);
    });
  });

  it('clipByGlobalNorm rescales only when the global norm exceeds the limit', () => {
    const clip = clipByGlobalNorm(1);
    const g = { a: tf.tensor1d([3, 0]), nested: { b: tf.tensor1d([4]) } }; // norm 5
    const [clipped] = clip.update(g, clip.init(g));
    expectClose(clipped.a, [0.6, 0]);
    expectClose(clipped.nested.b, [0.8]);
    const small = { a: tf.tensor1d([0.3, 0]), nested: { b: tf.tensor1d([0.4]) } }; // norm 0.5
    const [kept] = clip.update(small, {});
    expect(Array.from(kept.a.dataSync())).toEqual(Array.from(small.a.dataSync()));
    expect(Array.from(kept.nested.b.dataSync())).toEqual(Array.from(small.nested.b.dataSync()));
    const zero = { a: tf.zeros([2]), nested: { b: tf.zeros([1]) } };
    const [z] = clip.update(zero, {});
    expect(Array.from(z.a.dataSync())).toEqual([0, 0]);
    treeDispose([g, clipped, small, kept, zero, z]);
  });

  it('chain composes: clip then sgd equals sgd on the clipped gradient', () => {
    const got = run(chain(clipByGlobalNorm(1), scaleByLearningRate(0.1)), 1);
    const g = GRADIENTS[0];
    const norm = Math.hypot(...g.a, ...g.b);
    expectClose(got[0].a, INITIAL.a.map((p, i) => p - (0.1 * g.a[i]) / norm));
    expectClose(got[0].b, INITIAL.b.map((p, i) => p - (0.1 * g.b[i]) / norm));
    expect(chain(scaleByAdam(), scaleByLearningRate(constantSchedule(0.1))).init(toParams(INITIAL))).toHaveLength(2);
  });

  it('optimizer state is a plain tree: tensors (Adam\'s count an int32 scalar, as Optax) and a schedule\'s step number', () => {
    const ps = toParams(INITIAL);
    const opt = adam({ learningRate: constantSchedule(1e-3) });
    const state = opt.init(ps) as [{ count: tf.Tensor; mu: Params; nu: Params }, { count: number }];
    expect(state[0].count.dtype).toBe('int32');
    expect(state[0].count.shape).toEqual([]);
    expect(state[0].count.dataSync()[0]).toBe(0);
    expect(state[0].mu.a.shape).toEqual([2]);
    expect(state[1]).toEqual({ count: 0 });
    const [u, next] = opt.update(toParams(GRADIENTS[0]), state, ps);
    expect((next as typeof state)[0].count.dataSync()[0]).toBe(1);
    expect((next as typeof state)[1].count).toBe(1);
    treeDispose([ps, state, u, next]);
  });

  it('Adam resumes from a state whose count is a plain number (checkpoints of earlier versions)', () => {
    const ps = toParams(INITIAL);
    const opt = scaleByAdam();
    const fresh = opt.init(ps) as { count: tf.Tensor; mu: Params; nu: Params };
    const legacy = { count: 3, mu: fresh.mu, nu: fresh.nu };
    const asTensor = { count: tf.scalar(3, 'int32'), mu: fresh.mu, nu: fresh.nu };
    const [u1, n1] = opt.update(toParams(GRADIENTS[0]), legacy, ps);
    const [u2, n2] = opt.update(toParams(GRADIENTS[0]), asTensor, ps);
    expect(Array.from((u1 as Params).a.dataSync())).toEqual(Array.from((u2 as Params).a.dataSync()));
    expect((n1 as { count: tf.Tensor }).count.dataSync()[0]).toBe(4);
    treeDispose([ps, fresh, asTensor.count, u1, u2, n1, n2]);
  });

  it('update and applyUpdates leak no tensor', async () => {
    const opt = chain(clipByGlobalNorm(1), adamw({ learningRate: 1e-2 }));
    let ps = toParams(INITIAL);
    let state = opt.init(ps);
    const grads = toParams(GRADIENTS[0]);
    await expectNoLeak(() => {
      const [updates, next] = opt.update(grads, state, ps);
      const nextPs = applyUpdates(ps, updates);
      treeDispose(updates);
      treeDispose(treeTensors([ps, state]).filter((t) => !treeTensors([nextPs, next]).includes(t)));
      ps = nextPs;
      state = next;
    }, 10);
    treeDispose([ps, state, grads]);
  });
});

it('options are validated with errors naming the option', () => {
  expect(() => sgd({ learningRate: 0.1, momentun: 0.9 } as never)).toThrow(/unknown option 'momentun'/);
  expect(() => adam({ learningRate: 0.1, b1: 1.5 })).toThrow(OptionError);
  expect(() => adam({} as never)).toThrow(/learningRate/);
  expect(() => clipByGlobalNorm(-1)).toThrow(/maxNorm/);
  expect(() => addDecayedWeights(1e-4).update({ w: tf.scalar(1) }, {})).toThrow(/needs the parameters/);
  expect(() => chain(scaleByLearningRate(1)).update({}, [] as unknown as Tree[])).toThrow(/state array of length 1/);
});
