/** Writing a generated source file, or (with --check) reporting that it is out of date. */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Writes `text` to `target` unless it is already there; with `check`, writes nothing and prints
 * that `target` is out of date (telling to run `command`). Returns true when the file is stale.
 */
export function writeOrCheck(target: string, text: string, check: boolean, command: string, note = ''): boolean {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    current = '';
  }
  if (current === text) return false;
  if (check) {
    console.error(`${target} is out of date: run ${command}`);
    return true;
  }
  writeFileSync(target, text);
  console.log(`wrote ${target}${note}`);
  return false;
}

/**
 * The main of a product-kernel generator: writes (or with `--check` on the command line, checks)
 * its SIMD128 and relaxed-SIMD variants `plain` and `fma`, files in core-layers' engine/fixes, from
 * `text(fma)`; exits with status 1 when one is out of date.
 */
export function writeKernelVariants(plain: string, fma: string, text: (fma: boolean) => string, command: string): void {
  const check = process.argv.includes('--check');
  const fixes = (name: string) => fileURLToPath(new URL(`../../packages/core-layers/src/engine/fixes/${name}`, import.meta.url));
  let stale = 0;
  for (const [file, useFma] of [[plain, false], [fma, true]] as const) {
    if (writeOrCheck(fixes(file), text(useFma), check, command)) stale++;
  }
  if (stale > 0) process.exit(1);
}
