/**
 * Compiles DEQ.ts's hand-written wasm kernels (WebAssembly text, *.wat) into TypeScript modules
 * holding their bytes, next to each source: `kernels.wat` → `kernels-wasm.ts`.
 *
 *   npx tsx scripts/kernels/build-wasm-kernels.ts           # rewrite the generated modules
 *   npx tsx scripts/kernels/build-wasm-kernels.ts --check   # fail if one is out of date
 *
 * The compiler is wabt (a devDependency); the library itself only embeds the bytes.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compileWat } from './compile-wat.js';
import { writeOrCheck } from './generated-file.js';

const KERNELS = [
  new URL('../../packages/core-layers/src/engine/fixes/wasm-tanh.wat', import.meta.url),
  new URL('../../packages/core-layers/src/engine/fixes/wasm-tanh-grad.wat', import.meta.url),
  new URL('../../packages/core-layers/src/engine/fixes/wasm-column-sum.wat', import.meta.url),
  new URL('../../packages/core-layers/src/engine/fixes/wasm-binary.wat', import.meta.url),
  new URL('../../packages/solvers/src/internal/fused/kernels.wat', import.meta.url),
  new URL('../../packages/train/src/optim/adam.wat', import.meta.url),
  new URL('../../packages/core-layers/src/engine/fixes/wasm-gemm.wat', import.meta.url),
  new URL('../../packages/core-layers/src/layers/normalize/group-norm.wat', import.meta.url),
  new URL('../../packages/core-layers/src/engine/fixes/wasm-gemm-fma.wat', import.meta.url),
  new URL('../../packages/core-layers/src/engine/fixes/wasm-sparse-gemm.wat', import.meta.url),
  new URL('../../packages/core-layers/src/engine/fixes/wasm-sparse-gemm-fma.wat', import.meta.url),
  new URL('../../packages/core-layers/src/engine/fixes/wasm-sparse-lists.wat', import.meta.url),
];

const check = process.argv.includes('--check');
let stale = 0;
for (const url of KERNELS) {
  const source = fileURLToPath(url);
  const target = source.replace(/\.wat$/, '-wasm.ts');
  const bytes = await compileWat(readFileSync(source, 'utf8'), source);
  // Browsers refuse synchronous compilation (how the kernels load) of modules over 4 KB on a
  // page's main thread: every kernel module, including the next one added above, stays below.
  if (bytes.length >= 4096) {
    console.error(`${source} compiles to ${bytes.length} bytes, over the 4 KB a browser main thread compiles synchronously: split it`);
    stale++;
    continue;
  }
  const text = generatedModule(bytes, source.split('/').pop()!);
  if (writeOrCheck(target, text, check, 'npx tsx scripts/kernels/build-wasm-kernels.ts', ` (${bytes.length} bytes of wasm)`)) stale++;
}
if (stale > 0) process.exit(1);

/** The TypeScript module holding the bytes of a compiled kernel file. */
export function generatedModule(bytes: Uint8Array, sourceName: string): string {
  const base64 = Buffer.from(bytes).toString('base64');
  const lines = base64.match(/.{1,100}/g) ?? [];
  return [
    `// Generated from ${sourceName} by scripts/kernels/build-wasm-kernels.ts; do not edit.`,
    `/** The compiled bytes of ${sourceName}, base64. */`,
    'export const WASM_BASE64 =',
    ...lines.map((l, i) => `  '${l}'${i === lines.length - 1 ? ';' : ' +'}`),
    '',
  ].join('\n');
}
