/**
 * Anderson's per-iteration vector work as two fused kernels on tfjs's wasm backend (internal).
 *
 * Outside f, an Anderson iteration on the [B, n] state is ~35 small tfjs ops (the mixing sum, the
 * new differences, k + 1 Gram dot products, the convergence norms). On wasm each op costs 8–20 µs
 * of dispatch however small the tensors, which made these ops most of the solve at DEQ sizes.
 * Here they are two kernels (anderson.wat, compiled to anderson-wasm.ts) that run in the wasm
 * backend's own memory, four lanes at a time:
 *
 * - `mix`:  next = u + β·r − Σⱼ γⱼ·Mⱼ per running row (frozen rows copy u);
 * - `post`: r' = f(next) − next, ΔG = r' − r, M' = (next − u) + β·ΔG, and per row the Gram
 *   entries ⟨ΔG, Gⱼ⟩, ⟨ΔG, ΔG⟩, ⟨r', ΔG⟩ and the norms ‖r'‖², ‖f‖², max|r'|, max|f|.
 *
 * Sums run in float32 with four partial sums per row, so results differ from the op-by-op path in
 * the last bits (tests bound the difference); the Gram systems themselves are still solved in
 * float64 on the host.
 */
import * as tf from '@tensorflow/tfjs-core';
import { WASM_BASE64 } from './anderson-wasm.js';

/** The subset of tfjs-backend-wasm's BackendWasm these kernels use. */
type WasmBackend = {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): tf.TypedArray;
  disposeData(dataId: tf.DataId): boolean;
  wasm: { asm: { memory: WebAssembly.Memory } };
};

type Exports = {
  mix(out: number, u: number, r: number, beta: number, mptrs: number, gamma: number, k: number, active: number, batch: number, n: number): void;
  post(next: number, fu: number, r: number, u: number, beta: number, rOut: number, dgOut: number, mixOut: number, gptrs: number, k: number, stats: number, batch: number, n: number): void;
};

const MIX = 'DeqtsAndersonMix';
const POST = 'DeqtsAndersonPost';
/** Columns of `post`'s statistics block besides the k Gram entries. */
export const POST_EXTRA_COLUMNS = 6;

let compiled: WebAssembly.Module | null = null;
const instances = new WeakMap<WebAssembly.Memory, Exports>();

function exportsFor(backend: WasmBackend): Exports {
  const memory = backend.wasm.asm.memory;
  let ex = instances.get(memory);
  if (!ex) {
    compiled ??= new WebAssembly.Module(Uint8Array.from(atob(WASM_BASE64), (c) => c.charCodeAt(0)));
    ex = new WebAssembly.Instance(compiled, { env: { memory } }).exports as unknown as Exports;
    instances.set(memory, ex);
  }
  return ex;
}

const offsetOf = (backend: WasmBackend, info: tf.TensorInfo): number => backend.typedArrayFromHeap(info).byteOffset;

/** A scratch int32 block of `words` in the wasm heap (free it with backend.disposeData). */
function scratch(backend: WasmBackend, words: number): tf.TensorInfo {
  return backend.makeOutput([Math.max(1, words)], 'int32');
}

function registerOnce(): void {
  if (!tf.getKernel(MIX, 'wasm')) {
    tf.registerKernel({
      kernelName: MIX,
      backendName: 'wasm',
      kernelFunc: ({ inputs, backend, attrs }) => {
        const b = backend as unknown as WasmBackend;
        const { beta, k, gamma, active } = attrs as unknown as { beta: number; k: number; gamma: Float32Array; active: Uint8Array };
        const u = inputs.u as tf.TensorInfo;
        const [batch, n] = u.shape;
        const out = b.makeOutput([batch, n], 'float32');
        // Layout: k pointers (i32), k·B γ values (f32), B active flags (u8).
        const words = k + k * batch + Math.ceil(batch / 4);
        const buf = scratch(b, words);
        const base = offsetOf(b, buf);
        const heap = b.wasm.asm.memory.buffer;
        const ptrs = new Int32Array(heap, base, k);
        for (let j = 0; j < k; j++) ptrs[j] = offsetOf(b, inputs[`m${j}`] as tf.TensorInfo);
        new Float32Array(heap, base + 4 * k, k * batch).set(gamma);
        new Uint8Array(heap, base + 4 * (k + k * batch), batch).set(active);
        exportsFor(b).mix(offsetOf(b, out), offsetOf(b, u), offsetOf(b, inputs.r as tf.TensorInfo), beta, base, base + 4 * k, k, base + 4 * (k + k * batch), batch, n);
        b.disposeData(buf.dataId);
        return out;
      },
    });
  }
  if (!tf.getKernel(POST, 'wasm')) {
    tf.registerKernel({
      kernelName: POST,
      backendName: 'wasm',
      kernelFunc: ({ inputs, backend, attrs }) => {
        const b = backend as unknown as WasmBackend;
        const { beta, k } = attrs as unknown as { beta: number; k: number };
        const next = inputs.next as tf.TensorInfo;
        const [batch, n] = next.shape;
        const rOut = b.makeOutput([batch, n], 'float32');
        const dgOut = b.makeOutput([batch, n], 'float32');
        const mixOut = b.makeOutput([batch, n], 'float32');
        const stats = b.makeOutput([batch, k + POST_EXTRA_COLUMNS], 'float32');
        const buf = scratch(b, k);
        const base = offsetOf(b, buf);
        const ptrs = new Int32Array(b.wasm.asm.memory.buffer, base, k);
        for (let j = 0; j < k; j++) ptrs[j] = offsetOf(b, inputs[`g${j}`] as tf.TensorInfo);
        exportsFor(b).post(
          offsetOf(b, next),
          offsetOf(b, inputs.fu as tf.TensorInfo),
          offsetOf(b, inputs.r as tf.TensorInfo),
          offsetOf(b, inputs.u as tf.TensorInfo),
          beta,
          offsetOf(b, rOut),
          offsetOf(b, dgOut),
          offsetOf(b, mixOut),
          base,
          k,
          offsetOf(b, stats),
          batch,
          n,
        );
        b.disposeData(buf.dataId);
        return [rOut, dgOut, mixOut, stats];
      },
    });
  }
}

/**
 * True when the fused kernels can run now: the wasm backend is active and no gradient tape is
 * recording (the kernels have no gradient; a solve that is being differentiated takes the op path).
 */
export function fusedAndersonAvailable(): boolean {
  if (tf.getBackend() !== 'wasm') return false;
  const backend = tf.backend() as unknown as Partial<WasmBackend>;
  if (!(backend.wasm?.asm?.memory instanceof WebAssembly.Memory) || typeof backend.makeOutput !== 'function') return false;
  const state = (tf.engine() as unknown as { state?: { activeTape?: unknown; kernelDepth?: number } }).state;
  if (!state || (state.activeTape != null && state.kernelDepth === 0)) return false;
  registerOnce();
  return true;
}

/** next = u + β·r − Σⱼ γⱼ·mixedⱼ on running rows, u on frozen ones; γ is k·B floats (γⱼ for sample b at j·B + b). */
export function andersonMix(u: tf.Tensor2D, r: tf.Tensor2D, mixed: readonly tf.Tensor2D[], gamma: Float32Array, activeHost: Uint8Array, beta: number): tf.Tensor2D {
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
  const inputs: Record<string, tf.Tensor> = { next, fu, r, u };
  stored.forEach((g, j) => (inputs[`g${j}`] = g));
  return tf.engine().runKernel(POST, inputs, { beta, k: stored.length }) as unknown as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
}
