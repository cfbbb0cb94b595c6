import * as tf from '@tensorflow/tfjs-core';
import { BackendError } from '../core/errors.js';

/**
 * The members of tfjs-backend-wasm's backend that a hand-written wasm kernel module needs: its
 * memory (the module imports it, so kernels read and write tensors where they live), output
 * allocation, heap views and freeing of scratch blocks.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { isWasmModuleBackend } from '@deqts/core-layers';
 * const backend = tf.backend();
 * if (isWasmModuleBackend(backend)) console.log(backend.wasm.asm.memory.buffer.byteLength);
 * ```
 */
export type WasmModuleBackend = {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): tf.TypedArray;
  /** The backend's record of each data block (where {@link heapOffset} reads its offset). */
  dataIdMap?: { get(dataId: tf.DataId): { memoryOffset?: number } | undefined };
  disposeData(dataId: tf.DataId): boolean;
  wasm: { asm: { memory: WebAssembly.Memory }; _malloc?(bytes: number): number; _free?(pointer: number): void };
};

/**
 * True when `backend` is tfjs's wasm backend with the members {@link WasmModuleBackend} lists.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { isWasmModuleBackend } from '@deqts/core-layers';
 * isWasmModuleBackend(tf.backend()); // true on wasm, false on cpu
 * ```
 */
export function isWasmModuleBackend(backend: unknown): backend is WasmModuleBackend {
  const b = backend as Partial<WasmModuleBackend> | null;
  return !!b && typeof b.makeOutput === 'function' && typeof b.typedArrayFromHeap === 'function' && b.wasm?.asm?.memory instanceof WebAssembly.Memory;
}

/**
 * The bytes of a wasm module embedded as base64 (how DEQ.ts's kernel modules are shipped).
 *
 * @example
 * ```ts
 * import { wasmBytes } from '@deqts/core-layers';
 * WebAssembly.validate(wasmBytes('AGFzbQEAAAA=')); // true: the empty module
 * ```
 */
