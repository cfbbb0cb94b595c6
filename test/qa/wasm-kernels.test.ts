import { execFileSync } from 'node:child_process';
import { expect, it } from 'vitest';

// The hand-written wasm kernels (*.wat) are embedded as generated TypeScript modules; they must
// be rebuilt whenever a .wat source changes. The build script's --check compiles every source
// with wabt and fails when an embedded module differs.
it('every embedded wasm kernel module is its .wat source compiled (npx tsx scripts/kernels/build-wasm-kernels.ts)', () => {
  let output = '';
  let status = 0;
  try {
    output = execFileSync('npx', ['tsx', 'scripts/kernels/build-wasm-kernels.ts', '--check'], { encoding: 'utf8', stdio: 'pipe' });
  } catch (error) {
    const e = error as { status: number; stderr: string };
    status = e.status;
    output = e.stderr;
  }
  expect(output.trim().split('\n').filter((l) => l.includes('out of date'))).toEqual([]);
  expect(status).toBe(0);
});
