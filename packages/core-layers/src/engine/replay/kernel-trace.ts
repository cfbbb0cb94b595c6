import * as tf from '@tensorflow/tfjs-core';
import { isTensor, treeFlatten, type Tree, type TreeDef } from '../../core/tree.js';

/*
 * Records which kernels a function runs, on what, with which attributes: the trace a replay
 * program is built from (replay-program.ts). While a function is traced, four members of the tfjs
 * engine instance (tfjs-core 4.22: runKernelFunc, makeTensor, readSync, read) are wrapped; they are
 * restored when the call returns or throws. Every tensor the function touches must come from its
 * inputs, from a kernel it ran, or from a constant it created (tf.scalar, tf.zeros…); anything
 * else, and any read of tensor data on the host, ends the recording (the call itself still runs
 * normally) with the reason.
 */

/** Where a value of the trace comes from. */
export type TraceSlot =
  | { readonly kind: 'input'; readonly index: number; readonly shape: readonly number[]; readonly dtype: tf.DataType }
  | { readonly kind: 'constant'; readonly values: tf.TypedArray; readonly shape: readonly number[]; readonly dtype: tf.DataType }
  | { readonly kind: 'kernel'; readonly shape: readonly number[]; readonly dtype: tf.DataType }
  /** The same data as slot `of` under another shape (Reshape; no kernel runs on replay). */
  | { readonly kind: 'view'; readonly of: number; readonly shape: readonly number[]; readonly dtype: tf.DataType };

/** One kernel call: inputs by slot (null for an absent optional input), outputs as new slots. */
export type TraceOp = {
  readonly kernelName: string;
  /** The input names, or null when the kernel took its inputs as an array (Concat, AddN…). */
  readonly inputNames: readonly string[] | null;
  readonly inputSlots: readonly (number | null)[];
  readonly attrs: tf.NamedAttrMap | undefined;
  readonly outputSlots: readonly number[];
};

/** One leaf of the function's result. */
export type TraceOutput =
  | { readonly kind: 'tensor'; readonly slot: number; /** the very input tensor object was returned */ readonly inputObject: number | null }
  | { readonly kind: 'value'; readonly value: unknown };

/** What a traced call did, in terms a replay can re-run. */
export type KernelTrace = {
  readonly backendName: string;
  readonly slots: readonly TraceSlot[];
  readonly ops: readonly TraceOp[];
  readonly outputDef: TreeDef;
  readonly outputs: readonly TraceOutput[];
};

/** The result of {@link traceKernels}: the call's own result, and its trace or why there is none. */
export type TracedCall<R> = { readonly result: R; readonly trace: KernelTrace } | { readonly result: R; readonly trace: null; readonly reason: string };

type KernelInvocation = { kernelName: string; inputs: tf.NamedTensorMap | tf.Tensor[]; attrs?: tf.NamedAttrMap };

/** The tfjs-core 4.22 engine members the recording wraps. */
type TracedEngine = {
  backendName: string;
  runKernelFunc(params: KernelInvocation | { forwardFunc: unknown }): tf.Tensor | tf.Tensor[];
  makeTensor(values: tf.TypedArray | string[], shape: number[], dtype: tf.DataType, backend?: unknown): tf.Tensor;
  readSync(dataId: tf.DataId): unknown;
  read(dataId: tf.DataId): Promise<unknown>;
};

let active = false;

/** True while a call is being traced (a nested replayable function then runs plainly). */
export function tracing(): boolean {
  return active;
}

/**
 * Runs `fn(...inputs)` once, normally, and records the kernels it ran. `inputs` are the tensor
 * leaves the function may read (in order); every other tensor it uses must be made inside it.
 */
