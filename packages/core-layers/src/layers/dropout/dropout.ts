import * as tf from '@tensorflow/tfjs-core';
import { defineLayer, type Layer } from '../../core/layer.js';
import { parseOptions } from '../../core/options.js';
import type { Xoshiro } from '../../core/rng.js';
import { readTrainingFlag } from '../normalize/common.js';
import {
  checkProbability,
  describeDims,
  drawDropoutMask,
  dropoutMaskShape,
  DropoutSchema,
  expectFloatTensor,
  readRng,
  type DropoutOptions,
} from './mask.js';

/** States of a Dropout layer: its random stream and the mode flag. */
export type DropoutStates = { readonly rng: Xoshiro; readonly training: boolean };

/**
 * Dropout(p, options): in training mode, zeroes each entry with probability `p` and scales the
 * others by 1/(1−p), so the expected output is the input; in test mode, the identity.
 *
 * The mask comes from the state's generator: the call clones `st.rng`, draws the mask from the
 * clone and returns the advanced clone as the new `st.rng` (Lux semantics; the input state is
 * never mutated). The same state therefore gives the same mask, on every backend.
 *
 * ## Arguments
 * - `p`: the drop probability, in [0, 1]. With `p = 0` the layer is the identity (Lux returns a
 *   `NoOpLayer` there; this layer keeps its state so the state structure does not depend on p).
 *
 * ## Options
 * `dims`: the axes along which the mask varies (default all); e.g. `[0, -1]` on NHWC drops whole
 * channels.
 *
 * ## Inputs
 * `x`: a float32 tensor of any shape.
 *
 * ## Returns
 * `x` with the mask applied (training) or `x` itself (test), and the state with the advanced rng.
 *
 * ## Parameters
 * None.
 *
 * ## States
 * `rng` (a {@link Xoshiro}, split from the setup rng) and `training` (Lux's count: 2).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { Dropout, setup, testmode, Xoshiro } from '@deqts/core-layers';
 * const d = Dropout(0.5);
 * const [ps, st] = setup(new Xoshiro(0), d);
 * const [y, st2] = d(tf.ones([2, 4]), ps, st); // entries 0 or 2; st2.rng advanced
 * const [same] = d(tf.ones([2, 4]), ps, testmode(st2)); // the input, unchanged
 * ```
 */
export function Dropout(p: number, options: DropoutOptions = {}): Layer<tf.Tensor, tf.Tensor, Record<string, never>, DropoutStates> {
  checkProbability('Dropout', p);
  const opts = parseOptions(DropoutSchema, options, 'Dropout');
  const description = `Dropout(${p}${describeDims(opts.dims)})`;
  return defineLayer<tf.Tensor, tf.Tensor, Record<string, never>, DropoutStates>({
    name: 'Dropout',
    description,
    parameterShapes: {},
    stateKeys: ['rng', 'training'],
    initialParameters: () => ({}),
    initialStates: (rng) => ({ rng: rng.split(), training: true }),
    forward: (x, _ps, st) => {
      expectFloatTensor(x, description);
      const training = readTrainingFlag(st, description);
      const rng = readRng(st, description).clone();
      const shape = dropoutMaskShape(x.shape, opts.dims, description);
      if (!training || p === 0) return [x, st];
      const y = tf.tidy(() => tf.mul(x, drawDropoutMask(rng, shape, p)));
      return [y, { rng, training }];
    },
  });
}
