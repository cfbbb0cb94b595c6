import * as tf from '@tensorflow/tfjs-core';
import { isTreeNode } from '@deqts/core-layers';
import type { DeepEquilibriumSolution } from '@deqts/deq';

/** Every DEQ solution in a model's state tree (the `solution` entries), outermost first. */
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

/** Σ over the model's DEQs of mean |z* − u0| (the paper's Skip loss), as a scalar tensor. */
export function skipLossOf(solutions: readonly DeepEquilibriumSolution[]): tf.Scalar {
  const terms = solutions
    .filter((s) => s.zStar && s.u0)
    .map((s) => tf.mean(tf.abs(tf.sub(s.zStar as tf.Tensor, s.u0 as tf.Tensor))));
  return (terms.length === 0 ? tf.scalar(0) : tf.addN(terms)) as tf.Scalar;
}

/** Σ of the DEQs' Jacobian-regularisation losses, as a scalar tensor. */
export function jacobianLossOf(solutions: readonly DeepEquilibriumSolution[]): tf.Scalar {
  const terms = solutions.filter((s) => s.jacobianLoss).map((s) => s.jacobianLoss as tf.Scalar);
  return (terms.length === 0 ? tf.scalar(0) : tf.addN(terms)) as tf.Scalar;
}

/** Total NFE of the model's DEQs in the last call. */
export const nfeOf = (solutions: readonly DeepEquilibriumSolution[]): number => solutions.reduce((a, s) => a + s.nfe, 0);
