// Vitest setup file: every test file starts on the default engine (initBackend('auto') → wasm),
// so tests that do not pick a backend themselves never hit an uninitialised one.
import { beforeAll } from 'vitest';
import { initBackend } from '@deqts/core-layers';

beforeAll(async () => {
  await initBackend();
});
