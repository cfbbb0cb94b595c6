import * as tf from '@tensorflow/tfjs-core';
import { GradientError } from '@deqts/core-layers';
import { withNestedGradients } from './tape-guard.js';

/*
 * Record once, backpropagate many times. The implicit backward needs ~30 vector–Jacobian products
 * vᵀ ∂f/∂z at the same point z*; `tf.engine().gradients` re-runs f's forward for each of them.
 * Here f(z*, x) is recorded once on a tfjs gradient tape, and every VJP walks that tape backwards
 * with a new cotangent (what tfjs's own `backpropagateGradients` does, reimplemented because
 * tfjs-core does not export it). This relies on tfjs-core 4.22 internals, all listed in
 * EngineInternals/TapeNode below; @tensorflow/tfjs-core is pinned and test/tape-guard.test.ts
 * fails loudly if any of them changes.
 */

/** A node of tfjs's gradient tape (tfjs-core 4.22 `TapeNode`). */
type TapeNode = {
  id: number;
  kernelName: string;
  inputs: Record<string, tf.Tensor>;
  outputs: tf.Tensor[];
  saved?: tf.Tensor[];
  gradient?: (dys: Array<tf.Tensor | null>) => Record<string, () => tf.Tensor>;
};

/** The engine members used here (tfjs-core 4.22 `Engine`). */
type EngineInternals = {
  state: { activeTape: TapeNode[] | null; gradientDepth: number };
  startTape(): void;
  endTape(): void;
  scopedRun<T>(start: () => void, end: () => void, f: () => T): T;
  tidy<T extends tf.TensorContainer>(name: string, f: () => T): T;
};

/** The engine, checked for every internal the replay touches. */
export function engineInternals(): EngineInternals {
  const engine = tf.engine() as unknown as Partial<EngineInternals>;
  const state = engine.state as Partial<EngineInternals['state']> | undefined;
  const missing = [
    typeof engine.startTape !== 'function' && 'startTape',
    typeof engine.endTape !== 'function' && 'endTape',
    typeof engine.scopedRun !== 'function' && 'scopedRun',
    typeof engine.tidy !== 'function' && 'tidy',
    (!state || typeof state !== 'object') && 'state',
    state && typeof state.gradientDepth !== 'number' && 'state.gradientDepth',
  ].filter(Boolean);
  if (missing.length > 0) {
    throw new GradientError(
      `tfjs engine internals changed (${missing.join(', ')} missing): the implicit DEQ gradient's tape replay ` +
        'needs them; use the pinned @tensorflow/tfjs-core version or gradient: "jfb".',
    );
  }
  return engine as EngineInternals;
}

/** The nodes of `tape` on a path from one of `xs` to `y`, inputs pruned to those depending on `xs` (tfjs's getFilteredNodesXToY). */
function nodesFromXToY(tape: readonly TapeNode[], xs: readonly tf.Tensor[], y: tf.Tensor): TapeNode[] {
  const fromX = new Set<number>(xs.map((x) => x.id));
  const nodesFromX = new Set<number>();
  for (const node of tape) {
    for (const name in node.inputs) {
      if (fromX.has(node.inputs[name].id)) {
        for (const o of node.outputs) fromX.add(o.id);
        nodesFromX.add(node.id);
        break;
      }
    }
  }
  const toY = new Set<number>([y.id]);
  const nodesToY = new Set<number>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i];
    if (node.outputs.some((o) => toY.has(o.id))) {
      for (const name in node.inputs) toY.add(node.inputs[name].id);
      nodesToY.add(node.id);
    }
  }
  const out: TapeNode[] = [];
  for (const node of tape) {
    if (!nodesFromX.has(node.id) || !nodesToY.has(node.id)) continue;
    const inputs: Record<string, tf.Tensor> = {};
    for (const name in node.inputs) if (fromX.has(node.inputs[name].id)) inputs[name] = node.inputs[name];
    out.push({ ...node, inputs });
  }
  return out;
}

