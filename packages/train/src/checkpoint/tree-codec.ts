import * as tf from '@tensorflow/tfjs-core';
import { Xoshiro, isTensor, isTreeNode } from '@deqts/core-layers';
import { CheckpointError } from '../errors.js';
import { TENSOR_DTYPES, TYPED_ARRAYS, type NodeJson, type TypedArrayName } from './manifest.js';

type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array | Int8Array | Int16Array | Uint16Array | Uint32Array;

const TYPED_ARRAY_CONSTRUCTORS: Record<TypedArrayName, new (buffer: ArrayBuffer) => TypedArray> = {
  Float32Array,
  Float64Array,
  Int32Array,
  Uint8Array,
  Int8Array,
  Int16Array,
  Uint16Array,
  Uint32Array,
};

const DTYPE_ARRAYS: Record<(typeof TENSOR_DTYPES)[number], TypedArrayName> = { float32: 'Float32Array', int32: 'Int32Array', bool: 'Uint8Array' };

const ALIGNMENT = 8;

/** Accumulates the binary payload of a checkpoint; offsets are 8-byte aligned. */
export class PayloadWriter {
  private readonly chunks: Uint8Array[] = [];
  private length = 0;

  add(bytes: Uint8Array): number {
    const padding = (ALIGNMENT - (this.length % ALIGNMENT)) % ALIGNMENT;
    if (padding > 0) {
      this.chunks.push(new Uint8Array(padding));
      this.length += padding;
    }
    const offset = this.length;
    this.chunks.push(bytes);
    this.length += bytes.byteLength;
    return offset;
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.byteLength;
    }
    return out;
  }
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return `an instance of ${(value as object).constructor?.name ?? 'an unknown class'}`;
  return `a ${typeof value}`;
}

function typedArrayName(value: unknown): TypedArrayName | null {
  if (!ArrayBuffer.isView(value) || value instanceof DataView) return null;
  const name = value.constructor.name as TypedArrayName;
  return (TYPED_ARRAYS as readonly string[]).includes(name) ? name : null;
}

function asBytes(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength).slice();
}

function encodeNumber(value: number): NodeJson {
  if (Number.isNaN(value)) return { kind: 'number', value: 'NaN' };
  if (value === Infinity) return { kind: 'number', value: 'Infinity' };
  if (value === -Infinity) return { kind: 'number', value: '-Infinity' };
  if (Object.is(value, -0)) return { kind: 'number', value: '-0' };
  return { kind: 'number', value };
}

/**
 * Describes `tree` as a manifest node and appends its tensors and typed arrays to `payload`.
 * `path` names the root (e.g. 'ps') for error messages and the manifest's per-leaf paths.
 */
export async function encodeTree(tree: unknown, path: string, payload: PayloadWriter): Promise<NodeJson> {
  if (Array.isArray(tree)) {
    const items: NodeJson[] = [];
    for (let i = 0; i < tree.length; i++) items.push(await encodeTree(tree[i], `${path}.${i}`, payload));
    return { kind: 'array', items };
  }
  if (isTreeNode(tree)) {
    const entries: (readonly [string, NodeJson])[] = [];
    for (const [k, v] of Object.entries(tree)) entries.push([k, await encodeTree(v, `${path}.${k}`, payload)] as const);
    return { kind: 'object', entries };
  }
  if (isTensor(tree)) {
    if (tree.isDisposed) throw new CheckpointError(`saveCheckpoint: the tensor at ${path} is disposed; was this tree replaced by a later training step?`);
    const dtype = tree.dtype as (typeof TENSOR_DTYPES)[number];
    if (!(TENSOR_DTYPES as readonly string[]).includes(dtype)) {
      throw new CheckpointError(`saveCheckpoint: the tensor at ${path} has dtype ${tree.dtype}; checkpoints store ${TENSOR_DTYPES.join(', ')}`);
    }
    const values = (await tree.data()) as TypedArray;
    const bytes = asBytes(values);
    return { kind: 'tensor', path, dtype, shape: [...tree.shape], offset: payload.add(bytes), byteLength: bytes.byteLength };
  }
  if (tree instanceof Xoshiro) return { kind: 'xoshiro', xoshiro: [...tree.state()] as [number, number, number, number] };
  const typed = typedArrayName(tree);
  if (typed) {
    const view = tree as TypedArray;
    const bytes = asBytes(view);
    return { kind: 'typedArray', path, type: typed, length: view.length, offset: payload.add(bytes), byteLength: bytes.byteLength };
  }
  switch (typeof tree) {
    case 'number':
      return encodeNumber(tree);
    case 'boolean':
      return { kind: 'boolean', value: tree };
    case 'string':
      return { kind: 'string', value: tree };
    case 'undefined':
      return { kind: 'undefined' };
    default:
      if (tree === null) return { kind: 'null' };
      throw new CheckpointError(
        `saveCheckpoint: cannot store ${describeValue(tree)} at ${path}; checkpoint trees hold tensors (float32, int32, bool), numbers, booleans, strings, null, typed arrays and Xoshiro generators`,
      );
  }
}

