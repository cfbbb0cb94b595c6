/**
 * scaleByAdam's per-parameter arithmetic as one wasm kernel (adam.wat): the new first and second
 * moments and the update, in the same float32 operations as the tfjs-op path (~11 ops per
 * parameter tensor there, ~70 per step for a small model, most of the cost being dispatch).
 */
import * as tf from '@tensorflow/tfjs-core';
import { heapOffset, registerWasmKernel, wasmModuleExports } from '@deqts/core-layers';
import { WASM_BASE64 } from './adam-wasm.js';

const ADAM = 'DeqtsAdamUpdate';

type AdamKernel = { adam(g: number, m: number, v: number, om: number, ov: number, ou: number, n: number, ...scalars: number[]): void };

/** Adam's constants: the decays and the epsilons. */
export type AdamScalars = { b1: number; b2: number; eps: number; epsRoot: number };

/** Adam's bias corrections 1 / (1 − b1ᵗ) and 1 / (1 − b2ᵗ) for update number t, in float64. */
export function biasCorrections(b1: number, b2: number, t: number): { correction1: number; correction2: number } {
  return { correction1: 1 / (1 - b1 ** t), correction2: 1 / (1 - b2 ** t) };
}

/**
 * [m', v', update] for gradient g and moments m, v (float32 tensors of one shape) at the update
 * after `count` (an int32 scalar tensor of the updates done): the kernel reads the count from the
 * heap and computes the bias corrections in float64, as the op path does on the host, so a
 * replayed step (which re-runs the kernel, not the JavaScript around it) uses the current count.
 */
export function fusedAdamUpdate(g: tf.Tensor, m: tf.Tensor, v: tf.Tensor, count: tf.Tensor, s: AdamScalars): [tf.Tensor, tf.Tensor, tf.Tensor] {
  registerWasmKernel(ADAM, (backend, inputs, attrs) => {
    const constants = attrs as unknown as AdamScalars;
    const a = { ...constants, ...biasCorrections(constants.b1, constants.b2, backend.typedArrayFromHeap(inputs.count)[0] + 1) };
    const shape = [...inputs.g.shape];
    const outs = [0, 1, 2].map(() => backend.makeOutput(shape, 'float32'));
    const n = shape.reduce((p, d) => p * d, 1);
    const [pg, pm, pv] = [inputs.g, inputs.m, inputs.v].map((t) => heapOffset(backend, t));
    const [om, ov, ou] = outs.map((t) => heapOffset(backend, t));
    // 1 − b1 and 1 − b2 in float64, as the op path computes them before tfjs rounds them.
    wasmModuleExports<AdamKernel>(WASM_BASE64, backend).adam(pg, pm, pv, om, ov, ou, n, a.b1, 1 - a.b1, a.b2, 1 - a.b2, a.correction1, a.correction2, a.eps, a.epsRoot);
    return outs;
  });
  return tf.engine().runKernel(ADAM, { g, m, v, count }, s as unknown as tf.NamedAttrMap) as unknown as [tf.Tensor, tf.Tensor, tf.Tensor];
}
