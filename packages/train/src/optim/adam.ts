import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { canRunWasmKernels, isTensor, parseOptions, treeLeaves, treeMap, type Tree } from '@deqts/core-layers';
import { biasCorrections, fusedAdamApply, fusedAdamUpdate, type AdamScalars } from './adam-kernel.js';
import type { FusedApply } from './fused-apply.js';
import { optimSwitches } from './switches.js';
import { mapTensorLeaves, tidyTree, zerosLikeTree, type GradientTransformation } from './transform.js';

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const unitInterval = z.number().min(0).lt(1);

/** A leaf holding the fused kernel's three outputs (a class instance, so tree maps stop at it). */
class FusedLeaf {
  constructor(readonly outputs: [tf.Tensor, tf.Tensor, tf.Tensor]) {}
}

/** Output `i` of each fused leaf of `fused`; its other leaves as they are. */
const pickOutput = (fused: unknown, i: number): Tree => treeMap((leaf: unknown) => (leaf instanceof FusedLeaf ? leaf.outputs[i] : leaf), fused as Tree);

/** State of {@link scaleByAdam}: the update count and the first and second moment estimates. */
export type AdamState = {
  /**
   * Updates done so far, an int32 scalar tensor (as Optax's `count`): it advances on the device,
   * so a replayed training step (`{ replay: true }`) uses the right bias corrections. A plain
   * number (checkpoints of earlier versions) is accepted and replaced by a tensor.
   */
  readonly count: tf.Tensor | number;
  readonly mu: Tree<tf.Tensor | null>;
  readonly nu: Tree<tf.Tensor | null>;
};

export const AdamMomentOptions = z.strictObject({
  b1: unitInterval.default(0.9),
  b2: unitInterval.default(0.999),
  eps: z.number().nonnegative().refine(Number.isFinite, 'must be finite').default(1e-8),
  epsRoot: z.number().nonnegative().refine(Number.isFinite, 'must be finite').default(0),
});

/** Options of {@link scaleByAdam}. */
export type ScaleByAdamOptions = {
  /** Decay of the first moment. Default 0.9. */
  readonly b1?: number;
  /** Decay of the second moment. Default 0.999. */
  readonly b2?: number;
  /** Added to the denominator outside the square root. Default 1e-8. */
  readonly eps?: number;
  /** Added inside the square root. Default 0. */
  readonly epsRoot?: number;
};

/**
 * Adam's rescaling (Kingma & Ba): with `t` the 1-based update count,
 * `μ ← b1 μ + (1 − b1) g`, `ν ← b2 ν + (1 − b2) g²`, and the update
 * `(μ / (1 − b1ᵗ)) / (√(ν / (1 − b2ᵗ) + epsRoot) + eps)`. State `{ count, mu, nu }` (moments are
 * zeros at init; `count` an int32 scalar tensor, as in Optax). Combine with {@link scaleByLearningRate}.
 *
 * @example
 * ```ts
 * import { chain, scaleByAdam, scaleByLearningRate } from '@deqts/train';
 * const myAdam = chain(scaleByAdam({ b2: 0.99 }), scaleByLearningRate(1e-3));
 * ```
 */