const ELEMENT_BYTES: Record<TypedArrayName, number> = {
  Float32Array: 4,
  Float64Array: 8,
  Int32Array: 4,
  Uint8Array: 1,
  Int8Array: 1,
  Int16Array: 2,
  Uint16Array: 2,
  Uint32Array: 4,
};

function sliceArray(payload: Uint8Array, type: TypedArrayName, offset: number, byteLength: number, elements: number, path: string): TypedArray {
  if (byteLength !== elements * ELEMENT_BYTES[type]) {
    throw new CheckpointError(`loadCheckpoint: ${path}: ${byteLength} bytes recorded for ${elements} ${type} elements; the manifest is corrupt`);
  }
  if (offset + byteLength > payload.byteLength) {
    throw new CheckpointError(`loadCheckpoint: ${path}: bytes ${offset}–${offset + byteLength} lie beyond the end of the tensor file (${payload.byteLength} bytes)`);
  }
  const copy = payload.buffer.slice(payload.byteOffset + offset, payload.byteOffset + offset + byteLength) as ArrayBuffer;
  return new TYPED_ARRAY_CONSTRUCTORS[type](copy);
}

/** Checks every binary leaf's extent against the payload before any tensor is created. */
export function checkExtents(node: NodeJson, payload: Uint8Array): void {
  if (node.kind === 'object') node.entries.forEach(([, child]) => checkExtents(child, payload));
  else if (node.kind === 'array') node.items.forEach((child) => checkExtents(child, payload));
  else if (node.kind === 'tensor') {
    const elements = node.shape.reduce((a, b) => a * b, 1);
    const type = DTYPE_ARRAYS[node.dtype];
    if (node.byteLength !== elements * ELEMENT_BYTES[type] || node.offset + node.byteLength > payload.byteLength) {
      throw new CheckpointError(
        `loadCheckpoint: ${node.path}: shape [${node.shape.join(', ')}] ${node.dtype} does not match its ${node.byteLength} bytes at offset ${node.offset} in a ${payload.byteLength}-byte tensor file; the checkpoint is corrupt`,
      );
    }
  } else if (node.kind === 'typedArray') {
    if (node.byteLength !== node.length * ELEMENT_BYTES[node.type] || node.offset + node.byteLength > payload.byteLength) {
      throw new CheckpointError(`loadCheckpoint: ${node.path}: ${node.type} of length ${node.length} does not fit its recorded bytes; the checkpoint is corrupt`);
    }
  }
}

