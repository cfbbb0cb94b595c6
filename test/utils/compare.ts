import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';

/** Max |a − b| / max(1, |b|) over all elements. */
export function maxRelativeDifference(a: tf.Tensor | ArrayLike<number>, b: tf.Tensor | ArrayLike<number>): number {
  const av = a instanceof tf.Tensor ? a.dataSync() : a;
  const bv = b instanceof tf.Tensor ? b.dataSync() : b;
  expect(av.length).toBe(bv.length);
  let m = 0;
  for (let i = 0; i < av.length; i++) m = Math.max(m, Math.abs(av[i] - bv[i]) / Math.max(1, Math.abs(bv[i])));
  return m;
}

/** Asserts two tensors (or arrays) are equal to `tol` (relative, with a floor of 1). */
export function expectClose(a: tf.Tensor | ArrayLike<number>, b: tf.Tensor | ArrayLike<number>, tol = 1e-5, what = 'values'): void {
  if (a instanceof tf.Tensor && b instanceof tf.Tensor) expect(a.shape).toEqual(b.shape);
  expect(maxRelativeDifference(a, b), what).toBeLessThanOrEqual(tol);
}
