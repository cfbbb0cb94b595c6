import type * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from './errors.js';
import { isTensor } from './tree.js';

const fmt = (shape: readonly (number | string)[]): string => `[${shape.join(', ')}]`;

/**
 * Checks that `x` is a tensor of the given rank(s) whose trailing dimensions match `trailing`
 * (`null` = any size); throws a ShapeError naming the layer and the expected shape.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { expectShape } from '@deqts/core-layers';
 * expectShape(tf.zeros([2, 3]), 'Dense(3 => 4)', { rank: 2, trailing: [3], expected: ['batch', 3] });
 * ```
 */
export function expectShape(
  x: unknown,
  label: string,
  spec: { rank?: number | readonly number[]; trailing?: readonly (number | null)[]; expected: readonly (number | string)[] },
): asserts x is tf.Tensor {
  if (!isTensor(x)) throw new ShapeError(`${label} expects a tensor of shape ${fmt(spec.expected)}, got ${typeof x}`);
  const ranks = spec.rank === undefined ? null : Array.isArray(spec.rank) ? spec.rank : [spec.rank];
  const trailing = spec.trailing ?? [];
  const badRank = ranks !== null && !ranks.includes(x.rank);
  const badDims =
    x.rank < trailing.length ||
    trailing.some((d, i) => d !== null && x.shape[x.rank - trailing.length + i] !== d);
  if (badRank || badDims) {
    throw new ShapeError(`${label} expects input of shape ${fmt(spec.expected)}, got ${fmt(x.shape)}`);
  }
}