export function wasmBytes(base64: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

const compiled = new Map<string, WebAssembly.Module>();
const instances = new WeakMap<WebAssembly.Memory, Map<string, WebAssembly.Exports>>();

/**
 * The exports of a wasm module (given as base64 bytes) instantiated on the wasm backend's own
 * memory, which the module must import as `env.memory`. Compiled once per module, instantiated
 * once per backend memory.
 *
 * @example
 * ```ts
 * import { wasmModuleExports, type WasmModuleBackend } from '@deqts/core-layers';
 * type Kernels = { tanh(out: number, x: number, n: number): void };
 * const kernels = (base64: string, backend: WasmModuleBackend) => wasmModuleExports<Kernels>(base64, backend);
 * ```
 */
export function wasmModuleExports<E>(base64: string, backend: WasmModuleBackend): E {
  const memory = backend.wasm.asm.memory;
  let perMemory = instances.get(memory);
  if (!perMemory) instances.set(memory, (perMemory = new Map()));
  let exports = perMemory.get(base64);
  if (!exports) {
    let module = compiled.get(base64);
    if (!module) compiled.set(base64, (module = new WebAssembly.Module(wasmBytes(base64))));
    exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
    perMemory.set(base64, exports);
  }
  return exports as unknown as E;
}

/**
 * Byte offset of a tensor's data in the wasm backend's heap: the pointer a wasm kernel takes.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { heapOffset, isWasmModuleBackend } from '@deqts/core-layers';
 * const t = tf.ones([4]);
 * const backend = tf.backend();
 * if (isWasmModuleBackend(backend)) console.log(heapOffset(backend, t));
 * ```
 */
export function heapOffset(backend: WasmModuleBackend, info: tf.TensorInfo): number {
  // the block's record holds the offset: no typed-array view made per call (kernels take several)
  const offset = backend.dataIdMap?.get(info.dataId)?.memoryOffset;
  return typeof offset === 'number' ? offset : backend.typedArrayFromHeap(info).byteOffset;
}

/**
 * Registers a kernel for the wasm backend once (kernel registries are global to a tfjs instance):
 * `kernelFunc` gets the backend, the inputs as TensorInfos and the attributes. Run it through
 * `tf.engine().runKernel(name, inputs, attrs)`.
 *
 * @example
 * ```ts
 * import { registerWasmKernel } from '@deqts/core-layers';
 * registerWasmKernel('MyCopy', (backend, inputs) => {
 *   const out = backend.makeOutput([...inputs.x.shape], 'float32');
 *   backend.typedArrayFromHeap(out).set(backend.typedArrayFromHeap(inputs.x));
 *   return out;
 * });
 * ```
 */
export function registerWasmKernel(
  name: string,
  kernelFunc: (backend: WasmModuleBackend, inputs: Readonly<Record<string, tf.TensorInfo>>, attrs: Record<string, unknown>) => tf.TensorInfo | tf.TensorInfo[],
): void {
  if (tf.getKernel(name, 'wasm')) return;
  tf.registerKernel({
    kernelName: name,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => kernelFunc(backend as unknown as WasmModuleBackend, inputs as Record<string, tf.TensorInfo>, attrs as Record<string, unknown>),
  });
}

/**
 * True when hand-written wasm kernels can run now: the wasm backend is active and no gradient
 * tape is recording (such kernels have no gradient, so a computation being differentiated must
 * take the tfjs-op path). Recording is tfjs's own test: gradientDepth > 0 and kernelDepth = 0;
 * if those engine fields are missing (another tfjs version), the answer is false.
 *
 * @example
 * ```ts
 * import { canRunWasmKernels } from '@deqts/core-layers';
 * if (canRunWasmKernels()) console.log('fused kernels on');
 * ```
 */
export function canRunWasmKernels(): boolean {
  if (tf.getBackend() !== 'wasm' || !isWasmModuleBackend(tf.backend())) return false;
  const depth = gradientDepth();
  const kernelDepth = (tf.engine() as unknown as { state?: { kernelDepth?: unknown } }).state?.kernelDepth;
  if (depth === null || typeof kernelDepth !== 'number') return false;
  return !(depth > 0 && kernelDepth === 0);
}

/**
 * How many gradient computations are recording ops run now (tfjs-core 4.22 keeps it as the
 * engine's `state.gradientDepth`: 0 at top level and in a top-level backward pass, 1 inside
 * `tf.grad`'s function, 2 inside a gradient taken inside another's function), or null if that
 * internal is missing (another tfjs version): callers then take their always-correct path.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { gradientDepth } from '@deqts/core-layers';
 * tf.grad((x: tf.Tensor) => (console.log(gradientDepth()), tf.square(x)))(tf.scalar(2)); // 1
 * ```
 */
export function gradientDepth(): number | null {
  const depth = (tf.engine() as unknown as { state?: { gradientDepth?: unknown } }).state?.gradientDepth;
  return typeof depth === 'number' ? depth : null;
}

/**
 * Whether ops run now are recorded for a gradient (tfjs-core 4.22 keeps this as the engine's
 * `state.gradientDepth`: 0 in a top-level backward pass, ≥ 1 inside `tf.grad`'s function). A
 * gradient function that calls a kernel without a gradient of its own takes a differentiable op
 * path when this is true (a second-order gradient). If that internal is missing (another tfjs
 * version) the answer is yes: the always-correct path.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { gradientRecorded } from '@deqts/core-layers';
 * tf.grad((x: tf.Tensor) => (console.log(gradientRecorded()), tf.square(x)))(tf.scalar(2)); // true
 * ```
 */
export function gradientRecorded(): boolean {
  const depth = gradientDepth();
  return depth === null || depth > 0;
}

const scratchBlocks = new WeakMap<object, Map<string, { pointer: number; bytes: number }>>();

/**
 * A scratch block of at least `bytes` bytes in the wasm backend's memory for a kernel's own use
 * (packed operands, step lists), kept between calls and grown when a call needs more: no
 * allocation per call. `slot` names the user; a block is valid until the next `scratchBlock`
 * call for the same slot on the same backend, so a kernel must not hand its slot to code that
 * takes the same slot. The blocks live as long as the backend (their largest size so far).
 * Without the backend's allocator it returns null: allocate per call instead.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { isWasmModuleBackend, scratchBlock } from '@deqts/core-layers';
 * const backend = tf.backend();
 * if (isWasmModuleBackend(backend)) console.log(scratchBlock(backend, 'my-kernel', 4096)); // a byte offset
 * ```
 */
export function scratchBlock(backend: WasmModuleBackend, slot: string, bytes: number): number | null {
  const { _malloc: malloc, _free: free } = backend.wasm;
  if (typeof malloc !== 'function' || typeof free !== 'function') return null;
  let blocks = scratchBlocks.get(backend);
  if (!blocks) scratchBlocks.set(backend, (blocks = new Map()));
  const block = blocks.get(slot);
  if (block && block.bytes >= bytes) return block.pointer;
  if (block) free.call(backend.wasm, block.pointer);
  // grown by half again, so a slowly growing size does not reallocate every call
  const size = Math.max(bytes, Math.ceil((block?.bytes ?? 0) * 1.5), 64);
  const pointer = malloc.call(backend.wasm, size) >>> 0;
  if (pointer === 0) throw new BackendError(`scratchBlock: the wasm backend could not allocate ${size} bytes for '${slot}'`);
  blocks.set(slot, { pointer, bytes: size });
  return pointer;
}

/**
 * Runs `use` with a scratch block of `bytes` bytes: {@link scratchBlock}'s block for `slot`, or,
 * where the backend has no allocator, a block allocated for this call and freed after it.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { isWasmModuleBackend, withScratch } from '@deqts/core-layers';
 * const backend = tf.backend();
 * if (isWasmModuleBackend(backend)) withScratch(backend, 'my-kernel', 1024, (pointer) => console.log(pointer));
 * ```
 */
export function withScratch<T>(backend: WasmModuleBackend, slot: string, bytes: number, use: (pointer: number) => T): T {
  const pointer = scratchBlock(backend, slot, bytes);
  if (pointer !== null) return use(pointer);
  const block = backend.makeOutput([Math.ceil(bytes / 4)], 'float32');
  try {
    return use(heapOffset(backend, block));
  } finally {
    backend.disposeData(block.dataId);
  }
}
