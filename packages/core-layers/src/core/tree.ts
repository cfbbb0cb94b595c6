import * as tf from '@tensorflow/tfjs-core';
import { StateStructureError } from './errors.js';

/**
 * A nested tree: a leaf, an array of trees, or a plain object of trees. Only plain objects
 * (`Object.getPrototypeOf(o) === Object.prototype` or `null`) and arrays are nodes; everything else
 * (tensors, numbers, booleans, strings, `Xoshiro`, `null`) is a leaf. Key order is insertion order.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import type { Tree } from '@deqts/core-layers';
 * const ps: Tree<tf.Tensor> = { layer_1: { weight: tf.ones([2, 2]), bias: tf.zeros([2]) } };
 * ```
 */
export type Tree<L = unknown> = L | readonly Tree<L>[] | { readonly [key: string]: Tree<L> | undefined };

/** A tree whose leaves are tensors: the shape of parameters and gradients. */
export type TensorTree = Tree<tf.Tensor>;

/** One step of a path into a tree: an object key or an array index. */
export type TreeKey = string | number;

/** The structure of a tree with its leaves removed, as produced by {@link treeFlatten}. */
export type TreeDef =
  | { readonly kind: 'leaf' }
  | { readonly kind: 'array'; readonly children: readonly TreeDef[] }
  | { readonly kind: 'object'; readonly keys: readonly string[]; readonly children: readonly TreeDef[] };

/**
 * True for the nodes of a tree: arrays and plain objects.
 *
 * @example
 * ```ts
 * import { isTreeNode } from '@deqts/core-layers';
 * isTreeNode({ a: 1 }); // true
 * isTreeNode(3); // false
 * ```
 */
