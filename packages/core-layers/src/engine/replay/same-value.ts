import type { KernelTrace, TraceOp, TraceOutput, TraceSlot } from './kernel-trace.js';

/**
 * Structural equality of plain values as a trace sees them: primitives (NaN equals NaN), typed
 * arrays by element, arrays and objects (same prototype, same keys) recursively, anything else
 * (functions, tensors, class instances' hidden state) only by identity.
 */
export function sameValue(a: unknown, b: unknown, depth = 0): boolean {
  if (Object.is(a, b)) return true;
  if (depth > 64 || a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (ArrayBuffer.isView(a)) {
    const x = a as unknown as ArrayLike<unknown>;
    const y = b as unknown as ArrayLike<unknown>;
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return false;
    return true;
  }
  if ('dataId' in a) return false; // a tensor: two different tensors are never "the same value"
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.length !== keysB.length) return false;
  for (const k of keysA) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
    if (!sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], depth + 1)) return false;
  }
  return true;
}

function sameSlot(a: TraceSlot, b: TraceSlot): boolean {
  if (a.kind !== b.kind || a.dtype !== b.dtype || !sameValue(a.shape, b.shape)) return false;
  if (a.kind === 'input') return a.index === (b as typeof a).index;
  if (a.kind === 'view') return a.of === (b as typeof a).of;
  if (a.kind === 'constant') return sameValue(a.values, (b as typeof a).values);
  return true;
}

function sameOp(a: TraceOp, b: TraceOp): boolean {
  return (
    a.kernelName === b.kernelName &&
    sameValue(a.inputNames, b.inputNames) &&
    sameValue(a.inputSlots, b.inputSlots) &&
    sameValue(a.outputSlots, b.outputSlots) &&
    sameValue(a.attrs ?? null, b.attrs ?? null)
  );
}

function sameOutput(a: TraceOutput, b: TraceOutput): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'value') return sameValue(a.value, (b as typeof a).value);
  return a.slot === (b as typeof a).slot && a.inputObject === (b as typeof a).inputObject;
}

/**
 * Where two traces of one function differ (the first difference, in words), or null when they ran
 * the same kernels with the same attributes and constants on the same dataflow and returned the
 * same non-tensor values.
 */
export function traceDifference(a: KernelTrace, b: KernelTrace): string | null {
  if (a.backendName !== b.backendName) return `backend ${a.backendName} vs ${b.backendName}`;
  if (a.ops.length !== b.ops.length) return `${a.ops.length} vs ${b.ops.length} kernels`;
  for (let i = 0; i < a.ops.length; i++) {
    if (!sameOp(a.ops[i], b.ops[i])) return `kernel ${i} (${a.ops[i].kernelName} vs ${b.ops[i].kernelName}) differs in its inputs or attributes`;
  }
  if (a.slots.length !== b.slots.length) return `${a.slots.length} vs ${b.slots.length} values`;
  for (let i = 0; i < a.slots.length; i++) {
    if (!sameSlot(a.slots[i], b.slots[i])) return `value ${i} (a ${a.slots[i].kind}) differs${a.slots[i].kind === 'constant' ? ': a constant made from host numbers changed' : ''}`;
  }
  if (!sameValue(a.outputDef, b.outputDef) || a.outputs.length !== b.outputs.length) return 'the result has another structure';
  for (let i = 0; i < a.outputs.length; i++) if (!sameOutput(a.outputs[i], b.outputs[i])) return `result leaf ${i} differs`;
  return null;
}
