import { execFileSync } from 'node:child_process';
import { expect, it } from 'vitest';
import { WASM_BASE64 as GEMM } from '../../packages/core-layers/src/engine/fixes/wasm-gemm-wasm.js';
import { WASM_BASE64 as GEMM_FMA } from '../../packages/core-layers/src/engine/fixes/wasm-gemm-fma-wasm.js';
import { WASM_BASE64 as SPARSE_GEMM } from '../../packages/core-layers/src/engine/fixes/wasm-sparse-gemm-wasm.js';
import { WASM_BASE64 as SPARSE_GEMM_FMA } from '../../packages/core-layers/src/engine/fixes/wasm-sparse-gemm-fma-wasm.js';
import { WASM_BASE64 as SPARSE_LISTS } from '../../packages/core-layers/src/engine/fixes/wasm-sparse-lists-wasm.js';
import { WASM_BASE64 as TANH } from '../../packages/core-layers/src/engine/fixes/wasm-tanh-wasm.js';
import { WASM_BASE64 as SOLVER_KERNELS } from '../../packages/solvers/src/internal/fused/kernels-wasm.js';
import { WASM_BASE64 as ADAM } from '../../packages/train/src/optim/adam-wasm.js';

/** Runs a kernel script's --check mode: its "out of date" lines and exit status. */
function check(script: string): { stale: string[]; status: number } {
  let output = '';
  let status = 0;
  try {
    output = execFileSync('npx', ['tsx', script, '--check'], { encoding: 'utf8', stdio: 'pipe' });
  } catch (error) {
    const e = error as { status: number; stderr: string };
    status = e.status;
    output = e.stderr;
  }
  return { stale: output.trim().split('\n').filter((l) => l.includes('out of date')), status };
}

// The hand-written wasm kernels (*.wat) are embedded as generated TypeScript modules; they must
// be rebuilt whenever a .wat source changes. The build script's --check compiles every source
// with wabt and fails when an embedded module differs.
it('every embedded wasm kernel module is its .wat source compiled (npx tsx scripts/kernels/build-wasm-kernels.ts)', () => {
  expect(check('scripts/kernels/build-wasm-kernels.ts')).toEqual({ stale: [], status: 0 });
});

// The matrix-product kernel's text is generated (its register block is unrolled by a script).
it('the matrix-product .wat files are what their generator writes (npx tsx scripts/kernels/gen-gemm-wat.ts)', () => {
  expect(check('scripts/kernels/gen-gemm-wat.ts')).toEqual({ stale: [], status: 0 });
});

// Browsers refuse synchronous `new WebAssembly.Module(bytes)` on the main thread above 4 KB (the
// modules are compiled synchronously inside kernels, so tfjs on a page's main thread needs them
// small); split a module before it grows past that.
it('each embedded wasm kernel module is under 4 KB (synchronous compilation on a browser main thread)', () => {
  for (const [name, base64] of [['wasm-tanh', TANH], ['solver kernels', SOLVER_KERNELS], ['adam', ADAM], ['gemm', GEMM], ['gemm fma', GEMM_FMA], ['sparse gemm', SPARSE_GEMM], ['sparse gemm fma', SPARSE_GEMM_FMA], ['sparse lists', SPARSE_LISTS]] as const) {
    expect(atob(base64).length, name).toBeLessThan(4096);
  }
});

it('the zero-skipping product .wat files are what their generator writes (npx tsx scripts/kernels/gen-sparse-gemm-wat.ts)', () => {
  expect(check('scripts/kernels/gen-sparse-gemm-wat.ts')).toEqual({ stale: [], status: 0 });
});

it('the zero-skipping product\'s list builders are what their generator writes (npx tsx scripts/kernels/gen-sparse-lists-wat.ts)', () => {
  expect(check('scripts/kernels/gen-sparse-lists-wat.ts')).toEqual({ stale: [], status: 0 });
});

it('the tanh .wat file is what its generator writes (npx tsx scripts/kernels/gen-tanh-wat.ts)', () => {
  expect(check('scripts/kernels/gen-tanh-wat.ts')).toEqual({ stale: [], status: 0 });
});
