import * as tf from '@tensorflow/tfjs-core';
import { Conv, Dense, Parallel, type AnyLayer, type Initializer } from '@deqts/core-layers';

/** DEQ.jl's test init: N(0, 0.001²) weights, no bias. */
export const tinyNormal: Initializer = (rng, shape) =>
  tf.tensor(rng.normalArray(shape.reduce((a, b) => a * b, 1), 0, 0.001), [...shape], 'float32');

export const add = (a: tf.Tensor, b: tf.Tensor): tf.Tensor => tf.add(a, b);

/** DEQ.jl's dense test layer: Dense(in => out; init randn·0.001, no bias). */
export const denseLayer = (i: number, o: number): AnyLayer => Dense(i, o, { initWeight: tinyNormal, useBias: false });
/** DEQ.jl's conv test layer: Conv((1,1), in => out; same init, no bias). */
export const convLayer = (i: number, o: number): AnyLayer => Conv([1, 1], i, o, { initWeight: tinyNormal, useBias: false });

/** The two base models of DEQ.jl's layer tests with their init layers and inputs. */
export const baseModels = {
  dense: () => ({ f: Parallel(add, denseLayer(2, 2), denseLayer(2, 2)), init: denseLayer(2, 2), x: tf.randomNormal([14, 2], 0, 1, 'float32', 1) }),
  conv: () => ({ f: Parallel(add, convLayer(1, 1), convLayer(1, 1)), init: convLayer(1, 1), x: tf.randomNormal([3, 3, 3, 1], 0, 1, 'float32', 2) }),
};

export const allFinite = (t: tf.Tensor): boolean => t.dataSync().every((v) => Number.isFinite(v));
