import * as tf from '@tensorflow/tfjs-core';
import { BackendError } from '../../core/errors.js';
import { treeUnflatten } from '../../core/tree.js';
import type { KernelTrace, TraceSlot } from './kernel-trace.js';
import { fuseProductAdds } from './fuse-product-add.js';

/*
 * A kernel trace turned into a program that runs the same kernels, in the same order, on new
 * inputs of the same shapes, without the tfjs engine: no tensor objects for intermediates, no
 * scopes, no gradient tape, no re-running of the JavaScript that chose the kernels. The results
 * are bit-identical to the traced call's kind of run, because the same kernel functions get the
 * same attributes and the same operands. Identity and Reshape cost nothing (the data is shared),
 * and kernels none of whose outputs reach the result (the copies a tape saves, diagnostics) are
 * left out.
 */

/**
 * Internal switches (bench/ab-step.ts `--switch replayFreeEarly` / `replayFuse` time both): free
 * each kernel output after its last reader instead of after the whole program; fuse a product
 * with the Add that is its only reader (fuse-product-add.ts; read when a program is built).
 */
export const replaySettings = { freeEarly: true, fuseProductAdd: true };

type KernelBackendWithRefs = tf.KernelBackend & { incRef(dataId: tf.DataId): void };

export type ProgramOp = {
  readonly kernelName: string;
  readonly kernelFunc: tf.KernelFunc;
  readonly inputNames: readonly string[] | null;
  readonly inputSlots: readonly (number | null)[];
  readonly attrs: tf.NamedAttrMap | undefined;
  readonly outputSlots: readonly number[];
};

type EngineWrap = { makeTensorFromTensorInfo(info: tf.TensorInfo, backend?: tf.KernelBackend): tf.Tensor };

/** A replayable kernel sequence, bound to the backend it was traced on. Dispose it when done. */
export class ReplayProgram {
  /** Kernels run per replay (after dead ones and Identity/Reshape were dropped). */
  readonly kernelCount: number;
  private readonly ops: ProgramOp[];
  private readonly base: Int32Array;
  /** [slot, argument index] of the slots that are arguments, so a run does not scan every slot. */
  private readonly inputSlots: [number, number][] = [];
  private readonly constants = new Map<number, tf.TensorInfo>();
  /** Per kernel, the output slots whose data is freed once it has run (their last reader). */
  private readonly freeAfter: number[][];
  private disposed = false;

  constructor(
    private readonly trace: KernelTrace,
    private readonly backend: KernelBackendWithRefs,
  ) {
    const { slots } = trace;
    // every slot's data is that of its base slot (views share their source's data)
    this.base = new Int32Array(slots.length);
    slots.forEach((s, i) => {
      this.base[i] = s.kind === 'view' ? this.base[s.of] : i;
      if (s.kind === 'input') this.inputSlots.push([i, s.index]);
    });
    // the data the call returns: never freed early, and where the liveness walk starts
    const pinned = new Uint8Array(slots.length);
    for (const out of trace.outputs) if (out.kind === 'tensor') pinned[this.base[out.slot]] = 1;
    const live = pinned.slice();
    const kept: ProgramOp[] = [];
    for (let i = trace.ops.length - 1; i >= 0; i--) {
      const op = trace.ops[i];
      if (!op.outputSlots.some((s) => live[s])) continue;
      for (const s of op.inputSlots) if (s !== null) live[this.base[s]] = 1;
      const kernel = tf.getKernel(op.kernelName, trace.backendName);
      if (!kernel) throw new BackendError(`replay: kernel '${op.kernelName}' is not registered for backend '${trace.backendName}'`);
      kept.push({ ...op, kernelFunc: kernel.kernelFunc });
    }
    this.ops = replaySettings.fuseProductAdd ? fuseProductAdds(kept.reverse(), slots, this.base, pinned, trace.backendName) : kept.reverse();
    this.kernelCount = this.ops.length;
    // each kernel output's data is freed right after the last kernel that reads it (unless the
    // call returns it), so the allocator hands the next outputs blocks still in cache
    const lastUse = new Int32Array(slots.length).fill(-1);
    this.ops.forEach((op, i) => {
      for (const s of op.outputSlots) lastUse[s] = i;
      for (const s of op.inputSlots) if (s !== null) lastUse[this.base[s]] = i;
    });
    this.freeAfter = this.ops.map(() => [] as number[]);
    this.ops.forEach((op) => {
      for (const s of op.outputSlots) if (!pinned[s]) this.freeAfter[lastUse[s]].push(s);
    });
    slots.forEach((s, i) => {
      if (s.kind === 'constant' && live[i]) {
        const dataId = backend.write(s.values.slice(), [...s.shape], s.dtype);
        this.constants.set(i, { dataId, shape: [...s.shape], dtype: s.dtype });
      }
    });
  }

