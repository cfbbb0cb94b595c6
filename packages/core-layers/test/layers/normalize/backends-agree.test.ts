import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import {
  BatchNorm,
  Chain,
  Dense,
  disposeReplaced,
  Dropout,
  Embedding,
  GroupNorm,
  InstanceNorm,
  isTensor,
  LayerNorm,
  Scale,
  setup,
  SpectralNorm,
  testmode,
  treeDispose,
  treeLeaves,
  treeZipWith,
  valueAndGrad,
  VariationalHiddenDropout,
  WeightNorm,
  Xoshiro,
  type AnyLayer,
  type Tree,
} from '@deqts/core-layers';
import { describeBackends, expectClose, expectNoLeak, onBackend } from '../../../../../test/utils/index.js';

type Case = { name: string; layer: () => AnyLayer; input: () => tf.Tensor; test?: boolean };

const normal = (seed: number, shape: number[]) => tf.tensor(new Xoshiro(seed).normalArray(shape.reduce((a, b) => a * b, 1)), shape);

const cases: Case[] = [
  { name: 'BatchNorm train', layer: () => BatchNorm(3, { activation: 'tanh' }), input: () => normal(1, [4, 2, 2, 3]) },
  { name: 'BatchNorm test', layer: () => BatchNorm(3), input: () => normal(1, [4, 3]), test: true },
  { name: 'GroupNorm', layer: () => GroupNorm(4, 2, { activation: 'relu' }), input: () => normal(2, [2, 3, 3, 4]) },
  { name: 'LayerNorm', layer: () => LayerNorm([3, 4]), input: () => normal(3, [2, 3, 4]) },
  { name: 'InstanceNorm', layer: () => InstanceNorm(2, { trackStats: true }), input: () => normal(4, [2, 3, 3, 2]) },
  { name: 'WeightNorm', layer: () => WeightNorm(Dense(3, 4, { activation: 'tanh' })), input: () => normal(5, [2, 3]) },
  { name: 'SpectralNorm', layer: () => SpectralNorm(Dense(3, 4), { nPowerIterations: 3 }), input: () => normal(6, [2, 3]) },
  { name: 'Scale', layer: () => Scale([4], { activation: 'sigmoid' }), input: () => normal(7, [3, 4]) },
  { name: 'Dropout', layer: () => Chain(Dense(3, 5), Dropout(0.3), VariationalHiddenDropout(0.3)), input: () => normal(8, [4, 3]) },
  { name: 'Embedding', layer: () => Embedding(6, 3), input: () => tf.tensor2d([[0, 5, 2], [2, 2, 1]], [2, 3], 'int32') },
];

/** Output, new state tensors and gradients (of a fixed projection of the output) on one backend. */
async function evaluate(backend: 'cpu' | 'wasm', c: Case): Promise<number[][]> {
  return onBackend(backend, () => {
    const layer = c.layer();
    const [ps, st0] = setup(new Xoshiro(42), layer);
    const st = c.test ? testmode(st0) : st0;
    const x = c.input();
    const [y, st2] = layer(x, ps, st);
    const r = normal(99, (y as tf.Tensor).shape);
    const [, grads] = valueAndGrad((p: typeof ps) => tf.sum(tf.mul(layer(x, p, st)[0] as tf.Tensor, r)) as tf.Scalar)(ps);
    const tensors = [y as tf.Tensor, ...treeLeaves(st2 as Tree).filter(isTensor), ...treeLeaves(grads as Tree).filter(isTensor)];
    return tensors.map((t) => Array.from(t.dataSync()));
  });
}

it('every normalisation, dropout and basic layer gives the same outputs, states and gradients on cpu and wasm', async () => {
  for (const c of cases) {
    const a = await evaluate('cpu', c);
    const b = await evaluate('wasm', c);
    expect(b.length, c.name).toBe(a.length);
    a.forEach((values, i) => expectClose(b[i], values, 1e-4, `${c.name}: tensor ${i}`));
  }
});

describeBackends('stateful layers in a training loop', () => {
  it('thread BatchNorm statistics and dropout rngs through valueAndGrad without leaking tensors', async () => {
    const model = Chain(Dense(4, 8), BatchNorm(8, { activation: 'relu' }), Dropout(0.2), Dense(8, 2), VariationalHiddenDropout(0.1));
    let [ps, st] = setup(new Xoshiro(0), model);
    const x = normal(1, [16, 4]);
    const target = normal(2, [16, 2]);
    const step = () => {
      const [loss, grads, newSt] = valueAndGrad(
        (p: typeof ps) => {
          const [y, s] = model(x, p, st);
          return [tf.mean(tf.square(tf.sub(y, target))) as tf.Scalar, s] as const;
        },
        { hasAux: true },
      )(ps);
      const updated = tf.tidy(
        () => treeZipWith((p: tf.Tensor, g: tf.Tensor) => tf.sub(p, tf.mul(g, 0.05)), ps as Tree<tf.Tensor>, grads as Tree<tf.Tensor>) as tf.TensorContainer,
      ) as unknown as typeof ps;
      loss.dispose();
      treeDispose(grads);
      disposeReplaced(ps, updated);
      disposeReplaced(st, newSt);
      ps = updated;
      st = newSt;
    };
    const meanBefore = Array.from(st.layer_2.running_mean!.dataSync());
    await expectNoLeak(step, 10);
    expect(Array.from(st.layer_2.running_mean!.dataSync())).not.toEqual(meanBefore);
    expect(st.layer_5.update_mask).toBe(false);
    treeDispose(ps);
    treeDispose(st);
  });
});
