import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe } from 'vitest';
import { initBackend } from '@deqts/core-layers';

/** The backends every numeric suite runs on: the pure-JS reference and the default engine. */
export const BACKENDS = ['cpu', 'wasm'] as const;
export type TestBackend = (typeof BACKENDS)[number];

/**
 * Runs one suite once per backend (like tfjs's describeWithFlags): `describeBackends('Dense',
 * (backend) => { it(...) })`. The backend is initialised before the suite's tests run.
 */
export function describeBackends(name: string, body: (backend: TestBackend) => void): void {
  for (const backend of BACKENDS) {
    describe(`${name} [${backend}]`, () => {
      beforeAll(async () => {
        await initBackend(backend);
      });
      body(backend);
    });
  }
}

/** Runs `fn` on the given backend and restores the previous one afterwards. */
export async function onBackend<T>(backend: TestBackend, fn: () => T | Promise<T>): Promise<T> {
  const previous = tf.getBackend();
  await initBackend(backend);
  try {
    return await fn();
  } finally {
    if (previous && previous !== backend) await initBackend(previous as TestBackend);
  }
}
