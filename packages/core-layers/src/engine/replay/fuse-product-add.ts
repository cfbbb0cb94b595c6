import * as tf from '@tensorflow/tfjs-core';
import { BackendError } from '../../core/errors.js';
import { isWasmModuleBackend } from '../wasm-modules.js';
import { addInto } from '../fixes/wasm-binary.js';
import type { TraceSlot } from './kernel-trace.js';
import type { ProgramOp } from './replay-program.js';

/**
 * A replayed program's matrix products whose only reader is an Add of a tensor of the same shape
 * (a layer's W·z + u, a weight gradient accumulated over the uses of W), fused into one op on
 * wasm: the product's output, then the addend added into it in place by the SIMD Add kernel.
 * Addition is correctly rounded and commutative, so the bits are the two kernels'. The fused op
 * stands where the Add stood (its operands are alive there: nothing is freed before planning);
 * a product whose output is returned, read twice or viewed, keeps its Add.
 */
export function fuseProductAdds(ops: readonly ProgramOp[], slots: readonly TraceSlot[], base: Int32Array, pinned: Uint8Array, backendName: string): ProgramOp[] {
  if (backendName !== 'wasm') return [...ops];
  const matMul = tf.getKernel('BatchMatMul', backendName)?.kernelFunc;
  if (!matMul) return [...ops];
  const readers = new Int32Array(slots.length);
  const producer = new Int32Array(slots.length).fill(-1);
  ops.forEach((op, i) => {
    for (const s of op.inputSlots) if (s !== null) readers[base[s]]++;
    for (const s of op.outputSlots) producer[s] = i;
  });
  const out: (ProgramOp | null)[] = [...ops];
  ops.forEach((op, j) => {
    if (op.kernelName !== 'Add' || op.outputSlots.length !== 1 || op.inputSlots.length !== 2 || op.inputNames?.join() !== 'a,b') return;
    for (const side of [0, 1]) {
      // the Add may read the product's output through a view (a gradient reshaped to its operand)
      const s = op.inputSlots[side];
      const other = op.inputSlots[1 - side];
      if (s === null || other === null) continue;
      const made = base[s];
      if (base[other] === made || readers[made] !== 1 || pinned[made]) continue;
      const i = producer[made];
      const product = i >= 0 ? out[i] : null;
      if (!product || product.kernelName !== 'BatchMatMul' || product.outputSlots.length !== 1 || product.inputNames?.join() !== 'a,b') continue;
      if (!sameFloat32Shape(slots[s], slots[other])) continue;
      out[i] = null;
      out[j] = {
        kernelName: 'BatchMatMul+Add',
        kernelFunc: fusedProductAdd(matMul, slots[op.outputSlots[0]].shape),
        inputNames: ['a', 'b', 'addend'],
        inputSlots: [...product.inputSlots, other],
        attrs: product.attrs,
        outputSlots: op.outputSlots,
      };
      return;
    }
  });
  return out.filter((op): op is ProgramOp => op !== null);
}

function sameFloat32Shape(x: TraceSlot, y: TraceSlot): boolean {
  return x.dtype === 'float32' && y.dtype === 'float32' && x.shape.length === y.shape.length && x.shape.every((d, k) => d === y.shape[k]);
}

/**
 * The fused op's kernel function: the product (BatchMatMul's own kernel), seen in the Add's
 * output shape (the same number of values), then C += addend.
 */
function fusedProductAdd(matMul: tf.KernelFunc, shape: readonly number[]): tf.KernelFunc {
  return ({ inputs, attrs, backend }) => {
    const made = matMul({ inputs: { a: inputs.a, b: inputs.b }, attrs, backend }) as tf.TensorInfo;
    const c: tf.TensorInfo = { dataId: made.dataId, shape: [...shape], dtype: made.dtype };
    const addend = inputs.addend as tf.TensorInfo;
    // fusion takes float32 operands of one shape on wasm only, where addInto always applies
    if (!isWasmModuleBackend(backend) || !addInto(backend, c, addend)) throw new BackendError('replay: a fused product + Add ran off wasm or on operands it does not take');
    return c;
  };
}
