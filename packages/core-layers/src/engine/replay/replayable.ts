import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { parseOptions } from '../../core/options.js';
import { isTensor, isTreeNode } from '../../core/tree.js';
import { traceKernels, tracing, type KernelTrace } from './kernel-trace.js';
import { ReplayProgram, ReplayShapeError } from './replay-program.js';
import { sameValue, traceDifference } from './same-value.js';

/** How a {@link replayable} function has been running. */
export type ReplayReport = {
  /** Calls answered by replaying recorded kernels. */
  readonly replays: number;
  /** Calls that ran the function itself (tracing it, or because it cannot be replayed). */
  readonly plainCalls: number;
  /** Kernels one replay runs, per argument signature that has a program. */
  readonly kernelsPerReplay: readonly number[];
  /** Why some call could not be replayed (the latest reason), or null. */
  readonly reason: string | null;
};

/** A function wrapped by {@link replayable}: call it as the original. */
export type ReplayableFunction<A extends unknown[], R> = ((...args: A) => R) & {
  /** Counts and the reason replay was refused, if it was. */
  report(): ReplayReport;
  /** Frees the recorded programs' constants now (garbage collection of the function does it too); later calls run the function plainly. */
  dispose(): void;
};

/** Options of {@link replayable}. */
export type ReplayableOptions = {
  /** Traces per argument signature before giving up when consecutive traces keep differing (default 3). */
  readonly maxTraces?: number;
  /** Argument signatures (shapes, dtypes, structure) to keep programs for (default 4). */
  readonly maxSignatures?: number;
};

const ReplayableOptionsSchema = z.strictObject({
  maxTraces: z.number().int().min(2, 'at least 2 (two traces are compared)').default(3),
  maxSignatures: z.number().int().positive().default(4),
});

/** Tokens of a signature template (see {@link matchTemplate}). */
const ARRAY = 1;
const OBJECT = 2;
const TENSOR = 3;
const VALUE = 4;

/** The tensor and other leaves of a call's arguments, and their structure as a template. */
type Signature = { tensors: tf.Tensor[]; values: unknown[]; template: unknown[] };

/**
 * The arguments' tensor leaves and other leaves (in treeFlatten's order) and a template of their
 * structure — the backend, each object's keys, each array's length, each tensor's dtype and
 * shape, a token per other leaf — which {@link matchTemplate} checks later calls against.
 */
function signatureOf(args: unknown): Signature {
  const tensors: tf.Tensor[] = [];
  const values: unknown[] = [];
  const template: unknown[] = [tf.getBackend()];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      template.push(ARRAY, node.length);
      for (const child of node) walk(child);
    } else if (isTreeNode(node)) {
      const keys = Object.keys(node);
      template.push(OBJECT, keys);
      for (const k of keys) walk((node as Record<string, unknown>)[k]);
    } else if (isTensor(node)) {
      tensors.push(node);
      template.push(TENSOR, node.dtype, node.shape.slice());
    } else {
      values.push(node);
      template.push(VALUE);
    }
  };
  walk(args);
  return { tensors, values, template };
}

/**
 * The tensors and other leaves of `args` when they have the structure `template` records (same
 * backend, keys, array lengths, tensor dtypes and shapes), else null.
 */
function matchTemplate(template: readonly unknown[], args: unknown): { tensors: tf.Tensor[]; values: unknown[] } | null {
  if (template[0] !== tf.getBackend()) return null;
  let at = 1;
  const tensors: tf.Tensor[] = [];
  const values: unknown[] = [];
  const walk = (node: unknown): boolean => {
    const kind = template[at++];
    if (kind === ARRAY) {
      if (!Array.isArray(node) || node.length !== template[at++]) return false;
      for (const child of node) if (!walk(child)) return false;
      return true;
    }
    if (kind === OBJECT) {
      if (Array.isArray(node) || !isTreeNode(node)) return false;
      const keys = template[at++] as readonly string[];
      const actual = Object.keys(node);
      if (actual.length !== keys.length) return false;
      for (let i = 0; i < keys.length; i++) if (actual[i] !== keys[i]) return false;
      for (const k of keys) if (!walk((node as Record<string, unknown>)[k])) return false;
      return true;
    }
    if (kind === TENSOR) {
      if (!isTensor(node)) return false;
      const dtype = template[at++];
      const shape = template[at++] as readonly number[];
      if (node.dtype !== dtype || node.shape.length !== shape.length) return false;
      for (let i = 0; i < shape.length; i++) if (node.shape[i] !== shape[i]) return false;
      tensors.push(node);
      return true;
    }
    if (Array.isArray(node) || isTreeNode(node) || isTensor(node)) return false;
    values.push(node);
    return true;
  };
  return walk(args) && at === template.length ? { tensors, values } : null;
}

/**
 * Frees the programs of a replayable function that was garbage collected (their constants live in
 * the backend's memory, outside the JavaScript heap). The held value is the entries map only, not
 * the function, so registering does not keep the function alive.
 */
const finalizer = new FinalizationRegistry<Map<unknown[], Entry>>((entries) => {
  for (const e of entries.values()) {
    try {
      e.program?.dispose();
    } catch {
      // the backend is gone: its memory went with it
    }
  }
});

type Entry = {
  values: unknown[];
  last: KernelTrace | null;
  traces: number;
  program: ReplayProgram | null;
  /** Programs dropped because the non-tensor arguments changed after they were built. */
  dropped: number;
  refused: string | null;
};