/** Walks `nodes` backwards from `y` with cotangent `dy` and returns the gradient of each of `xs` (tfjs's backpropagateGradients). */
function backpropagate(nodes: readonly TapeNode[], y: tf.Tensor, dy: tf.Tensor, xs: readonly tf.Tensor[]): tf.Tensor[] {
  return tf.tidy(() => {
    const grads = new Map<number, tf.Tensor>([[y.id, dy]]);
    for (let i = nodes.length - 1; i >= 0; i--) {
      const node = nodes[i];
      const dys = node.outputs.map((o) => grads.get(o.id) ?? null);
      if (!node.gradient) throw new GradientError(`Cannot compute gradient: gradient function not found for ${node.kernelName}.`);
      const inputGradients = node.gradient(dys);
      for (const name in node.inputs) {
        const gradOf = inputGradients[name];
        if (!gradOf) throw new GradientError(`Cannot backprop through input ${name} of ${node.kernelName}.`);
        const dx = tf.tidy(() => gradOf());
        const x = node.inputs[name];
        if (dx.dtype !== 'float32' || !tf.util.arraysEqual(dx.shape, x.shape)) {
          throw new GradientError(`gradient of input '${name}' of ${node.kernelName}: got ${dx.dtype} [${dx.shape}], expected float32 [${x.shape}]`);
        }
        const current = grads.get(x.id);
        grads.set(x.id, current ? tf.add(current, dx) : dx);
      }
    }
    // A gradient that is `dy` itself (f returns one of xs unchanged) is copied: the caller owns the results.
    return xs.map((x) => {
      const g = grads.get(x.id);
      return g === undefined ? tf.zerosLike(x) : g === dy ? tf.clone(dy) : g;
    });
  });
}

/** f recorded once at fixed inputs; {@link RecordedMap.vjp} replays its tape for any cotangent. */
export type RecordedMap = {
  /** f's value at the recorded point. */
  readonly value: tf.Tensor;
  /** `[cotangentᵀ ∂f/∂xᵢ]` for each xᵢ of the group (zeros where f does not depend on it). */
  vjp(group: number, cotangent: tf.Tensor): tf.Tensor[];
  /** Frees the tape's saved tensors and the value. */
  dispose(): void;
};

/**
 * Records `f()` once on a gradient tape, for vector–Jacobian products with respect to each group
 * of tensors in `groups` (e.g. `[[z], params]`: the adjoint needs many products with respect to z
 * and one with respect to the parameters). Safe inside a customGrad gradient function. Returns
 * null where recording is not possible (inside an outer tape, i.e. a higher-order gradient); the
 * caller then falls back to {@link vectorJacobianProduct}.
 */
export function recordForVjp(f: () => tf.Tensor, groups: readonly (readonly tf.Tensor[])[]): RecordedMap | null {
  const engine = engineInternals();
  if (engine.state.gradientDepth !== 0) return null;
  return withNestedGradients(() => {
    const value = engine.scopedRun(() => engine.startTape(), () => engine.endTape(), () => engine.tidy('forward', f));
    const tape = engine.state.activeTape;
    engine.state.activeTape = null;
    if (!Array.isArray(tape)) {
      throw new GradientError(
        'tfjs engine internals changed (startTape no longer fills state.activeTape): the implicit DEQ gradient\'s tape ' +
          'replay needs it; use the pinned @tensorflow/tfjs-core version or gradient: "jfb".',
      );
    }
    if (!(value instanceof tf.Tensor)) {
      for (const node of tape) for (const t of node.saved ?? []) t.dispose();
      throw new GradientError('recordForVjp: f must return a tensor');
    }
    const filtered = groups.map((xs) => nodesFromXToY(tape, xs, value));
    let disposed = false;
    return {
      value,
      vjp: (group, cotangent) => {
        if (disposed) throw new GradientError('recordForVjp: the recording was disposed');
        return backpropagate(filtered[group], value, cotangent, groups[group]);
      },
      dispose: () => {
        if (disposed) return;
        disposed = true;
        for (const node of tape) for (const t of node.saved ?? []) t.dispose();
        value.dispose();
      },
    };
  });
}