export function scaleByAdam(options: ScaleByAdamOptions = {}): GradientTransformation<AdamState> {
  const { b1, b2, eps, epsRoot } = parseOptions(AdamMomentOptions, options, 'scaleByAdam');
  return {
    init: (params) => ({ count: tf.scalar(0, 'int32'), mu: zerosLikeTree(params), nu: zerosLikeTree(params) }),
    update: (updates, state) =>
      tidyTree(() => {
        const done = isTensor(state.count) ? state.count : tf.scalar(state.count, 'int32');
        const count = tf.add(done, tf.scalar(1, 'int32'));
        if (optimSwitches.fusedAdam && canRunWasmKernels()) {
          // One kernel per parameter tensor on wasm: the same float32 operations in one pass; the
          // kernel reads the count and computes the bias corrections itself (adam-kernel.ts).
          const scalars = { b1, b2, eps, epsRoot };
          const fused = mapTensorLeaves((g, m, v) => new FusedLeaf(fusedAdamUpdate(g, m as tf.Tensor, v as tf.Tensor, done, scalars)), updates, state.mu, state.nu);
          return [pickOutput(fused, 2) as typeof updates, { count, mu: pickOutput(fused, 0) as Tree<tf.Tensor | null>, nu: pickOutput(fused, 1) as Tree<tf.Tensor | null> }] as const;
        }
        // Bias corrections computed in float64 on the host (one read of the count), applied as float32 factors.
        const { correction1, correction2 } = biasCorrections(b1, b2, done.dataSync()[0] + 1);
        const mu = mapTensorLeaves((g, m) => tf.add(tf.mul(m as tf.Tensor, b1), tf.mul(g, 1 - b1)), updates, state.mu);
        const nu = mapTensorLeaves((g, v) => tf.add(tf.mul(v as tf.Tensor, b2), tf.mul(tf.square(g), 1 - b2)), updates, state.nu);
        const out = mapTensorLeaves(
          (m, v) => {
            const muHat = tf.mul(m, correction1);
            const nuHat = tf.mul(v as tf.Tensor, correction2);
            const root = epsRoot === 0 ? tf.sqrt(nuHat) : tf.sqrt(tf.add(nuHat, epsRoot));
            return tf.div(muHat, tf.add(root, eps));
          },
          mu,
          nu,
        );
        return [out, { count, mu: mu as Tree<tf.Tensor | null>, nu: nu as Tree<tf.Tensor | null> }] as const;
      }),
  };
}

/** True for a tree whose tensor leaves are all float32. */
const allFloat32 = (tree: unknown): boolean => treeLeaves(tree as Tree).every((leaf) => !isTensor(leaf) || leaf.dtype === 'float32');

/**
 * The fused parameter step (fused-apply.ts) of `chain(scaleByAdam(scalars), scale(factor))`
 * followed by `applyUpdates`: on wasm, one kernel per parameter tensor computes the new moments
 * and p + update·factor, the same float32 operations as the three steps' ops. Declines (null) off
 * wasm, while a tape records, with the op switch off, for a state other than
 * `[{ count: tensor, mu, nu }, {}]` (e.g. a plain-number count from an older checkpoint) and for
 * non-float32 leaves; the caller then runs the unfused steps.
 */
export function adamApplyStep(scalars: AdamScalars, factor: number): FusedApply {
  return (ps, optState, grads) => {
    if (!optimSwitches.fusedAdam || !optimSwitches.fusedApply || !canRunWasmKernels() || !Array.isArray(optState) || optState.length !== 2) return null;
    const state = optState[0] as AdamState;
    if (!isTensor(state?.count) || !allFloat32(ps) || !allFloat32(grads) || !allFloat32(state.mu) || !allFloat32(state.nu)) return null;
    const done = state.count;
    const constants = { ...scalars, scale: factor };
    return tidyTree(() => {
      const fused = mapTensorLeaves(
        (g, m, v, p) => new FusedLeaf(fusedAdamApply(g, m as tf.Tensor, v as tf.Tensor, p as tf.Tensor, done, constants)),
        grads,
        state.mu,
        state.nu,
        ps,
      );
      const newPs = mapTensorLeaves((p, leaf) => (leaf instanceof FusedLeaf ? leaf.outputs[2] : p), ps, fused);
      const adamState: AdamState = { count: tf.add(done, tf.scalar(1, 'int32')), mu: pickOutput(fused, 0) as Tree<tf.Tensor | null>, nu: pickOutput(fused, 1) as Tree<tf.Tensor | null> };
      return { ps: newPs, optState: [adamState, optState[1]] };
    });
  };
}
