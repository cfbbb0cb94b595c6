import { afterEach, expect, it } from 'vitest';
import { initBackend } from '../../src/index.js';

afterEach(async () => {
  delete process.env.DEQTS_BACKEND;
  await initBackend();
});

it("DEQTS_BACKEND overrides 'auto' (read through globalThis, so browsers without `process` load the engine)", async () => {
  process.env.DEQTS_BACKEND = ' cpu ';
  expect(await initBackend()).toBe('cpu');
  expect(await initBackend('wasm')).toBe('wasm'); // an explicit name wins
  process.env.DEQTS_BACKEND = '';
  expect(await initBackend()).toBe('wasm');
});
