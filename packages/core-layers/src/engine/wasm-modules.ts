import * as tf from '@tensorflow/tfjs-core';

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
  wasm: { asm: { memory: WebAssembly.Memory } };
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
  const state = (tf.engine() as unknown as { state?: { gradientDepth?: unknown; kernelDepth?: unknown } }).state;
  if (!state || typeof state.gradientDepth !== 'number' || typeof state.kernelDepth !== 'number') return false;
  return !(state.gradientDepth > 0 && state.kernelDepth === 0);
}
