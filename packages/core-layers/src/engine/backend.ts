import '@tensorflow/tfjs'; // registers every gradient and chained op (pure JS; see docs/framework.md)
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { BackendError } from '../core/errors.js';
import { registerEngineFixes } from './fixes/register.js';
import { enableRelaxedSimd } from './fixes/wasm-gemm.js';

/** A backend name DEQ.ts knows. 'auto' picks the fastest available. */
export type BackendName = 'auto' | 'tensorflow' | 'wasm' | 'cpu' | 'webgl' | 'webgpu';

const OPTIONAL_NATIVE = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

async function tryImport(specifier: string): Promise<boolean> {
  try {
    // A variable specifier keeps bundlers from resolving these optional packages at build time.
    await import(/* @vite-ignore */ specifier);
    return true;
  } catch {
    return false;
  }
}

async function trySetBackend(name: string): Promise<boolean> {
  try {
    if (name === 'wasm') {
      await import('@tensorflow/tfjs-backend-wasm');
      registerEngineFixes(); // the wasm kernels can be replaced only once the package registered them
      // the matrix product's fused multiply-add (Node 20 accepts relaxed SIMD only behind a flag)
      if (relaxedSimdWanted()) await enableRelaxedSimd();
    }
    if (!tf.findBackendFactory(name)) return false;
    const ok = await tf.setBackend(name);
    // The cpu backend advises installing tfjs-node on its first write; DEQ.ts users learn about
    // backends from initBackend's docs instead, so that notice is switched off.
    if (ok && name === 'cpu') (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
    if (ok) await tf.ready();
    return ok && tf.getBackend() === name;
  } catch {
    return false;
  }
}

/** An environment variable, trimmed; undefined when unset or blank. */
function envVar(name: string): string | undefined {
  // Through globalThis: browsers have no `process` (and the browser type-check no Node types).
  const value = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name]?.trim();
  return value ? value : undefined;
}

/** False when the environment variable DEQTS_RELAXED_SIMD is '0' (see enableRelaxedSimd). */
function relaxedSimdWanted(): boolean {
  return envVar('DEQTS_RELAXED_SIMD') !== '0';
}

/**
 * Initialises the tfjs engine and returns the backend in use. With 'auto' (the default) it picks,
 * in order: @tensorflow/tfjs-node-gpu, then @tensorflow/tfjs-node (both optional: used only when
 * the user has installed them), else wasm, else cpu. The environment variable `DEQTS_BACKEND`
 * overrides 'auto'. It also registers DEQ.ts's kernel and gradient fixes (a wasm
 * Conv2DBackpropFilter, transposition-free BatchMatMul gradients, …) — see docs/framework.md.
 * When it picks wasm it also turns on relaxed SIMD in Node 20 (`enableRelaxedSimd`; set
 * `DEQTS_RELAXED_SIMD=0` to leave V8's flags alone).
 *
 * @example
 * ```ts
 * import { initBackend } from '@deqts/core-layers';
 * const name = await initBackend();      // 'wasm' on a stock install
 * await initBackend('cpu');              // the pure-JS reference backend
 * ```
 */
export async function initBackend(name: BackendName = 'auto'): Promise<string> {
  const requested = name === 'auto' ? (envVar('DEQTS_BACKEND') ?? 'auto') : name;
  registerEngineFixes();
  if (requested === 'auto') {
    for (const pkg of OPTIONAL_NATIVE) {
      if ((await tryImport(pkg)) && (await trySetBackend('tensorflow'))) return 'tensorflow';
    }
    for (const candidate of ['wasm', 'cpu']) if (await trySetBackend(candidate)) return candidate;
    throw new BackendError('initBackend: no tfjs backend could be initialised (tried tfjs-node-gpu, tfjs-node, wasm, cpu)');
  }
  if (requested === 'tensorflow') {
    for (const pkg of OPTIONAL_NATIVE) if (await tryImport(pkg)) break;
  }
  if (await trySetBackend(requested)) return requested;
  throw new BackendError(
    `initBackend: backend '${requested}' is not available${
      requested === 'tensorflow' ? ' (install @tensorflow/tfjs-node or @tensorflow/tfjs-node-gpu)' : ''
    }; valid names: auto, tensorflow, wasm, cpu, webgl, webgpu`,
  );
}
