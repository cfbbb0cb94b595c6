/**
 * GroupNorm's forward and closed-form backward as two wasm kernels each (group-norm.wat): a pass
 * of per-(sample, channel) sums over positions, and one per-(sample, channel) linear combination
 * writing the result. The op path (group-normalize.ts) makes ~10 tfjs ops of the tensor's full
 * size per direction, several of them broadcasts, which wasm runs slowly: for a conv DEQ's
 * [128, 28, 28, 16] state they were most of an f evaluation. Group statistics and coefficients
 * are computed on the host in float64. Internal: group-normalize.ts calls these on wasm when no
 * tape records.
 */
import * as tf from '@tensorflow/tfjs-core';
import { heapOffset, registerWasmKernel, wasmModuleExports, type WasmModuleBackend } from '../../engine/wasm-modules.js';
import { WASM_BASE64 } from './group-norm-wasm.js';

type Kernels = {
  chanstats(o1: number, o2: number, u: number, v: number, su: number, sv: number, batch: number, pos: number, ch: number): void;
  lincomb(out: number, u: number, v: number, cu: number, cv: number, c0: number, batch: number, pos: number, ch: number): void;
};

const FORWARD = 'DeqtsGroupNorm';
const BACKWARD = 'DeqtsGroupNormGrad';

/** Sizes of a channels-last tensor seen as [batch, positions, channels]. */
function dims(x: tf.TensorInfo): { batch: number; pos: number; ch: number } {
  const batch = x.shape[0];
  const ch = x.shape[x.shape.length - 1];
  const size = x.shape.reduce((p, d) => p * d, 1);
  return { batch, pos: batch * ch === 0 ? 0 : size / (batch * ch), ch };
}

/** A float32 scratch block of `blocks` [batch, channels] arrays; views on it and its offset. */
function scratch(backend: WasmModuleBackend, blocks: number, bc: number) {
  const info = backend.makeOutput([blocks * bc], 'float32');
  const base = heapOffset(backend, info);
  const view = (i: number) => new Float32Array(backend.wasm.asm.memory.buffer, base + 4 * i * bc, bc);
  const at = (i: number) => base + 4 * i * bc;
  return { info, view, at };
}

/** A [channels] parameter read from the heap, or `fill` for every channel when absent. */
function channelValues(backend: WasmModuleBackend, t: tf.TensorInfo | undefined, ch: number, fill: number): Float32Array {
  return t ? Float32Array.from(backend.typedArrayFromHeap(t) as Float32Array) : new Float32Array(ch).fill(fill);
}

/** Per-(sample, group) means of per-(sample, channel) sums over `count` values each group. */
function groupMeans(perChannel: Float32Array, batch: number, ch: number, groups: number, count: number): Float64Array {
  const cg = ch / groups;
  const out = new Float64Array(batch * groups);
  for (let b = 0; b < batch; b++) {
    for (let g = 0; g < groups; g++) {
      let t = 0;
      for (let c = g * cg; c < (g + 1) * cg; c++) t += perChannel[b * ch + c];
      out[b * groups + g] = count > 0 ? t / count : 0;
    }
  }
  return out;
}

/** Writes each sample's group values to every channel of the group ([batch, channels]). */
function spreadGroups(perGroup: ArrayLike<number>, out: Float32Array, batch: number, ch: number, groups: number): void {
  const cg = ch / groups;
  for (let b = 0; b < batch; b++) for (let c = 0; c < ch; c++) out[b * ch + c] = perGroup[b * groups + Math.floor(c / cg)];
}

