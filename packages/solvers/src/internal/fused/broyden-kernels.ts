/** Broyden's inverse-Jacobian product as one fused wasm kernel (internal; see wasm-module.ts). */
import * as tf from '@tensorflow/tfjs-core';
import { kernelsFor, offsetOf, pointerTable, registerWasmKernel } from './wasm-module.js';

const LOW_RANK = 'DeqtsLowRankProduct';

/**
 * z = (I + a_{k−1} d_{k−1}ᵀ) ⋯ (I + a₀ d₀ᵀ) x per row: starting from x, each factor adds
 * ⟨z, dⱼ⟩·aⱼ, oldest first (one kernel call instead of four ops per factor).
 */
export function lowRankProduct(x: tf.Tensor2D, d: readonly tf.Tensor2D[], a: readonly tf.Tensor2D[]): tf.Tensor2D {
  registerWasmKernel(LOW_RANK, (b, inputs, attrs) => {
    const { k } = attrs as { k: number };
    const [batch, n] = inputs.x.shape;
    const out = b.makeOutput([batch, n], 'float32');
    const block = pointerTable(b, [...Array.from({ length: k }, (_, j) => inputs[`d${j}`]), ...Array.from({ length: k }, (_, j) => inputs[`a${j}`])]);
    const base = offsetOf(b, block);
    kernelsFor(b).lowrank(offsetOf(b, out), offsetOf(b, inputs.x), base, base + 4 * k, k, batch, n);
    b.disposeData(block.dataId);
    return out;
  });
  const inputs: Record<string, tf.Tensor> = { x };
  d.forEach((t, j) => (inputs[`d${j}`] = t));
  a.forEach((t, j) => (inputs[`a${j}`] = t));
  return tf.engine().runKernel(LOW_RANK, inputs, { k: d.length }) as tf.Tensor2D;
}