export function isTreeNode(value: unknown): value is readonly unknown[] | Record<string, unknown> {
  if (Array.isArray(value)) return true;
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * True when `value` is a tfjs tensor.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { isTensor } from '@deqts/core-layers';
 * isTensor(tf.scalar(1)); // true
 * ```
 */
export function isTensor(value: unknown): value is tf.Tensor {
  return value instanceof tf.Tensor;
}

function pathString(path: readonly TreeKey[]): string {
  return path.length === 0 ? '(root)' : path.map(String).join('.');
}

/**
 * The leaves of a tree in deterministic (insertion) order, with their paths.
 *
 * @example
 * ```ts
 * import { treeLeavesWithPath } from '@deqts/core-layers';
 * treeLeavesWithPath({ a: 1, b: [2, 3] }); // [[['a'], 1], [['b', 0], 2], [['b', 1], 3]]
 * ```
 */
export function treeLeavesWithPath<L = unknown>(tree: Tree<L>): Array<[TreeKey[], L]> {
  const out: Array<[TreeKey[], L]> = [];
  const walk = (node: unknown, path: TreeKey[]): void => {
    if (Array.isArray(node)) node.forEach((child, i) => walk(child, [...path, i]));
    else if (isTreeNode(node)) for (const [k, v] of Object.entries(node)) walk(v, [...path, k]);
    else out.push([path, node as L]);
  };
  walk(tree, []);
  return out;
}

/**
 * The leaves of a tree in deterministic (insertion) order.
 *
 * @example
 * ```ts
 * import { treeLeaves } from '@deqts/core-layers';
 * treeLeaves({ a: 1, b: [2, 3] }); // [1, 2, 3]
 * ```
 */
export function treeLeaves<L = unknown>(tree: Tree<L>): L[] {
  const out: L[] = [];
  collectLeaves(tree, out as unknown[]);
  return out;
}

/** Appends the leaves of `node` to `out` (treeLeavesWithPath's order, without building paths). */
function collectLeaves(node: unknown, out: unknown[]): void {
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) if (i in node) collectLeaves(node[i], out);
  } else if (isTreeNode(node)) {
    const keys = Object.keys(node);
    for (let i = 0; i < keys.length; i++) collectLeaves((node as Record<string, unknown>)[keys[i]], out);
  } else out.push(node);
}

/**
 * Splits a tree into its leaves and its structure; {@link treeUnflatten} inverts it.
 *
 * @example
 * ```ts
 * import { treeFlatten, treeUnflatten } from '@deqts/core-layers';
 * const [leaves, def] = treeFlatten({ w: 1, b: [2] });
 * treeUnflatten(def, leaves.map((v) => (v as number) * 10)); // { w: 10, b: [20] }
 * ```
 */
export function treeFlatten<L = unknown>(tree: Tree<L>): [L[], TreeDef] {
  const leaves: L[] = [];
  const walk = (node: unknown): TreeDef => {
    if (Array.isArray(node)) return { kind: 'array', children: node.map(walk) };
    if (isTreeNode(node)) {
      const keys = Object.keys(node);
      return { kind: 'object', keys, children: keys.map((k) => walk((node as Record<string, unknown>)[k])) };
    }
    leaves.push(node as L);
    return { kind: 'leaf' };
  };
  const def = walk(tree);
  return [leaves, def];
}

/**
 * Rebuilds a tree from a structure and leaves in flatten order.
 *
 * @example
 * ```ts
 * import { treeFlatten, treeUnflatten } from '@deqts/core-layers';
 * const [, def] = treeFlatten([0, { x: 0 }]);
 * treeUnflatten(def, ['a', 'b']); // ['a', { x: 'b' }]
 * ```
 */
export function treeUnflatten<L = unknown>(def: TreeDef, leaves: readonly L[]): Tree<L> {
  let i = 0;
  const build = (d: TreeDef): Tree<L> => {
    if (d.kind === 'leaf') {
      if (i >= leaves.length) throw new StateStructureError(`treeUnflatten: too few leaves (${leaves.length})`);
      return leaves[i++];
    }
    if (d.kind === 'array') return d.children.map(build);
    const out: Record<string, Tree<L>> = {};
    for (let j = 0; j < d.keys.length; j++) out[d.keys[j]] = build(d.children[j]);
    return out;
  };
  const tree = build(def);
  if (i !== leaves.length) {
    throw new StateStructureError(`treeUnflatten: ${leaves.length} leaves given for a structure with ${i}`);
  }
  return tree;
}

/**
 * Maps a function over the leaves of a tree, keeping its structure.
 *
 * @example
 * ```ts
 * import { treeMap } from '@deqts/core-layers';
 * treeMap((v: number) => v + 1, { a: 1, b: [2] }); // { a: 2, b: [3] }
 * ```
 */
export function treeMap<A, B>(fn: (leaf: A, path: readonly TreeKey[]) => B, tree: Tree<A>): Tree<B> {
  const walk = (node: unknown, path: TreeKey[]): Tree<B> => {
    if (Array.isArray(node)) return node.map((child, i) => walk(child, [...path, i]));
    if (isTreeNode(node)) {
      const out: Record<string, Tree<B>> = {};
      for (const [k, v] of Object.entries(node)) out[k] = walk(v, [...path, k]);
      return out;
    }
    return fn(node as A, path);
  };
  return walk(tree, []);
}

/**
 * Describes the first place where two trees differ in structure, or `null` if they match.
 *
 * @example
 * ```ts
 * import { treeStructureDifference } from '@deqts/core-layers';
 * treeStructureDifference({ a: 1 }, { b: 1 }); // "at (root): keys {a} vs {b}"
 * ```
 */
export function treeStructureDifference(a: unknown, b: unknown, path: TreeKey[] = []): string | null {
  const aNode = isTreeNode(a);
  const bNode = isTreeNode(b);
  if (!aNode && !bNode) return null;
  if (Array.isArray(a) !== Array.isArray(b) || aNode !== bNode) {
    return `at ${pathString(path)}: ${describeKind(a)} vs ${describeKind(b)}`;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return `at ${pathString(path)}: array length ${a.length} vs ${b.length}`;
    for (let i = 0; i < a.length; i++) {
      const d = treeStructureDifference(a[i], b[i], [...path, i]);
      if (d) return d;
    }
    return null;
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao);
  const bk = Object.keys(bo);
  const same = ak.length === bk.length && ak.every((k) => k in bo);
  if (!same) return `at ${pathString(path)}: keys {${ak.join(', ')}} vs {${bk.join(', ')}}`;
  for (const k of ak) {
    const d = treeStructureDifference(ao[k], bo[k], [...path, k]);
    if (d) return d;
  }
  return null;
}

function describeKind(v: unknown): string {
  if (Array.isArray(v)) return `array(${v.length})`;
  if (isTreeNode(v)) return `object {${Object.keys(v).join(', ')}}`;
  if (isTensor(v)) return `tensor [${v.shape.join(', ')}]`;
  return typeof v;
}

/**
 * Maps a function over the leaves of several trees with the same structure. Leaves are paired by
 * key (not by position); a structure mismatch throws a {@link StateStructureError} naming the
 * first differing place.
 *
 * @example
 * ```ts
 * import { treeZipWith } from '@deqts/core-layers';
 * treeZipWith((a: number, b: number) => a + b, { x: 1, y: [2] }, { y: [3], x: 4 }); // { x: 5, y: [5] }
 * ```
 */
export function treeZipWith<A, B>(
  fn: (first: A, ...rest: A[]) => B,
  tree: Tree<A>,
  ...others: Tree<A>[]
): Tree<B> {
  for (const other of others) {
    const diff = treeStructureDifference(tree, other);
    if (diff) throw new StateStructureError(`tree structures differ ${diff}`);
  }
  const walk = (node: unknown, rest: unknown[]): Tree<B> => {
    if (Array.isArray(node)) return node.map((child, i) => walk(child, rest.map((r) => (r as unknown[])[i])));
    if (isTreeNode(node)) {
      const out: Record<string, Tree<B>> = {};
      for (const [k, v] of Object.entries(node)) out[k] = walk(v, rest.map((r) => (r as Record<string, unknown>)[k]));
      return out;
    }
    return fn(node as A, ...(rest as A[]));
  };
  return walk(tree, others);
}

/**
 * Disposes every tensor leaf of a tree.
 *
 * @example
 * ```ts
 * import * as tf from '@deqts/core-layers';
 * ```
 */
export function treeDispose(tree: unknown): void {
  for (const leaf of treeLeaves(tree as Tree)) if (isTensor(leaf) && !leaf.isDisposed) leaf.dispose();
}

/**
 * Disposes the tensors of `oldTree` that are not also leaves of `newTree` (by identity). Use it
 * after a training step: parameters or states passed through unchanged are the same tensor object
 * in both trees and must survive.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { disposeReplaced } from '@deqts/core-layers';
 * const keep = tf.ones([2]);
 * const old = { a: keep, b: tf.zeros([2]) };
 * const next = { a: keep, b: tf.ones([2]) };
 * disposeReplaced(old, next); // disposes old.b only
 * ```
 */
export function disposeReplaced(oldTree: unknown, newTree: unknown): void {
  const alive = new Set<number>();
  for (const leaf of treeLeaves(newTree as Tree)) if (isTensor(leaf)) alive.add(leaf.id);
  for (const leaf of treeLeaves(oldTree as Tree)) {
    if (isTensor(leaf) && !alive.has(leaf.id) && !leaf.isDisposed) leaf.dispose();
  }
}

/**
 * A deep copy of a tree: tensors are cloned (new tensors the caller owns), other leaves kept.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { treeClone } from '@deqts/core-layers';
 * const copy = treeClone({ w: tf.ones([2]) });
 * ```
 */
export function treeClone<T>(tree: T): T {
  return treeMap((leaf: unknown) => (isTensor(leaf) ? tf.clone(leaf) : leaf), tree as Tree) as T;
}

/**
 * Marks every tensor leaf with `tf.keep`, so an enclosing `tf.tidy` does not free it.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { treeKeep } from '@deqts/core-layers';
 * const kept = tf.tidy(() => { const t = { a: tf.ones([1]) }; treeKeep(t); return 0; });
 * ```
 */
export function treeKeep<T>(tree: T): T {
  for (const leaf of treeLeaves(tree as Tree)) if (isTensor(leaf)) tf.keep(leaf);
  return tree;
}

/**
 * The tensor leaves of a tree.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { treeTensors } from '@deqts/core-layers';
 * treeTensors({ a: tf.ones([1]), training: true }).length; // 1
 * ```
 */
export function treeTensors(tree: unknown): tf.Tensor[] {
  return treeLeaves(tree as Tree).filter(isTensor);
}