/**
 * Wraps a function of tensors so that, once two consecutive calls with the same argument shapes
 * ran exactly the same kernels (same attributes, same constants, same dataflow, same non-tensor
 * results), later calls replay those kernels directly on the backend instead of running the
 * function: no JavaScript of the model, no gradient tape, no engine bookkeeping per operation, no
 * tensor objects for intermediates. The results are bit-identical to running the function. This
 * is a trace-and-replay compiler like `tf.function` or JAX's `jit` for functions whose kernel
 * sequence does not depend on the data: explicit networks, fixed-depth (pretraining) DEQs, their
 * gradients. It refuses (and keeps calling the function) when a call reads tensor data on the host
 * (a solver's convergence test, for instance), uses a tensor made outside the function that is
 * not an argument, or keeps producing different kernel sequences.
 *
 * Like `jit`, a replay does not run the function's JavaScript: side effects (logging, counters,
 * callbacks) happen only on the traced calls, and a host number that changes later without
 * changing the first two calls (a schedule read from a closure) is baked in. Pass such values as
 * tensor arguments. Non-tensor argument leaves are part of the signature: when they change, the
 * function is traced again. Replayed kernels bypass the engine, so `tf.profile` and the engine's
 * debug mode do not see them (profile the plain calls, or keep the wrapper off while profiling).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { replayable } from '@deqts/core-layers';
 * const f = replayable((w: tf.Tensor, x: tf.Tensor) => tf.tanh(tf.matMul(x, w)));
 * const w = tf.randomNormal([4, 4]);
 * for (let i = 0; i < 5; i++) tf.tidy(() => f(w, tf.ones([2, 4])));
 * f.report(); // { replays: 3, plainCalls: 2, kernelsPerReplay: [2], reason: null }
 * ```
 */
export function replayable<A extends unknown[], R>(fn: (...args: A) => R, options: ReplayableOptions = {}): ReplayableFunction<A, R> {
  const { maxTraces, maxSignatures } = parseOptions(ReplayableOptionsSchema, options, 'replayable');
  /** Per signature seen (its template), its traces or program. */
  const entries = new Map<unknown[], Entry>();
  let replays = 0;
  let plainCalls = 0;
  let reason: string | null = null;
  let disposed = false;
  /** The template of the last call's signature. */
  let previous: unknown[] | null = null;
  /** The signature seen before that `args` has: the previous call's first (the common case). */
  const knownSignature = (args: A): { template: unknown[]; match: { tensors: tf.Tensor[]; values: unknown[] } } | null => {
    const first = previous && matchTemplate(previous, args);
    if (previous && first) return { template: previous, match: first };
    for (const template of entries.keys()) {
      const match = template === previous ? null : matchTemplate(template, args);
      if (match) return { template, match };
    }
    return null;
  };
  const plain = (args: A): R => {
    plainCalls++;
    return fn(...args);
  };
  const wrapped = (...args: A): R => {
    if (disposed || tracing()) return plain(args);
    let known = knownSignature(args);
    if (!known) {
      if (entries.size >= maxSignatures) {
        reason = `more than ${maxSignatures} argument signatures (shapes or structures)`;
        return plain(args);
      }
      const signature = signatureOf(args);
      known = { template: signature.template, match: signature };
      entries.set(signature.template, { values: signature.values, last: null, traces: 0, program: null, dropped: 0, refused: null });
    }
    previous = known.template;
    const entry = entries.get(known.template) as Entry;
    const { tensors, values } = known.match;
    if (entry.refused !== null) return plain(args);
    if (entry.program && sameValue(entry.values, values) && entry.program.runsOnCurrentBackend()) {
      try {
        const out = entry.program.run(tensors) as R;
        replays++;
        return out;
      } catch (error) {
        if (!(error instanceof ReplayShapeError)) throw error;
        // a kernel's output shape depends on the data: this function cannot be replayed
        entry.program.dispose();
        entry.program = null;
        entry.refused = reason = error.message;
        return plain(args);
      }
    }
    if (entry.program) {
      // the non-tensor arguments (or the backend) changed: trace again from scratch, a few times
      entry.program.dispose();
      entry.program = null;
      entry.last = null;
      entry.traces = 0;
      if (++entry.dropped > maxTraces) {
        entry.refused = reason = 'the non-tensor arguments keep changing after a program was built';
        return plain(args);
      }
    }
    plainCalls++;
    const traced = traceKernels(tensors, () => fn(...args));
    if (traced.trace === null) {
      entry.refused = reason = traced.reason;
      return traced.result;
    }
    entry.traces++;
    const difference = entry.last === null ? 'a first trace' : sameValue(entry.values, values) ? traceDifference(entry.last, traced.trace) : 'the non-tensor arguments changed';
    if (difference === null) {
      try {
        entry.program = new ReplayProgram(traced.trace, tf.backend() as ConstructorParameters<typeof ReplayProgram>[1]);
      } catch (error) {
        // e.g. a kernel unregistered since the trace: keep calling the function
        entry.refused = reason = `the program could not be built: ${(error as Error).message}`;
      }
      entry.last = null;
    } else {
      if (entry.last && entry.traces >= maxTraces) entry.refused = reason = `consecutive calls ran different kernels (${difference})`;
      entry.last = traced.trace;
      entry.values = values;
    }
    return traced.result;
  };
  const result = Object.assign(wrapped, {
    report: (): ReplayReport => ({
      replays,
      plainCalls,
      kernelsPerReplay: [...entries.values()].flatMap((e) => (e.program ? [e.program.kernelCount] : [])),
      reason,
    }),
    dispose: () => {
      disposed = true;
      for (const e of entries.values()) e.program?.dispose();
      entries.clear();
    },
  });
  finalizer.register(result, entries);
  return result;
}
