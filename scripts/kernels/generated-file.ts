/** Writing a generated source file, or (with --check) reporting that it is out of date. */
import { readFileSync, writeFileSync } from 'node:fs';

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
