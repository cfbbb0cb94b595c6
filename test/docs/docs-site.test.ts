import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBrokenLinks } from '../../scripts/docs/check-links.js';

// `pnpm run docs` = typedoc (typedoc.json: the four packages' API + README + docs/*.md guides) and
// this link check. The test builds the site into a temporary folder exactly as the script does.
describe('documentation site', () => {
  const out = mkdtempSync(join(tmpdir(), 'deqts-docs-'));
  let build: ReturnType<typeof spawnSync>;

  beforeAll(() => {
    build = spawnSync(join('node_modules', '.bin', 'typedoc'), ['--out', out], { encoding: 'utf8', timeout: 240_000 });
  }, 250_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('builds without warnings (typedoc treats them as errors, invalid links included)', () => {
    expect(build.status, `${build.stdout}\n${build.stderr}`).toBe(0);
  });

  it('has the API of every package and every guide', () => {
    const index = readFileSync(join(out, 'index.html'), 'utf8');
    for (const guide of ['framework', 'engine', 'solvers', 'deq', 'training', 'reproduction', 'benchmarks']) {
      expect(index).toContain(`documents/${guide}.html`);
    }
    for (const pkg of ['core-layers', 'solvers', 'deq', 'train']) {
      expect(readFileSync(join(out, 'modules', `_deqts_${pkg}.html`), 'utf8')).toContain(`@deqts/${pkg}`);
    }
    expect(readFileSync(join(out, 'functions', '_deqts_core-layers.setup.html'), 'utf8')).toContain('Example');
  });

  it('has no broken local link or fragment', () => {
    expect(findBrokenLinks(out)).toEqual([]);
  });

  it('the link check catches a missing page and a missing fragment', () => {
    writeFileSync(
      join(out, 'zz-broken.html'),
      '<a href="documents/nope.html">x</a><a href="index.html#no-such-id">y</a><a id="here" href="#here">z</a>',
    );
    const broken = findBrokenLinks(out).map((b) => `${b.page} ${b.href}`);
    expect(broken).toEqual(['zz-broken.html documents/nope.html', 'zz-broken.html index.html#no-such-id']);
  });
});
