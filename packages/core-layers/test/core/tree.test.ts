import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  disposeReplaced, StateStructureError, treeClone, treeFlatten, treeLeaves, treeMap, treeStructureDifference,
  treeUnflatten, treeZipWith, treeDispose, Xoshiro,
} from '@deqts/core-layers';

describe('tree', () => {
  it('flatten/unflatten round-trips random nested trees', () => {
    const rng = new Xoshiro(3);
    const build = (depth: number): unknown => {
      const kind = depth === 0 ? 0 : rng.integer(3);
      if (kind === 0) return rng.integer(100);
      if (kind === 1) return Array.from({ length: rng.integer(3) }, () => build(depth - 1));
      const o: Record<string, unknown> = {};
      for (let i = 0; i < rng.integer(4); i++) o[`k${i}`] = build(depth - 1);
      return o;
    };
    for (let trial = 0; trial < 50; trial++) {
      const t = build(4);
      const [leaves, def] = treeFlatten(t);
      expect(treeUnflatten(def, leaves)).toEqual(t);
      expect(treeLeaves(t)).toEqual(leaves);
    }
  });

  it('maps, zips by key and reports structure differences', () => {
    expect(treeMap((v: number) => v * 2, { a: 1, b: [2, { c: 3 }] })).toEqual({ a: 2, b: [4, { c: 6 }] });
    expect(treeZipWith((a: number, b: number) => a - b, { x: 5, y: [1] }, { y: [1], x: 2 })).toEqual({ x: 3, y: [0] });
    expect(() => treeZipWith((a: number) => a, { x: 1 }, { y: 1 })).toThrow(StateStructureError);
    expect(() => treeZipWith((a: number) => a, { x: [1, 2] }, { x: [1] })).toThrow(/x: array length 2 vs 1/);
    expect(treeStructureDifference({ a: { b: 1 } }, { a: { b: 2 } })).toBeNull();
    expect(() => treeUnflatten(treeFlatten([1, 2])[1], [1])).toThrow(StateStructureError);
  });

  it('clone copies tensors, disposeReplaced keeps shared leaves', () => {
    const shared = tf.ones([2]);
    const old = { a: shared, b: tf.zeros([2]), flag: true };
    const copy = treeClone(old);
    expect(copy.a).not.toBe(shared);
    expect(Array.from(copy.a.dataSync())).toEqual([1, 1]);
    const next = { a: shared, b: tf.ones([2]), flag: false };
    disposeReplaced(old, next);
    expect(old.b.isDisposed).toBe(true);
    expect(shared.isDisposed).toBe(false);
    treeDispose(next);
    treeDispose(copy);
    expect(shared.isDisposed).toBe(true);
  });
});
