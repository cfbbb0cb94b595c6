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

/**
 * Whether this worker can get a WebGL context, and its renderer. Checked without starting tfjs's
 * webgl backend: a started but unused WebGL backend slowed the cpu backend here 3× (measured in
 * headless Chromium), and a context costs memory.
 */
function webglRenderer(): { renderer: string } | { reason: string } {
  if (typeof OffscreenCanvas === 'undefined') return { reason: 'this browser has no OffscreenCanvas in workers' };
  const canvas = new OffscreenCanvas(1, 1);
  const gl = canvas.getContext('webgl2') ?? canvas.getContext('webgl');
  if (!gl) return { reason: 'WebGL is not available here (no GPU, or disabled)' };
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  return { renderer: info ? String(gl.getParameter(info.UNMASKED_RENDERER_WEBGL)) : 'unknown renderer' };
}

/** The backends that can run here, notes on them (a software WebGL renderer is slow), and why the others cannot. */
export async function probeBackends(): Promise<{ available: BackendChoice[]; notes: Record<string, string>; unavailable: Record<string, string> }> {
  const available: BackendChoice[] = [];
  const notes: Record<string, string> = {};
  const unavailable: Record<string, string> = {};
  for (const name of BACKENDS) {
    if (name === 'webgl') {
      const webgl = webglRenderer();
      if ('reason' in webgl) unavailable.webgl = webgl.reason;
      else {
        available.push('webgl');
        if (/swiftshader|llvmpipe|software/i.test(webgl.renderer)) notes.webgl = `software renderer, slow: ${webgl.renderer}`;
      }
      continue;
    }
    try {
      await initBackend(name);
      available.push(name);
    } catch (error) {
      unavailable[name] = error instanceof Error ? error.message : String(error);
    }
  }
  await initBackend(available.includes('wasm') ? 'wasm' : 'cpu');
  return { available, notes, unavailable };
}

/** Switches the engine to `name` (through DEQ.ts's initBackend, which also registers its kernel fixes). */
export function useBackend(name: BackendChoice): Promise<string> {
  return initBackend(name);
}
