import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'vite';
import { describe, expect, it } from 'vitest';

// Pages and bundled apps show errors as `${e.name}: ${e.message}`; a minifier renames classes, so
// the error classes spell their names out. This bundles them minified (no keepNames) and checks.
describe('error names survive minification', () => {
  it('every DEQ.ts error class keeps its name in a minified bundle', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'deqts-minify-'));
    try {
      const entry = join(dir, 'entry.js');
      const core = pathToFileURL(resolve('packages/core-layers/src/core/errors.ts')).href;
      const train = pathToFileURL(resolve('packages/train/src/errors.ts')).href;
      writeFileSync(
        entry,
        `import * as core from ${JSON.stringify(core)};\nimport * as train from ${JSON.stringify(train)};\n` +
          `export const names = Object.entries({ ...core, ...train }).filter(([, C]) => typeof C === 'function' && C.prototype instanceof Error).map(([k, C]) => [k, new C('detail').name]);\n`,
      );
      await build({
        configFile: false,
        logLevel: 'silent',
        build: { outDir: join(dir, 'out'), minify: true, lib: { entry, formats: ['es'], fileName: 'bundle' }, rolldownOptions: { external: [/^@tensorflow/, 'zod', /^fp-ts/] } },
      });
      const file = readdirSync(join(dir, 'out')).find((f) => f.startsWith('bundle'))!;
      const { names } = (await import(pathToFileURL(join(dir, 'out', file)).href)) as { names: [string, string][] };
      expect(names.length).toBeGreaterThanOrEqual(8);
      for (const [exported, name] of names) expect(name, exported).toBe(exported);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
