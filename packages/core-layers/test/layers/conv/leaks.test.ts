import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import {
  AdaptiveMeanPool,
  ConvTranspose,
  FlattenLayer,
  GlobalMeanPool,
  MaxPool,
  MeanPool,
  ReshapeLayer,
  setup,
  treeDispose,
  Upsample,
  Xoshiro,
  type AnyLayer,
} from '@deqts/core-layers';
import { describeBackends, expectNoLeak } from '../../../../../test/utils/index.js';

describeBackends('Conv-family layers', () => {
  it('leak no tensors and never dispose their inputs', async () => {
    const layers: AnyLayer[] = [
      ConvTranspose([3, 3], 2, 2, { stride: 2, padding: 1, groups: 2, dilation: 2 }),
      MaxPool([2, 2], { padding: [1, 0, 0, 1], stride: 1 }),
      MeanPool([3, 3], { padding: 'same', stride: 2 }),
      GlobalMeanPool(),
      AdaptiveMeanPool([2, 3]),
      Upsample({ scale: 2 }),
      Upsample({ size: [4, 4] }),
      Upsample({ size: [7, 5], mode: 'bilinear' }),
      FlattenLayer(),
      ReshapeLayer([8, 4]),
    ];
    const x = tf.ones([1, 4, 4, 2]);
    for (const layer of layers) {
      const [ps, st] = setup(new Xoshiro(0), layer);
      await expectNoLeak(() => {
        (layer(x, ps, st)[0] as tf.Tensor).dispose();
      }, 3, 1);
      treeDispose(ps);
      expect(x.isDisposed, layer.description).toBe(false);
    }
  });
});