/** Rebuilds a tree from its manifest node and the payload (new tensors the caller owns). */
export function decodeTree(node: NodeJson, payload: Uint8Array): unknown {
  switch (node.kind) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [k, child] of node.entries) out[k] = decodeTree(child, payload);
      return out;
    }
    case 'array':
      return node.items.map((child) => decodeTree(child, payload));
    case 'tensor': {
      const elements = node.shape.reduce((a, b) => a * b, 1);
      const values = sliceArray(payload, DTYPE_ARRAYS[node.dtype], node.offset, node.byteLength, elements, node.path);
      return tf.tensor(values as Float32Array | Int32Array | Uint8Array, [...node.shape], node.dtype);
    }
    case 'typedArray':
      return sliceArray(payload, node.type, node.offset, node.byteLength, node.length, node.path);
    case 'number':
      if (typeof node.value === 'number') return node.value;
      return { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity, '-0': -0 }[node.value];
    case 'boolean':
    case 'string':
      return node.value;
    case 'null':
      return null;
    case 'undefined':
      return undefined;
    case 'xoshiro':
      return new Xoshiro(node.xoshiro);
  }
}

function kindOf(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (isTreeNode(value)) return 'object';
  if (isTensor(value)) return 'tensor';
  if (value instanceof Xoshiro) return 'xoshiro';
  if (typedArrayName(value)) return 'typedArray';
  if (value === null) return 'null';
  return typeof value;
}

function describeNode(node: NodeJson): string {
  if (node.kind === 'tensor') return `a ${node.dtype} tensor [${node.shape.join(', ')}]`;
  if (node.kind === 'object') return `an object {${node.entries.map(([k]) => k).join(', ')}}`;
  if (node.kind === 'array') return `an array of ${node.items.length}`;
  return `a ${node.kind}`;
}

function describeTemplate(value: unknown): string {
  if (isTensor(value)) return `a ${value.dtype} tensor [${value.shape.join(', ')}]`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (isTreeNode(value)) return `an object {${Object.keys(value).join(', ')}}`;
  return `a ${kindOf(value)}`;
}

/**
 * The first difference between a saved tree and an expected template (structure, leaf kinds,
 * tensor dtypes and shapes), as a message naming the leaf path, or `null` if they agree.
 * Non-tensor leaves are compared by kind only (their values may differ); a `null` template leaf
 * matches anything.
 */
export function compareToTemplate(node: NodeJson, template: unknown, path: string): string | null {
  // A null in the template matches anything: states hold null for "not computed yet" (e.g. a
  // DEQ's solution before its first call) where a saved state may hold tensors.
  if (template === null) return null;
  const kind = kindOf(template);
  const mismatch = () => `${path}: the checkpoint has ${describeNode(node)}, expected ${describeTemplate(template)}`;
  if (kind === 'array') {
    if (node.kind !== 'array' || node.items.length !== (template as unknown[]).length) return mismatch();
    for (let i = 0; i < node.items.length; i++) {
      const d = compareToTemplate(node.items[i], (template as unknown[])[i], `${path}.${i}`);
      if (d) return d;
    }
    return null;
  }
  if (kind === 'object') {
    if (node.kind !== 'object') return mismatch();
    const saved = new Map(node.entries.map(([k, v]) => [k, v] as const));
    const expected = template as Record<string, unknown>;
    for (const key of Object.keys(expected)) {
      const child = saved.get(key);
      if (!child) return `${path}.${key}: missing from the checkpoint (it has {${[...saved.keys()].join(', ')}})`;
      const d = compareToTemplate(child, expected[key], `${path}.${key}`);
      if (d) return d;
    }
    for (const key of saved.keys()) if (!(key in expected)) return `${path}.${key}: in the checkpoint but not expected`;
    return null;
  }
  if (kind === 'tensor') {
    const t = template as tf.Tensor;
    if (node.kind !== 'tensor') return mismatch();
    if (node.dtype !== t.dtype) return `${path}: dtype ${node.dtype} in the checkpoint, ${t.dtype} expected`;
    if (node.shape.length !== t.shape.length || node.shape.some((d, i) => d !== t.shape[i])) {
      return `${path}: shape [${node.shape.join(', ')}] in the checkpoint, [${t.shape.join(', ')}] expected`;
    }
    return null;
  }
  const savedKind = node.kind;
  if (savedKind !== kind) return mismatch();
  return null;
}
