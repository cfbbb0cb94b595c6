import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { initBackend } from '@deqts/core-layers';
import type { BackendChoice } from '../protocol.js';

// The wasm backend fetches its .wasm binary at run time; in a bundle the files are build assets
// with hashed names, so tell it where Vite put them.
setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimd,
});

/** The backends the page offers, fastest first on a typical machine without a GPU. */
export const BACKENDS: readonly BackendChoice[] = ['wasm', 'webgl', 'cpu'];

/** Tries each backend once; returns those that initialise and why the others did not. */
export async function probeBackends(): Promise<{ available: BackendChoice[]; unavailable: Record<string, string> }> {
  const available: BackendChoice[] = [];
  const unavailable: Record<string, string> = {};
  for (const name of BACKENDS) {
    try {
      await initBackend(name);
      available.push(name);
    } catch (error) {
      unavailable[name] = error instanceof Error ? error.message : String(error);
    }
  }
  return { available, unavailable };
}

/** Switches the engine to `name` (through DEQ.ts's initBackend, which also registers its kernel fixes). */
export function useBackend(name: BackendChoice): Promise<string> {
  return initBackend(name);
}
