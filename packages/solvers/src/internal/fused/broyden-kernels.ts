/** Broyden's inverse-Jacobian product as one fused wasm kernel (internal; see wasm-module.ts). */
import * as tf from '@tensorflow/tfjs-core';
import { heapOffset, registerWasmKernel } from '@deqts/core-layers';
import { kernelsFor, pointerTable } from './wasm-module.js';

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
    const base = heapOffset(b, block);
    kernelsFor(b).lowrank(heapOffset(b, out), heapOffset(b, inputs.x), base, base + 4 * k, k, batch, n);
    b.disposeData(block.dataId);
    return out;
  });
  const inputs: Record<string, tf.Tensor> = { x };
  d.forEach((t, j) => (inputs[`d${j}`] = t));
  a.forEach((t, j) => (inputs[`a${j}`] = t));
  return tf.engine().runKernel(LOW_RANK, inputs, { k: d.length }) as tf.Tensor2D;
}

const STATS = 'DeqtsBroydenStats';
const UPDATE = 'DeqtsBroydenUpdate';
/** Columns of {@link broydenStats}: ⟨d,d⟩, ⟨d,z⟩, ‖d − z‖², ‖r‖², ‖f‖², max|r|, max|f|. */
export const BROYDEN_STATS_COLUMNS = 7;

/** Per-row statistics of a Broyden step in one pass (see BROYDEN_STATS_COLUMNS), as a [B, 7] tensor. */
export function broydenStats(d: tf.Tensor2D, z: tf.Tensor2D, r: tf.Tensor2D, fu: tf.Tensor2D): tf.Tensor2D {
  registerWasmKernel(STATS, (b, inputs) => {
    const [batch, n] = inputs.d.shape;
    const stats = b.makeOutput([batch, BROYDEN_STATS_COLUMNS], 'float32');
    const [pd, pz, pr, pf] = [inputs.d, inputs.z, inputs.r, inputs.fu].map((t) => heapOffset(b, t));
    kernelsFor(b).bstats(pd, pz, pr, pf, heapOffset(b, stats), batch, n);
    return stats;
  });
  return tf.engine().runKernel(STATS, { d, z, r, fu }) as tf.Tensor2D;
}

/**
 * Broyden's update from per-row coefficients (five arrays of B values α₁, β₁, α₂, β₂, β₃ in one
 * Float32Array): returns [α₁·z + β₁·d, α₂·z + β₂·d, β₃·d].
 */
export function broydenUpdate(z: tf.Tensor2D, d: tf.Tensor2D, coefficients: Float32Array): [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D] {
  registerWasmKernel(UPDATE, (b, inputs, attrs) => {
    const [batch, n] = inputs.z.shape;
    const outs = [0, 1, 2].map(() => b.makeOutput([batch, n], 'float32'));
    const block = b.makeOutput([5 * batch], 'float32');
    new Float32Array(b.wasm.asm.memory.buffer, heapOffset(b, block), 5 * batch).set((attrs as { coefficients: Float32Array }).coefficients);
    const [pa, pn, pd] = outs.map((t) => heapOffset(b, t));
    kernelsFor(b).bupdate(heapOffset(b, inputs.z), heapOffset(b, inputs.d), heapOffset(b, block), pa, pn, pd, batch, n);
    b.disposeData(block.dataId);
    return outs;
  });
  return tf.engine().runKernel(UPDATE, { z, d }, { coefficients } as unknown as tf.NamedAttrMap) as unknown as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
}
