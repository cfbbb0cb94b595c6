import * as tf from '@tensorflow/tfjs-core';
import { isTreeNode } from '@deqts/core-layers';
import type { DeepEquilibriumSolution } from '@deqts/deq';
import { jacobianLossTerm, skipLoss } from '../loss/deq-losses.js';

/**
 * Every DEQ solution in a model's state tree (the `solution` entries), outermost first.
 *
 * @example
 * ```ts
 * // const [logits, newSt] = model(x, ps, st); const [sol] = findSolutions(newSt); sol.nfe
 * ```
 */
export function findSolutions(st: unknown): DeepEquilibriumSolution[] {
  const out: DeepEquilibriumSolution[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (isTreeNode(node)) {
      for (const [k, v] of Object.entries(node)) {
        if (k === 'solution' && v && typeof v === 'object' && 'nfe' in v) out.push(v as DeepEquilibriumSolution);
        else walk(v);
      }
    }
  };
  walk(st);
  return out;
}

const sumOf = (terms: tf.Scalar[]): tf.Scalar => (terms.length === 0 ? tf.scalar(0) : (tf.addN(terms) as tf.Scalar));

/**
 * Σ over the model's DEQs of the paper's Skip loss mean |z* − u0| ({@link skipLoss}, MAE).
 *
 * @example
 * ```ts
 * // inside a loss function: tf.mul(skipLossOf(findSolutions(newSt)), 0.01)
 * ```
 */
export function skipLossOf(solutions: readonly DeepEquilibriumSolution[]): tf.Scalar {
  return sumOf(solutions.filter((s) => s.zStar && s.u0).map((s) => skipLoss(s)));
}

/**
 * Σ of the model's DEQs' Jacobian-regularisation losses ({@link jacobianLossTerm} with weight 1).
 *
 * @example
 * ```ts
 * // inside a loss function: tf.mul(jacobianLossOf(findSolutions(newSt)), 1.0)
 * ```
 */
export function jacobianLossOf(solutions: readonly DeepEquilibriumSolution[]): tf.Scalar {
  return sumOf(solutions.map((s) => jacobianLossTerm(s, 1)));
}

/**
 * Total NFE of the model's DEQs in the last call.
 *
 * @example
 * ```ts
 * // nfeOf(findSolutions(newSt))
 * ```
 */
export const nfeOf = (solutions: readonly DeepEquilibriumSolution[]): number => solutions.reduce((a, s) => a + s.nfe, 0);
