/**
 * Anderson acceleration's per-iteration vector work as two fused wasm kernels (internal; see
 * wasm-module.ts):
 *
 * - `mix`:  next = u + β·r − Σⱼ γⱼ·Mⱼ per running row (frozen rows copy u);
 * - `post`: r' = f(next) − next, ΔG = r' − r, M' = (next − u) + β·ΔG, and per row the Gram
 *   entries ⟨ΔG, Gⱼ⟩, ⟨ΔG, ΔG⟩, ⟨r', ΔG⟩ and the norms ‖r'‖², ‖f‖², max|r'|, max|f|.
 *
 * The Gram systems themselves are still solved in float64 on the host.
 */
import * as tf from '@tensorflow/tfjs-core';
import { heapOffset, registerWasmKernel } from '@deqts/core-layers';
import { kernelsFor, pointerTable } from './wasm-module.js';

const MIX = 'DeqtsAndersonMix';
const POST = 'DeqtsAndersonPost';
/** Columns of `post`'s statistics block besides the k Gram entries. */
export const POST_EXTRA_COLUMNS = 6;

function register(): void {
  registerWasmKernel(MIX, (b, inputs, attrs) => {
    const { beta, k, gamma, active } = attrs as { beta: number; k: number; gamma: Float32Array; active: Uint8Array };
    const u = inputs.u;
    const [batch, n] = u.shape;
    const out = b.makeOutput([batch, n], 'float32');
    // Scratch layout: k pointers (i32), k·B γ values (f32), B active flags (u8).
    const mixed = Array.from({ length: k }, (_, j) => inputs[`m${j}`]);
    const block = pointerTable(b, mixed, k + k * batch + Math.ceil(batch / 4));
    const base = heapOffset(b, block);
    const heap = b.wasm.asm.memory.buffer;
    new Float32Array(heap, base + 4 * k, k * batch).set(gamma);
    new Uint8Array(heap, base + 4 * (k + k * batch), batch).set(active);
    kernelsFor(b).mix(heapOffset(b, out), heapOffset(b, u), heapOffset(b, inputs.r), beta, base, base + 4 * k, k, base + 4 * (k + k * batch), batch, n);
    b.disposeData(block.dataId);
    return out;
  });
  registerWasmKernel(POST, (b, inputs, attrs) => {
    const { beta, k } = attrs as { beta: number; k: number };
    const next = inputs.next;
    const [batch, n] = next.shape;
    const rOut = b.makeOutput([batch, n], 'float32');
    const dgOut = b.makeOutput([batch, n], 'float32');
    const mixOut = b.makeOutput([batch, n], 'float32');
    const stats = b.makeOutput([batch, k + POST_EXTRA_COLUMNS], 'float32');
    const block = pointerTable(b, Array.from({ length: k }, (_, j) => inputs[`g${j}`]));
    const [pNext, pFu, pR, pU] = [next, inputs.fu, inputs.r, inputs.u].map((t) => heapOffset(b, t));
    kernelsFor(b).post(pNext, pFu, pR, pU, beta, heapOffset(b, rOut), heapOffset(b, dgOut), heapOffset(b, mixOut), heapOffset(b, block), k, heapOffset(b, stats), batch, n);
    b.disposeData(block.dataId);
    return [rOut, dgOut, mixOut, stats];
  });
}

/** next = u + β·r − Σⱼ γⱼ·mixedⱼ on running rows, u on frozen ones; γ is k·B floats (γⱼ for sample b at j·B + b). */
export function andersonMix(u: tf.Tensor2D, r: tf.Tensor2D, mixed: readonly tf.Tensor2D[], gamma: Float32Array, activeHost: Uint8Array, beta: number): tf.Tensor2D {
  register();
  const inputs: Record<string, tf.Tensor> = { u, r };
  mixed.forEach((m, j) => (inputs[`m${j}`] = m));
  const attrs = { beta, k: mixed.length, gamma, active: activeHost } as unknown as tf.NamedAttrMap;
  return tf.engine().runKernel(MIX, inputs, attrs) as tf.Tensor2D;
}

/**
 * From the new iterate and f of it: the new residual, the new residual difference ΔG, the new
 * mixing column (next − u) + β·ΔG, and the [B, k + 6] statistics block (see the module doc).
 */
export function andersonPost(
  next: tf.Tensor2D,
  fu: tf.Tensor2D,
  r: tf.Tensor2D,
  u: tf.Tensor2D,
  stored: readonly tf.Tensor2D[],
  beta: number,
): [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D] {
  register();
  const inputs: Record<string, tf.Tensor> = { next, fu, r, u };
  stored.forEach((g, j) => (inputs[`g${j}`] = g));
  return tf.engine().runKernel(POST, inputs, { beta, k: stored.length }) as unknown as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
}
