/**
 * scaleByAdam's per-parameter arithmetic as one wasm kernel (adam.wat): the new first and second
 * moments and the update, in the same float32 operations as the tfjs-op path (~11 ops per
 * parameter tensor there, ~70 per step for a small model, most of the cost being dispatch).
 */
import * as tf from '@tensorflow/tfjs-core';
import { heapOffset, registerWasmKernel, wasmModuleExports, type WasmModuleBackend } from '@deqts/core-layers';
import { WASM_BASE64 } from './adam-wasm.js';

const ADAM = 'DeqtsAdamUpdate';
const ADAM_APPLY = 'DeqtsAdamApply';

/** adam.wat: out = the update, or with apply = 1 the parameters p + update·s (p unused otherwise). */
type AdamKernel = { adam(g: number, m: number, v: number, p: number, om: number, ov: number, out: number, n: number, ...scalars: number[]): void };

/** Adam's constants: the decays and the epsilons. */
export type AdamScalars = { b1: number; b2: number; eps: number; epsRoot: number };

/** Adam's bias corrections 1 / (1 − b1ᵗ) and 1 / (1 − b2ᵗ) for update number t, in float64. */
export function biasCorrections(b1: number, b2: number, t: number): { correction1: number; correction2: number } {
  return { correction1: 1 / (1 - b1 ** t), correction2: 1 / (1 - b2 ** t) };
}

type Inputs = Readonly<Record<string, tf.TensorInfo>>;

/**
 * The kernel's float scalars after the pointers: the decays, 1 − decays (in float64, as the op path
 * computes them before tfjs rounds them), the bias corrections of the update after the count read
 * from the heap, and the epsilons.
 */
function kernelScalars(backend: WasmModuleBackend, inputs: Inputs, c: AdamScalars): number[] {
  const { correction1, correction2 } = biasCorrections(c.b1, c.b2, backend.typedArrayFromHeap(inputs.count)[0] + 1);
  return [c.b1, 1 - c.b1, c.b2, 1 - c.b2, correction1, correction2, c.eps, c.epsRoot];
}

/** Three float32 outputs shaped like `like`, with the heap offsets of the given inputs and of the outputs. */
function pointers(backend: WasmModuleBackend, like: tf.TensorInfo, ins: tf.TensorInfo[]): { outs: tf.TensorInfo[]; ptrs: number[]; n: number } {
  const shape = [...like.shape];
  const outs = [0, 1, 2].map(() => backend.makeOutput(shape, 'float32'));
  return { outs, ptrs: [...ins, ...outs].map((t) => heapOffset(backend, t)), n: shape.reduce((p, d) => p * d, 1) };
}

/**
 * [m', v', update] for gradient g and moments m, v (float32 tensors of one shape) at the update
 * after `count` (an int32 scalar tensor of the updates done): the kernel reads the count from the
 * heap and computes the bias corrections in float64, as the op path does on the host, so a
 * replayed step (which re-runs the kernel, not the JavaScript around it) uses the current count.
 */
export function fusedAdamUpdate(g: tf.Tensor, m: tf.Tensor, v: tf.Tensor, count: tf.Tensor, s: AdamScalars): [tf.Tensor, tf.Tensor, tf.Tensor] {
  registerWasmKernel(ADAM, (backend, inputs, attrs) => {
    const { outs, ptrs, n } = pointers(backend, inputs.g, [inputs.g, inputs.m, inputs.v]);
    const [pg, pm, pv, om, ov, ou] = ptrs;
    wasmModuleExports<AdamKernel>(WASM_BASE64, backend).adam(pg, pm, pv, 0, om, ov, ou, n, ...kernelScalars(backend, inputs, attrs as unknown as AdamScalars), 1, 0);
    return outs;
  });
  return tf.engine().runKernel(ADAM, { g, m, v, count }, s as unknown as tf.NamedAttrMap) as unknown as [tf.Tensor, tf.Tensor, tf.Tensor];
}

/**
 * [m', v', p'] for Adam followed by a constant scale `scale` (−learning rate) and the parameter
 * step: p' = p + update·scale, the float32 operations of `scale` and `applyUpdates` after those of
 * {@link fusedAdamUpdate}, in one pass instead of three.
 */
export function fusedAdamApply(
  g: tf.Tensor,
  m: tf.Tensor,
  v: tf.Tensor,
  p: tf.Tensor,
  count: tf.Tensor,
  s: AdamScalars & { scale: number },
): [tf.Tensor, tf.Tensor, tf.Tensor] {
  registerWasmKernel(ADAM_APPLY, (backend, inputs, attrs) => {
    const a = attrs as unknown as AdamScalars & { scale: number };
    const { outs, ptrs, n } = pointers(backend, inputs.g, [inputs.g, inputs.m, inputs.v, inputs.p]);
    const [pg, pm, pv, pp, om, ov, op] = ptrs;
    wasmModuleExports<AdamKernel>(WASM_BASE64, backend).adam(pg, pm, pv, pp, om, ov, op, n, ...kernelScalars(backend, inputs, a), a.scale, 1);
    return outs;
  });
  return tf.engine().runKernel(ADAM_APPLY, { g, m, v, p, count }, s as unknown as tf.NamedAttrMap) as unknown as [tf.Tensor, tf.Tensor, tf.Tensor];
}
