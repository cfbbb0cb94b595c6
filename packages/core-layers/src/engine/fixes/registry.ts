import * as tf from '@tensorflow/tfjs-core';
import { BackendError } from '../../core/errors.js';

/**
 * Helpers to replace tfjs kernels and gradients idempotently. tfjs keeps its kernel and gradient
 * registries on `globalThis`, so they outlive a re-evaluation of this module (vitest, bundlers
 * that load a package twice); a marker on each function we register, not a module-level flag,
 * says whether a fix is already in place.
 */

const MARK = Symbol.for('deqts.engineFix');

type Marked = { [MARK]?: string };

const ORIGINALS = Symbol.for('deqts.engineFix.originals');

/** Kernels as tfjs registered them before we replaced them, shared across module copies. */
function originals(): Map<string, tf.KernelConfig> {
  const holder = globalThis as unknown as { [ORIGINALS]?: Map<string, tf.KernelConfig> };
  holder[ORIGINALS] ??= new Map();
  return holder[ORIGINALS];
}

/**
 * The kernel tfjs had registered for `kernelName` on `backendName` before DEQ.ts replaced it, or
 * undefined (not replaced, or the backend lacked it). Used by the benchmark and the tests to
 * measure and compare against the stock behaviour.
 */
export function originalKernel(kernelName: string, backendName: string): tf.KernelConfig | undefined {
  return originals().get(`${backendName}/${kernelName}`);
}

function isMarked(fn: unknown, id: string): boolean {
  return typeof fn === 'function' && (fn as Marked)[MARK] === id;
}

function mark<F extends object>(fn: F, id: string): F {
  Object.defineProperty(fn, MARK, { value: id });
  return fn;
}

/**
 * Replaces (or adds) the kernel `kernelName` of `backendName`. `make` receives the kernel that was
 * registered before (undefined when the backend lacks it) and returns the new kernel function.
 * The original's setup and dispose hooks are kept. Does nothing when our replacement is already
 * registered, and when `requireOriginal` is set and the backend has no such kernel.
 */
export function overrideKernel(
  kernelName: string,
  backendName: string,
  make: (original: tf.KernelConfig | undefined) => tf.KernelFunc,
  requireOriginal = false,
): void {
  const id = `${backendName}/${kernelName}`;
  const current = tf.getKernel(kernelName, backendName);
  if (current && isMarked(current.kernelFunc, id)) return;
  if (!current && requireOriginal) return;
  const inner = make(current);
  const kernelFunc = mark<tf.KernelFunc>((args) => inner(args), id);
  if (current) {
    originals().set(id, current);
    tf.unregisterKernel(kernelName, backendName);
  }
  tf.registerKernel({
    kernelName,
    backendName,
    kernelFunc,
    ...(current?.setupFunc ? { setupFunc: current.setupFunc } : {}),
    ...(current?.disposeFunc ? { disposeFunc: current.disposeFunc } : {}),
  });
}

/** Replaces the gradient of `config.kernelName` for every backend (idempotent). */
export function overrideGradient(config: tf.GradConfig): void {
  const id = `grad/${config.kernelName}`;
  const current = tf.getGradient(config.kernelName);
  if (current && isMarked(current.gradFunc, id)) return;
  const inner = config.gradFunc;
  tf.registerGradient({ ...config, gradFunc: mark<tf.GradFunc>((dy, saved, attrs) => inner(dy, saved, attrs), id) });
}

/**
 * The inputs a kernel receives from `engine.runKernel` are tensors; this narrows the type and
 * fails loudly if a caller passed bare TensorInfos (our kernels are built from tfjs ops).
 */
export function tensorInput<T extends tf.Tensor = tf.Tensor>(info: tf.TensorInfo | undefined, name: string, kernel: string): T {
  if (!(info instanceof tf.Tensor)) {
    throw new BackendError(`DEQ.ts kernel '${kernel}': input '${name}' must be a tf.Tensor (the kernel is built from tfjs ops)`);
  }
  return info as T;
}