function register(): void {
  registerWasmKernel(FORWARD, (backend, inputs, attrs) => {
    const { groups, epsilon } = attrs as { groups: number; epsilon: number };
    const x = inputs.x;
    const { batch, pos, ch } = dims(x);
    const cg = ch / groups;
    const bc = batch * ch;
    const kernels = wasmModuleExports<Kernels>(WASM_BASE64, backend);
    const scale = channelValues(backend, inputs.scale, ch, 1);
    const bias = channelValues(backend, inputs.bias, ch, 0);
    const y = backend.makeOutput([...x.shape], 'float32');
    const mean = backend.makeOutput([batch, groups], 'float32');
    const rstd = backend.makeOutput([batch, groups], 'float32');
    // blocks: 0 sums, 1 centred squares, 2 shift (0, then the means), 3 zeros, 4 cu, 5 c0
    const s = scratch(backend, 6, bc);
    try {
      const px = heapOffset(backend, x);
      s.view(2).fill(0);
      s.view(3).fill(0);
      kernels.chanstats(s.at(0), s.at(1), px, px, s.at(2), s.at(2), batch, pos, ch);
      const n = pos * cg;
      const mu = groupMeans(s.view(0), batch, ch, groups, n);
      spreadGroups(mu, s.view(2), batch, ch, groups);
      kernels.chanstats(s.at(0), s.at(1), px, px, s.at(2), s.at(2), batch, pos, ch);
      const variance = groupMeans(s.view(1), batch, ch, groups, n);
      const [cu, c0] = [s.view(4), s.view(5)];
      const meanOut = backend.typedArrayFromHeap(mean) as Float32Array;
      const rstdOut = backend.typedArrayFromHeap(rstd) as Float32Array;
      for (let b = 0; b < batch; b++) {
        for (let g = 0; g < groups; g++) {
          const r = 1 / Math.sqrt(variance[b * groups + g] + epsilon);
          const m = mu[b * groups + g];
          meanOut[b * groups + g] = m;
          rstdOut[b * groups + g] = r;
          for (let c = g * cg; c < (g + 1) * cg; c++) {
            cu[b * ch + c] = r * scale[c];
            c0[b * ch + c] = bias[c] - m * r * scale[c];
          }
        }
      }
      kernels.lincomb(heapOffset(backend, y), px, px, s.at(4), s.at(3), s.at(5), batch, pos, ch);
    } finally {
      backend.disposeData(s.info.dataId);
    }
    return [y, mean, rstd];
  });

  registerWasmKernel(BACKWARD, (backend, inputs, attrs) => {
    const { groups } = attrs as { groups: number };
    const { dy, x } = inputs;
    const { batch, pos, ch } = dims(x);
    const cg = ch / groups;
    const bc = batch * ch;
    const kernels = wasmModuleExports<Kernels>(WASM_BASE64, backend);
    const scale = channelValues(backend, inputs.scale, ch, 1);
    const dx = backend.makeOutput([...x.shape], 'float32');
    const dscale = backend.makeOutput([ch], 'float32');
    const dbias = backend.makeOutput([ch], 'float32');
    // blocks: 0 Σdy, 1 Σdy·(x − μ), 2 zeros, 3 μ per channel, 4 cu, 5 cv, 6 c0
    const s = scratch(backend, 7, bc);
    try {
      // heap views only after the last allocation (growing the heap detaches earlier views)
      const mean = backend.typedArrayFromHeap(inputs.mean) as Float32Array;
      const rstd = backend.typedArrayFromHeap(inputs.rstd) as Float32Array;
      s.view(2).fill(0);
      spreadGroups(mean, s.view(3), batch, ch, groups);
      const [pdy, px] = [heapOffset(backend, dy), heapOffset(backend, x)];
      kernels.chanstats(s.at(0), s.at(1), pdy, px, s.at(2), s.at(3), batch, pos, ch);
      const [s1, s2] = [s.view(0), s.view(1)];
      const [cu, cv, c0] = [s.view(4), s.view(5), s.view(6)];
      const dScale = new Float64Array(ch);
      const dBias = new Float64Array(ch);
      const n = pos * cg;
      for (let b = 0; b < batch; b++) {
        for (let g = 0; g < groups; g++) {
          const r = rstd[b * groups + g];
          const m = mean[b * groups + g];
          let t1 = 0;
          let t2 = 0;
          for (let c = g * cg; c < (g + 1) * cg; c++) {
            t1 += scale[c] * s1[b * ch + c];
            t2 += scale[c] * s2[b * ch + c];
            dScale[c] += r * s2[b * ch + c];
            dBias[c] += s1[b * ch + c];
          }
          // dx = σ⁻¹ (scale·dy − mean(dx̂) − x̂ mean(dx̂ x̂)), written as dy·cu + x·cv + c0
          const m1 = n > 0 ? t1 / n : 0;
          const m2 = n > 0 ? (r * t2) / n : 0;
          for (let c = g * cg; c < (g + 1) * cg; c++) {
            cu[b * ch + c] = r * scale[c];
            cv[b * ch + c] = -r * r * m2;
            c0[b * ch + c] = -r * m1 + r * r * m2 * m;
          }
        }
      }
      kernels.lincomb(heapOffset(backend, dx), pdy, px, s.at(4), s.at(5), s.at(6), batch, pos, ch);
      (backend.typedArrayFromHeap(dscale) as Float32Array).set(dScale);
      (backend.typedArrayFromHeap(dbias) as Float32Array).set(dBias);
    } finally {
      backend.disposeData(s.info.dataId);
    }
    return [dx, dscale, dbias];
  });
}

/**
 * Group-normalised `x̂·scale + bias` (scale 1 and bias 0 when absent) of a float32 channels-last
 * x, with the per-(sample, group) mean and 1/σ the backward needs ([batch, groups]).
 */
export function groupNormWasm(x: tf.Tensor, scale: tf.Tensor | undefined, bias: tf.Tensor | undefined, groups: number, epsilon: number): [tf.Tensor, tf.Tensor, tf.Tensor] {
  register();
  const inputs: Record<string, tf.Tensor> = { x };
  if (scale) inputs.scale = scale;
  if (bias) inputs.bias = bias;
  return tf.engine().runKernel(FORWARD, inputs, { groups, epsilon }) as unknown as [tf.Tensor, tf.Tensor, tf.Tensor];
}

/** [dx, dscale, dbias] of {@link groupNormWasm} for the upstream gradient dy. */
export function groupNormGradWasm(dy: tf.Tensor, x: tf.Tensor, scale: tf.Tensor | undefined, mean: tf.Tensor, rstd: tf.Tensor, groups: number): [tf.Tensor, tf.Tensor, tf.Tensor] {
  register();
  const inputs: Record<string, tf.Tensor> = { dy, x, mean, rstd };
  if (scale) inputs.scale = scale;
  return tf.engine().runKernel(BACKWARD, inputs, { groups }) as unknown as [tf.Tensor, tf.Tensor, tf.Tensor];
}
