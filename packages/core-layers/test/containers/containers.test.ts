import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import {
  BranchLayer, Chain, Dense, NoOpLayer, PairwiseFusion, Parallel, parameterCount, RepeatedLayer, setup, SkipConnection,
  StateStructureError, ShapeError, summary, WrappedFunction, Xoshiro,
} from '@deqts/core-layers';
import { checkGradients, describeBackends, expectClose } from '../../../../test/utils/index.js';

const add = (a: tf.Tensor, b: tf.Tensor) => tf.add(a, b);
const x23 = () => tf.tensor(new Xoshiro(11).normalArray(6), [2, 3]);

describeBackends('containers', () => {
  it('Chain composes, names children layer_i or user keys, counts parameters', () => {
    const model = Chain(Dense(3, 4, { activation: 'tanh' }), Dense(4, 2));
    expect(parameterCount(model)).toBe(3 * 4 + 4 + 4 * 2 + 2);
    const [ps, st] = setup(new Xoshiro(0), model);
    expect(Object.keys(ps)).toEqual(['layer_1', 'layer_2']);
    const [y] = model(x23(), ps, st);
    const [h] = Dense(3, 4, { activation: 'tanh' })(x23(), ps.layer_1 as never, {});
    const [y2] = Dense(4, 2)(h, ps.layer_2 as never, {});
    expectClose(y, y2, 1e-6);
    const named = Chain({ encoder: Dense(3, 4), head: Dense(4, 1) });
    const [psn] = setup(new Xoshiro(0), named);
    expect(Object.keys(psn)).toEqual(['encoder', 'head']);
  });

  it('Parallel routes array inputs element-wise and shares a single input', () => {
    const p = Parallel(add, Dense(3, 2, { useBias: false }), Dense(3, 2, { useBias: false }));
    const [ps, st] = setup(new Xoshiro(1), p);
    const a = x23();
    const b = tf.mul(x23(), 2);
    const [y] = p([a, b], ps, st);
    const w1 = (ps.layer_1 as { weight: tf.Tensor }).weight;
    const w2 = (ps.layer_2 as { weight: tf.Tensor }).weight;
    expectClose(y, tf.add(tf.matMul(a, w1, false, true), tf.matMul(b, w2, false, true)), 1e-6);
    const [shared] = p(a, ps, st);
    expectClose(shared, tf.add(tf.matMul(a, w1, false, true), tf.matMul(a, w2, false, true)), 1e-6);
    const [tuple] = Parallel(null, NoOpLayer(), WrappedFunction((t: tf.Tensor) => tf.neg(t)))(a, ...setup(new Xoshiro(0), Parallel(null, NoOpLayer(), NoOpLayer())));
    expect((tuple as tf.Tensor[]).length).toBe(2);
    expect(() => p([a, b, a], ps, st)).toThrow(ShapeError);
  });

  it('SkipConnection, BranchLayer and PairwiseFusion follow Lux semantics', () => {
    const inner = Dense(3, 3, { activation: 'tanh' });
    const skip = SkipConnection(inner, add);
    const [ps, st] = setup(new Xoshiro(2), skip);
    const x = x23();
    const [y] = skip(x, ps, st);
    expectClose(y, tf.add(inner(x, ps.layers, {})[0], x), 1e-6);

    const branch = BranchLayer(Dense(3, 2), Dense(3, 5));
    const [bps, bst] = setup(new Xoshiro(0), branch);
    const [outs] = branch(x, bps, bst);
    expect(outs.map((t) => (t as tf.Tensor).shape)).toEqual([[2, 2], [2, 5]]);

    const l1 = Dense(3, 3);
    const l2 = Dense(3, 3);
    const fusion = PairwiseFusion(add, l1, l2);
    const [fps, fst] = setup(new Xoshiro(3), fusion);
    const [x0, x1, x2] = [x23(), tf.ones([2, 3]), tf.fill([2, 3], 2)];
    const [fy] = fusion([x0, x1, x2], fps, fst);
    const step1 = tf.add(x1, l1(x0, fps.layer_1 as never, {})[0]);
    const expected = tf.add(x2, l2(step1, fps.layer_2 as never, {})[0]);
    expectClose(fy as tf.Tensor, expected, 1e-6);
  });

  it('RepeatedLayer iterates for real, with input injection done right', () => {
    const cell = WrappedFunction(([z, x]: [tf.Tensor, tf.Tensor]) => tf.add(tf.mul(z, 0.5), x));
    const r = RepeatedLayer(cell, { repeats: 3, inputInjection: true });
    const [ps, st] = setup(new Xoshiro(0), r);
    const [z] = r([tf.zeros([1, 1]), tf.ones([1, 1])], ps, st);
    // z1 = 1, z2 = 1.5, z3 = 1.75 (Lux's code would give 1 for every depth)
    expect((z as tf.Tensor).dataSync()[0]).toBeCloseTo(1.75, 6);
    const halver = RepeatedLayer(WrappedFunction((t: tf.Tensor) => tf.mul(t, 0.5)), { repeats: 4 });
    const [h] = halver(tf.ones([1]), ...setup(new Xoshiro(0), halver));
    expect((h as tf.Tensor).dataSync()[0]).toBeCloseTo(1 / 16, 6);
  });

  it('gradients through containers match finite differences', () => {
    const model = Chain(
      SkipConnection(Dense(3, 3, { activation: 'tanh' }), add),
      Parallel(add, Dense(3, 2), Dense(3, 2, { activation: 'sigmoid' })),
    );
    const [ps, st] = setup(new Xoshiro(4), model);
    const x = x23();
    checkGradients((t) => {
      const { x: xi, ps: p } = t as { x: tf.Tensor; ps: typeof ps };
      return model(xi, p, st)[0] as tf.Tensor;
    }, { x, ps });
  });

  it('errors name the layer path', () => {
    const model = Chain(Dense(3, 4), Chain(Dense(4, 4), Dense(5, 2)));
    const [ps, st] = setup(new Xoshiro(0), model);
    expect(() => model(x23(), ps, st)).toThrow(/\[layer_2\.layer_2\] Dense\(5 => 2\) expects input of shape \[batch, 5\], got \[2, 4\]/);
    const other = Chain(Dense(3, 4), Dense(4, 2));
    const [ops, ost] = setup(new Xoshiro(0), other);
    expect(() => model(x23(), ops as never, ost as never)).toThrow(StateStructureError);
    expect(() => model(x23(), ps, ost as never)).toThrow(/\[layer_2\].*state|state/);
    const text = summary(model, { print: false });
    expect(text).toContain('layer_2 = Chain(');
    expect(text).toContain('# Total: 48 parameters,');
  });
});

it('BranchLayer gives an array input whole to every branch', () => {
  const first = WrappedFunction((xs: tf.Tensor[]) => xs[0]);
  const second = WrappedFunction((xs: tf.Tensor[]) => xs[1]);
  const b = BranchLayer(first, second);
  const [ps, st] = setup(new Xoshiro(0), b);
  const [outs] = b([tf.ones([1]), tf.zeros([1])], ps, st);
  expect(Array.from((outs[0] as tf.Tensor).dataSync())).toEqual([1]);
  expect(Array.from((outs[1] as tf.Tensor).dataSync())).toEqual([0]);
});
