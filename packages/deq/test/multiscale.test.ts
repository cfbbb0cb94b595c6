import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Conv, Dense, initBackend, NoOpLayer, Parallel, setup, treeLeaves, updateState, Upsample, valueAndGrad, Xoshiro, type AnyLayer, type Tree } from '@deqts/core-layers';
import { Broyden, Tsit5 } from '@deqts/solvers';
import {
  flattenScales, MultiScaleDeepEquilibriumNetwork, MultiScaleNeuralODE, MultiScaleSkipDeepEquilibriumNetwork, splitScales,
} from '../src/index.js';
import { add, allFinite, denseLayer } from './helpers.js';

const dims = [4, 3, 2, 1];
const scales = dims.map((d) => [d]);
const main = (): AnyLayer[] => [Parallel(add, denseLayer(4, 4), denseLayer(4, 4)), denseLayer(3, 3), denseLayer(2, 2), denseLayer(1, 1)];
const mapping = (): AnyLayer[][] => dims.map((di, i) => dims.map((dj, j) => (i === j ? NoOpLayer() : denseLayer(di, dj))));
const inits = (): AnyLayer[] => dims.map((d) => denseLayer(4, d));

describe('multiscale DEQs (DEQ.jl docstring examples) [wasm]', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('split/flatten scales are inverse', () => {
    const x = tf.concat([tf.ones([4, 4]), tf.fill([4, 2], 0.5), tf.zeros([4, 1])], 1);
    const [a, b, c] = splitScales(x, [[4], [2], [1]]);
    expect(Array.from(a.dataSync())).toEqual(Array(16).fill(1));
    expect(Array.from(b.dataSync())).toEqual(Array(8).fill(0.5));
    expect(Array.from(c.dataSync())).toEqual(Array(4).fill(0));
    expect(Array.from(flattenScales([a, b, c]).dataSync())).toEqual(Array.from(x.dataSync()));
  });

  const variants = {
    deq: () => MultiScaleDeepEquilibriumNetwork(main(), mapping(), null, new Broyden(), scales),
    skipdeq: () => MultiScaleSkipDeepEquilibriumNetwork(main(), mapping(), null, inits(), new Broyden(), scales),
    skipregdeq: () => MultiScaleSkipDeepEquilibriumNetwork(main(), mapping(), null, new Broyden(), scales),
    skipdeqTsit5: () => MultiScaleSkipDeepEquilibriumNetwork(main(), mapping(), null, inits(), new Tsit5(), scales),
    node: () => MultiScaleNeuralODE(main(), mapping(), null, new Tsit5(), scales),
  };
  for (const [name, make] of Object.entries(variants)) {
    it(`${name}: scales (4,),(3,),(2,),(1,) give the documented shapes, finite gradients, nfe = d unrolled`, () => {
      const layer = make();
      const [ps, st] = setup(new Xoshiro(0), layer);
      const x = tf.randomNormal([3, 4], 0, 1, 'float32', 3);
      const [ys, st2] = layer(x, ps, st);
      expect(ys.map((y) => y.shape)).toEqual([[3, 4], [3, 3], [3, 2], [3, 1]]);
      const flat = flattenScales(ys);
      expect(flat.shape).toEqual([3, 10]);
      expect(allFinite(flat)).toBe(true);
      if (name !== 'node') expect(tf.max(tf.abs(st2.solution.residual as tf.Tensor)).dataSync()[0]).toBeLessThanOrEqual(1e-3);
      const [, g] = valueAndGrad((p: typeof ps) => tf.addN(layer(x, p, st)[0].map((y) => tf.sum(tf.square(y)))) as tf.Scalar)(ps);
      for (const leaf of treeLeaves(g as Tree)) expect(allFinite(leaf as tf.Tensor)).toBe(true);
      if (name !== 'node') {
        const [, stu] = layer(x, ps, updateState(st, 'fixedDepth', 10));
        expect(stu.solution.nfe).toBe(10);
      }
    });
  }

  it('a two-scale conv MDEQ gives one NHWC tensor per scale', () => {
    const c = 2;
    const mainLayers = [
      Parallel(add, Conv([3, 3], c, c, { padding: 1 }), Conv([3, 3], c, c, { padding: 1 })),
      Conv([3, 3], c, c, { padding: 1, activation: 'tanh' }),
    ];
    const mappingLayers = [
      [NoOpLayer(), Conv([3, 3], c, c, { padding: 1, stride: 2 })],
      [Upsample({ scale: 2, mode: 'nearest' }), NoOpLayer()],
    ];
    const mdeq = MultiScaleDeepEquilibriumNetwork(mainLayers, mappingLayers, null, new Broyden(), [[8, 8, c], [4, 4, c]], { maxiters: 20 });
    const [ps, st] = setup(new Xoshiro(1), mdeq);
    const x = tf.randomNormal([2, 8, 8, c], 0, 1, 'float32', 4);
    const [[y1, y2]] = mdeq(x, ps, st);
    expect(y1.shape).toEqual([2, 8, 8, c]);
    expect(y2.shape).toEqual([2, 4, 4, c]);
    expect(allFinite(y1) && allFinite(y2)).toBe(true);
  });
});
