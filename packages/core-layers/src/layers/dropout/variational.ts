import * as tf from '@tensorflow/tfjs-core';
import { ShapeError, StateStructureError } from '../../core/errors.js';
import { defineLayer, type Layer } from '../../core/layer.js';
import { parseOptions } from '../../core/options.js';
import type { Xoshiro } from '../../core/rng.js';
import { isTensor } from '../../core/tree.js';
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

/** States of a VariationalHiddenDropout layer. */
export type VariationalHiddenDropoutStates = {
  /** The random stream masks are drawn from. */
  readonly rng: Xoshiro;
  /** Mode flag: masks are applied only in training mode. */
  readonly training: boolean;
  /** Draw a new mask on the next training-mode call (true after setup; false after a draw). */
  readonly update_mask: boolean;
  /** The mask in use (entries 0 or 1/(1−p)), or null before the first training-mode call. */
  readonly mask: tf.Tensor | null;
};

/**
 * VariationalHiddenDropout(p, options): dropout whose mask is drawn once and then reused on every
 * call until asked for a new one (Gal & Ghahramani's variational dropout; the mask of a DEQ's
 * hidden state must stay fixed while the solver iterates).
 *
 * In training mode, when `st.update_mask` is true (as after `setup`) or there is no mask yet, a
 * mask is drawn from a clone of `st.rng` (like {@link Dropout}) and stored in the state with
 * `update_mask: false`; otherwise the stored mask is applied. Draw a new one with
 * `updateState(st, 'update_mask', true)` (Lux: `Lux.update_state(st, :update_mask, Val(true))`).
 * In test mode the layer is the identity and the state is returned unchanged (Lux instead stores
 * the input as the mask there, which a later training call would reuse; that is not copied).
 *
 * ## Arguments
 * - `p`: the drop probability, in [0, 1] (p = 0: the identity).
 *
 * ## Options
 * `dims`: the axes along which the mask varies (default all).
 *
 * ## Inputs
 * `x`: a float32 tensor; with a stored mask, of the shape the mask was drawn for (along `dims`).
 *
 * ## Returns
 * `x ⊙ mask` (training) or `x` (test), and the new state.
 *
 * ## Parameters
 * None.
 *
 * ## States
 * `rng`, `training`, `update_mask`, `mask` (a tensor, or null before the first draw; the caller
 * owns it like any state tensor). Lux's count: 4 before the first draw.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { VariationalHiddenDropout, setup, updateState, Xoshiro } from '@deqts/core-layers';
 * const d = VariationalHiddenDropout(0.2);
 * const [ps, st] = setup(new Xoshiro(0), d);
 * const [y1, st1] = d(tf.ones([2, 8]), ps, st);   // draws and stores a mask
 * const [y2, st2] = d(tf.ones([2, 8]), ps, st1);  // the same mask again
 * const [y3] = d(tf.ones([2, 8]), ps, updateState(st2, 'update_mask', true)); // a new mask
 * ```
 */
export function VariationalHiddenDropout(
  p: number,
  options: DropoutOptions = {},
): Layer<tf.Tensor, tf.Tensor, Record<string, never>, VariationalHiddenDropoutStates> {
  checkProbability('VariationalHiddenDropout', p);
  const opts = parseOptions(DropoutSchema, options, 'VariationalHiddenDropout');
  const description = `VariationalHiddenDropout(${p}${describeDims(opts.dims)})`;
  return defineLayer<tf.Tensor, tf.Tensor, Record<string, never>, VariationalHiddenDropoutStates>({
    name: 'VariationalHiddenDropout',
    description,
    parameterShapes: {},
    stateKeys: ['rng', 'training', 'update_mask', 'mask'],
    initialParameters: () => ({}),
    initialStates: (rng) => ({ rng: rng.split(), training: true, update_mask: true, mask: null }),
    forward: (x, _ps, st) => {
      expectFloatTensor(x, description);
      const training = readTrainingFlag(st, description);
      const rng = readRng(st, description);
      if (typeof st.update_mask !== 'boolean') {
        throw new StateStructureError(`${description}: state 'update_mask' must be true or false, got ${String(st.update_mask)}`);
      }
      if (st.mask !== null && !isTensor(st.mask)) {
        throw new StateStructureError(`${description}: state 'mask' must be a tensor or null, got ${typeof st.mask}`);
      }
      const shape = dropoutMaskShape(x.shape, opts.dims, description);
      if (!training) return [x, st];
      if (st.update_mask || st.mask === null) {
        const next = rng.clone();
        const mask = drawDropoutMask(next, shape, p);
        const y = tf.mul(x, mask);
        return [y, { rng: next, training, update_mask: false, mask }];
      }
      const mask = st.mask;
      if (mask.rank !== shape.length || mask.shape.some((d, i) => d !== shape[i])) {
        throw new ShapeError(
          `${description}: the stored mask has shape [${mask.shape.join(', ')}] but input [${x.shape.join(', ')}] needs [${shape.join(', ')}]. ` +
            "Draw a new mask with updateState(st, 'update_mask', true).",
        );
      }
      return [tf.mul(x, mask), st];
    },
  });
}
