import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { Chain, Dense, disposeReplaced, setup, tidy, treeDispose, treeZipWith, valueAndGrad, Xoshiro, type Tree } from '@deqts/core-layers';
import { describeBackends, expectClose, onBackend } from '../../../../test/utils/index.js';

const makeModel = () => Chain(Dense(4, 16, { activation: 'tanh' }), Dense(16, 3));

describeBackends('a training-style loop', () => {
  it('leaks no tensor over 200 steps of forward, valueAndGrad and update, and learns', async () => {
    const model = makeModel();
    let [ps, st] = setup(new Xoshiro(0), model);
    const rng = new Xoshiro(1);
    const x = tf.tensor(rng.normalArray(32 * 4), [32, 4]);
    const target = tf.tensor(rng.normalArray(32 * 3), [32, 3]);
    const step = () => {
      const next = tidy(() => {
        const [loss, grads] = valueAndGrad((p: typeof ps) => {
          const [y] = model(x, p, st);
          return tf.mean(tf.square(tf.sub(y, target))) as tf.Scalar;
        })(ps);
        const updated = treeZipWith((p: tf.Tensor, g: tf.Tensor) => tf.sub(p, tf.mul(g, 0.1)), ps as Tree<tf.Tensor>, grads as Tree<tf.Tensor>);
        return { ps: updated as typeof ps, loss };
      });
      disposeReplaced(ps, next.ps);
      ps = next.ps;
      const value = next.loss.dataSync()[0];
      next.loss.dispose();
      return value;
    };
    const first = step();
    step();
    const before = tf.memory().numTensors;
    let last = first;
    for (let i = 0; i < 200; i++) last = step();
    expect(tf.memory().numTensors).toBe(before);
    expect(last).toBeLessThan(first * 0.7);
    treeDispose(ps);
    treeDispose(st);
    x.dispose();
    target.dispose();
  });
});

it('same seed gives identical parameters and outputs on cpu and wasm', async () => {
  const run = async (backend: 'cpu' | 'wasm') =>
    onBackend(backend, () => {
      const model = makeModel();
      const [ps, st] = setup(new Xoshiro(42), model);
      const x = tf.tensor(new Xoshiro(7).normalArray(8 * 4), [8, 4]);
      const [y] = model(x, ps, st);
      return { w: Array.from((ps.layer_1 as { weight: tf.Tensor }).weight.dataSync()), y: Array.from(y.dataSync()) };
    });
  const a1 = await run('cpu');
  const a2 = await run('cpu');
  const b1 = await run('wasm');
  const b2 = await run('wasm');
  expect(a1.w).toEqual(a2.w);
  expect(a1.y).toEqual(a2.y);
  expect(b1.w).toEqual(b2.w);
  expect(b1.y).toEqual(b2.y);
  expect(a1.w).toEqual(b1.w);
  expectClose(a1.y, b1.y, 1e-5, 'cpu and wasm outputs');
  const [other] = setup(new Xoshiro(43), makeModel());
  expect(Array.from((other.layer_1 as { weight: tf.Tensor }).weight.dataSync())).not.toEqual(a1.w);
});
