import * as tf from '@tensorflow/tfjs-core';
import { canRunWasmKernels, gradientRecorded } from '../../engine/wasm-modules.js';
import { range } from './common.js';
import { groupNormGradWasm, groupNormWasm } from './group-norm-fused.js';

type Affine = (x: tf.Tensor, scale: tf.Tensor, bias: tf.Tensor) => tf.Tensor;
type Plain = (x: tf.Tensor) => tf.Tensor;

/**
 * Normalised x̂ of a channels-last x, statistics per sample and group over every position and the
 * group's channels: returns x̂ in the grouped shape [batch, positions, groups, channels/groups]
 * and 1/σ [batch, 1, groups, 1].
 */
function normalizeGrouped(x: tf.Tensor, groups: number, epsilon: number): { xhat: tf.Tensor; rstd: tf.Tensor } {
  const channels = x.shape[x.rank - 1];
  const grouped = tf.reshape(x, [x.shape[0], -1, groups, channels / groups]);
  const centered = tf.sub(grouped, tf.mean(grouped, [1, 3], true));
  const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(centered), [1, 3], true), epsilon));
  return { xhat: tf.mul(centered, rstd), rstd };
}

/** dx from dx̂ (grouped shape): (dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)) / σ, means over each group. */
function inputGradient(dxhat: tf.Tensor, xhat: tf.Tensor, rstd: tf.Tensor, shape: readonly number[]): tf.Tensor {
  const meanD = tf.mean(dxhat, [1, 3], true);
  const meanDX = tf.mean(tf.mul(dxhat, xhat), [1, 3], true);
  return tf.reshape(tf.mul(tf.sub(tf.sub(dxhat, meanD), tf.mul(xhat, meanDX)), rstd), [...shape]);
}

/**
 * Group normalisation `x̂·scale + bias` (or `x̂` alone) with its closed-form gradient, the same
 * values as differentiating the moments op by op to float32 rounding, in fewer ops. A
 * customGrad's forward is not on the tape, so its saved x̂ and 1/σ have no path back to x: when
 * the gradient itself is being recorded (it will be differentiated again, as Jacobian
 * regularisation does) they are recomputed from the saved input; otherwise the saved ones are
 * used.
 *
 * @example
 * ```ts
 * const gn = groupNormalizer(4, 1e-5, true);
 * const y = gn(tf.randomNormal([2, 5, 5, 16]), tf.ones([16]), tf.zeros([16]));
 * ```
 */
export function groupNormalizer(groups: number, epsilon: number, affine: true): Affine;
export function groupNormalizer(groups: number, epsilon: number, affine: false): Plain;
export function groupNormalizer(groups: number, epsilon: number, affine: boolean): Affine | Plain {
  // On wasm with no tape recording, forward and backward run as fused kernels (group-norm-fused.ts);
  // the forward then saves the group statistics, and a backward that cannot use the kernels
  // (it is itself recorded) recomputes x̂ from the saved input.
  const fusedOk = (x: tf.Tensor) => x.dtype === 'float32' && canRunWasmKernels();
  if (affine) {
    return tf.customGrad(((x: tf.Tensor, scale: tf.Tensor, bias: tf.Tensor, save: tf.GradSaveFunc) => {
      if (fusedOk(x)) {
        const [y, mean, rstd] = groupNormWasm(x, scale, bias, groups, epsilon);
        save([x, scale, mean, rstd]);
        return {
          value: y,
          gradFunc: (dy: tf.Tensor, [xs, sc, meanSaved, rstdSaved]: tf.Tensor[]) => {
            if (!gradientRecorded() && canRunWasmKernels()) return groupNormGradWasm(dy, xs, sc, meanSaved, rstdSaved, groups);
            return affineGradient(dy, xs, sc, normalizeGrouped(xs, groups, epsilon));
          },
        };
      }
      const { xhat, rstd } = normalizeGrouped(x, groups, epsilon);
      save([x, scale, xhat, rstd]);
      return {
        value: tf.add(tf.mul(tf.reshape(xhat, x.shape), scale), bias),
        gradFunc: (dy: tf.Tensor, [xs, sc, xhatSaved, rstdSaved]: tf.Tensor[]) =>
          affineGradient(dy, xs, sc, gradientRecorded() ? normalizeGrouped(xs, groups, epsilon) : { xhat: xhatSaved, rstd: rstdSaved }),
      };
    }) as never) as unknown as Affine;
  }
  return tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
    if (fusedOk(x)) {
      const [y, mean, rstd] = groupNormWasm(x, undefined, undefined, groups, epsilon);
      save([x, mean, rstd]);
      return {
        value: y,
        gradFunc: (dy: tf.Tensor, [xs, meanSaved, rstdSaved]: tf.Tensor[]) => {
          if (!gradientRecorded() && canRunWasmKernels()) return groupNormGradWasm(dy, xs, undefined, meanSaved, rstdSaved, groups)[0];
          const { xhat, rstd } = normalizeGrouped(xs, groups, epsilon);
          return inputGradient(tf.reshape(dy, xhat.shape), xhat, rstd, dy.shape);
        },
      };
    }
    const normalized = normalizeGrouped(x, groups, epsilon);
    save([x, normalized.xhat, normalized.rstd]);
    return {
      value: tf.reshape(normalized.xhat, x.shape),
      gradFunc: (dy: tf.Tensor, [xs, xhatSaved, rstdSaved]: tf.Tensor[]) => {
        const { xhat, rstd } = gradientRecorded() ? normalizeGrouped(xs, groups, epsilon) : { xhat: xhatSaved, rstd: rstdSaved };
        return inputGradient(tf.reshape(dy, xhat.shape), xhat, rstd, dy.shape);
      },
    };
  }) as never) as unknown as Plain;
}

/** [dx, dscale, dbias] of the affine group norm from x̂ and 1/σ (grouped shapes). */
function affineGradient(dy: tf.Tensor, x: tf.Tensor, scale: tf.Tensor, { xhat, rstd }: { xhat: tf.Tensor; rstd: tf.Tensor }): tf.Tensor[] {
  const axes = range(dy.rank - 1);
  return [
    inputGradient(tf.reshape(tf.mul(dy, scale), xhat.shape), xhat, rstd, x.shape),
    tf.sum(tf.mul(dy, tf.reshape(xhat, dy.shape)), axes),
    tf.sum(dy, axes),
  ];
}