export function traceKernels<R>(inputs: readonly tf.Tensor[], fn: () => R): TracedCall<R> {
  const engine = tf.engine() as unknown as TracedEngine;
  if (active) throw new Error('traceKernels: already tracing (nested traces are not supported)');
  const slots: TraceSlot[] = [];
  const ops: TraceOp[] = [];
  const slotOf = new Map<number, number>();
  /** Copies made inside a kernel's bookkeeping (saved for the gradient), possibly of its outputs. */
  const copyOf = new Map<number, number>();
  const lookup = (id: number): number | undefined => slotOf.get(id) ?? (copyOf.has(id) ? lookup(copyOf.get(id) as number) : undefined);
  inputs.forEach((t, index) => {
    if (!slotOf.has(t.id)) slotOf.set(t.id, slots.push({ kind: 'input', index, shape: t.shape, dtype: t.dtype }) - 1);
  });
  let reason: string | null = null;
  const stop = (why: string) => {
    reason ??= why;
  };
  /** Depth of kernels running inside a recorded kernel (their work is the outer kernel's). */
  let depth = 0;
  const hadOwn = (['runKernelFunc', 'makeTensor', 'readSync', 'read'] as const).filter((k) => Object.prototype.hasOwnProperty.call(engine, k));
  const own = {
    runKernelFunc: engine.runKernelFunc,
    makeTensor: engine.makeTensor,
    readSync: engine.readSync,
    read: engine.read,
  };
  engine.runKernelFunc = function (params) {
    if (!('kernelName' in params) || reason !== null) return own.runKernelFunc.call(this, params);
    const { kernelName, inputs: named, attrs } = params;
    if (depth > 0) {
      const out = own.runKernelFunc.call(this, params);
      // A saved-for-gradient copy (Engine.clone inside a kernel's bookkeeping) is the same data,
      // possibly of an output not yet given its slot.
      const x = (named as tf.NamedTensorMap).x;
      if (kernelName === 'Identity' && x && isTensor(out)) copyOf.set(out.id, x.id);
      return out;
    }
    const inputNames = Array.isArray(named) ? null : Object.keys(named);
    const given: (tf.Tensor | null | undefined)[] = Array.isArray(named) ? named : (inputNames as string[]).map((k) => (named as tf.NamedTensorMap)[k]);
    const inputSlots: (number | null)[] = [];
    for (let i = 0; i < given.length; i++) {
      const t = given[i];
      const slot = t == null ? null : lookup(t.id);
      if (slot !== undefined) inputSlots.push(slot);
      else {
        stop(`kernel ${kernelName} reads a tensor made outside the traced function (input '${inputNames?.[i] ?? i}', shape [${(t as tf.Tensor).shape}])`);
        return own.runKernelFunc.call(this, params);
      }
    }
    const attrProblem = attrs ? Object.entries(attrs).find(([, v]) => isTensor(v) || typeof v === 'function') : undefined;
    if (attrProblem) {
      stop(`kernel ${kernelName} has a tensor or function attribute '${attrProblem[0]}'`);
      return own.runKernelFunc.call(this, params);
    }
    depth++;
    let out: tf.Tensor | tf.Tensor[];
    try {
      out = own.runKernelFunc.call(this, params);
    } finally {
      depth--;
    }
    const outs = Array.isArray(out) ? out : [out];
    if (kernelName === 'Identity' && inputSlots[0] !== null) {
      slotOf.set(outs[0].id, inputSlots[0]);
      return out;
    }
    if (kernelName === 'Reshape' && inputSlots[0] !== null) {
      slotOf.set(outs[0].id, slots.push({ kind: 'view', of: inputSlots[0], shape: outs[0].shape, dtype: outs[0].dtype }) - 1);
      return out;
    }
    const outputSlots = outs.map((o) => {
      const s = slots.push({ kind: 'kernel', shape: o.shape, dtype: o.dtype }) - 1;
      slotOf.set(o.id, s);
      return s;
    });
    ops.push({ kernelName, inputNames, inputSlots, attrs: attrs ? { ...attrs } : undefined, outputSlots });
    return out;
  };
  engine.makeTensor = function (values, shape, dtype, backend) {
    const t = own.makeTensor.call(this, values, shape, dtype, backend);
    if (depth === 0 && reason === null) {
      if (typeof values[0] === 'string' || !ArrayBuffer.isView(values)) stop(`a constant of dtype ${dtype} that is not a typed array`);
      else slotOf.set(t.id, slots.push({ kind: 'constant', values: (values as tf.TypedArray).slice(), shape: t.shape, dtype: t.dtype }) - 1);
    }
    return t;
  };
  engine.readSync = function (dataId) {
    if (depth === 0) stop('the function reads tensor data on the host (dataSync/arraySync), so what it runs may depend on the data');
    return own.readSync.call(this, dataId);
  };
  engine.read = function (dataId) {
    if (depth === 0) stop('the function reads tensor data on the host (data/array), so what it runs may depend on the data');
    return own.read.call(this, dataId);
  };
  active = true;
  let result: R;
  try {
    result = fn();
  } finally {
    active = false;
    // the wrappers live on the instance: put back what was there, or let the prototype show through
    for (const key of Object.keys(own) as (keyof typeof own)[]) {
      if (hadOwn.includes(key)) (engine as Record<string, unknown>)[key] = own[key];
      else delete (engine as Partial<TracedEngine>)[key];
    }
  }
  if (reason !== null) return { result, trace: null, reason };
  const [leaves, outputDef] = treeFlatten(result as Tree);
  const inputIds = inputs.map((t) => t.id);
  const outputs: TraceOutput[] = [];
  for (const leaf of leaves) {
    if (!isTensor(leaf)) {
      outputs.push({ kind: 'value', value: leaf });
      continue;
    }
    const slot = lookup(leaf.id);
    if (slot === undefined) return { result, trace: null, reason: `the result holds a tensor made outside the traced function (shape [${leaf.shape}])` };
    const at = inputIds.indexOf(leaf.id);
    outputs.push({ kind: 'tensor', slot, inputObject: at >= 0 ? at : null });
  }
  return { result, trace: { backendName: engine.backendName, slots, ops, outputDef, outputs } };
}