  /** True when this program can run on the engine's current backend. */
  runsOnCurrentBackend(): boolean {
    return !this.disposed && tf.getBackend() === this.trace.backendName && tf.backend() === this.backend;
  }

  /**
   * Runs the kernels on `inputs` (the tensor leaves of the arguments, in trace order, with the
   * traced shapes) and returns the result tree: new tensors (owned by the caller, tracked by the
   * engine's current scope), the input tensors the traced call returned as they were, and the
   * non-tensor leaves it returned.
   */
  run(inputs: readonly tf.Tensor[]): unknown {
    if (!this.runsOnCurrentBackend()) throw new BackendError(`replay: the program was traced on backend '${this.trace.backendName}', which is no longer the current one`);
    const { slots } = this.trace;
    const values: (tf.TensorInfo | undefined)[] = new Array(slots.length);
    for (const [slot, index] of this.inputSlots) values[slot] = inputs[index];
    for (const [i, info] of this.constants) values[i] = info;
    const info = (slot: number): tf.TensorInfo => {
      const s = slots[slot];
      const data = values[this.base[slot]] as tf.TensorInfo;
      return s.kind === 'view' ? { dataId: data.dataId, shape: s.shape as number[], dtype: s.dtype } : data;
    };
    const produced: number[] = [];
    const free = (slot: number): void => {
      this.backend.disposeData((values[slot] as tf.TensorInfo).dataId);
      values[slot] = undefined;
    };
    try {
      for (let i = 0; i < this.ops.length; i++) {
        const op = this.ops[i];
        const { inputNames, inputSlots, outputSlots } = op;
        let named: tf.NamedTensorInfoMap | (tf.TensorInfo | null)[];
        if (inputNames === null) {
          named = new Array<tf.TensorInfo | null>(inputSlots.length);
          for (let j = 0; j < inputSlots.length; j++) {
            const s = inputSlots[j];
            named[j] = s === null ? null : info(s);
          }
        } else {
          named = {};
          for (let j = 0; j < inputNames.length; j++) {
            const s = inputSlots[j];
            if (s !== null) named[inputNames[j]] = info(s);
          }
        }
        const out = op.kernelFunc({ inputs: named as tf.NamedTensorInfoMap, attrs: op.attrs, backend: this.backend });
        const outs = Array.isArray(out) ? out : null;
        if ((outs === null ? 1 : outs.length) !== outputSlots.length) {
          throw new ReplayShapeError(`replay: kernel ${op.kernelName} returned ${outs === null ? 1 : outs.length} outputs where the trace had ${outputSlots.length}`);
        }
        for (let j = 0; j < outputSlots.length; j++) {
          const o = outs === null ? (out as tf.TensorInfo) : outs[j];
          const slot = outputSlots[j];
          values[slot] = o;
          produced.push(slot);
          checkShape(op.kernelName, slots[slot], o);
        }
        if (replaySettings.freeEarly) for (const slot of this.freeAfter[i]) free(slot);
      }
      return this.results(inputs, info, produced.filter((slot) => values[slot] !== undefined));
    } catch (error) {
      for (const slot of produced) if (values[slot] !== undefined) free(slot);
      throw error;
    }
  }

  /** Frees the program's constants. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const { dataId } of this.constants.values()) this.backend.disposeData(dataId);
    this.constants.clear();
  }

  private results(inputs: readonly tf.Tensor[], info: (slot: number) => tf.TensorInfo, produced: readonly number[]): unknown {
    const engine = tf.engine() as unknown as EngineWrap;
    const handedOver = new Set<number>();
    const leaves = this.trace.outputs.map((out) => {
      if (out.kind === 'value') return out.value;
      if (out.inputObject !== null) return inputs[out.inputObject];
      const data = info(out.slot);
      const owned = this.trace.slots[out.slot].kind === 'kernel' && !handedOver.has(out.slot);
      if (owned) handedOver.add(out.slot);
      else this.backend.incRef(data.dataId);
      return engine.makeTensorFromTensorInfo({ dataId: data.dataId, shape: [...data.shape], dtype: data.dtype }, this.backend);
    });
    for (const slot of produced) if (!handedOver.has(slot)) this.backend.disposeData(info(slot).dataId);
    return treeUnflatten(this.trace.outputDef, leaves);
  }
}

/** A replayed kernel returned another shape than on the trace (its shape depends on the data). */
export class ReplayShapeError extends BackendError {
  override name = 'ReplayShapeError';
}

function checkShape(kernelName: string, slot: TraceSlot, out: tf.TensorInfo): void {
  const same = out.dtype === slot.dtype && out.shape.length === slot.shape.length && out.shape.every((d, i) => d === slot.shape[i]);
  if (!same) {
    throw new ReplayShapeError(
      `replay: kernel ${kernelName} returned ${out.dtype}[${out.shape}] where the trace had ${slot.dtype}[${slot.shape}]; its output shape depends on the data, so this function cannot be replayed`,
    );
  }
}
