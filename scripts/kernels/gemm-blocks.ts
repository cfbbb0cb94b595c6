/** Shared by the dense and the zero-skipping product generators: the register block's shape and stores. */

/** Rows of the product kernels' register block (each row holds 8 output columns in two vectors). */
export const BLOCK_ROWS = 4;

/**
 * Rows per step list of the zero-skipping product's mostly-zero A (its blocks are this many rows ×
 * 16 columns): MNIST pixels keep 29 % of the steps over unions of 2 rows, 39 % over 4.
 */
export const A_LIST_ROWS = 2;

/**
 * WebAssembly text storing a block's `rows` accumulator pairs ($c{r}0, $c{r}1) to C at $c (row
 * stride $rowBytes): both vectors when the panel is full ($cols ≥ 8), else through $tmp, with
 * `copy(dst)` moving the first $cols floats of $tmp to dst.
 */
export function blockStores(rows: number, copy: (dst: string) => string): string[] {
  const dst = (r: number) => (r === 0 ? '(local.get $c)' : `(i32.add (local.get $c) (i32.mul (local.get $rowBytes) (i32.const ${r})))`);
  const lines = ['    (if (i32.ge_u (local.get $cols) (i32.const 8))', '      (then'];
  for (let r = 0; r < rows; r++) {
    lines.push(`        (v128.store ${dst(r)} (local.get $c${r}0))`);
    lines.push(`        (v128.store offset=16 ${dst(r)} (local.get $c${r}1))`);
  }
  lines.push('      )', '      (else');
  for (let r = 0; r < rows; r++) {
    lines.push(`        (v128.store (local.get $tmp) (local.get $c${r}0))`);
    lines.push(`        (v128.store offset=16 (local.get $tmp) (local.get $c${r}1))`);
    lines.push(`        ${copy(dst(r))}`);
  }
  lines.push('      ))');
  return lines;
}

/** An i8x16.shuffle picking 32-bit lanes (0–3 from x, 4–7 from y). */
export function lanes(l: number[], x: string, y: string): string {
  return `(i8x16.shuffle ${l.flatMap((i) => [0, 1, 2, 3].map((b) => 4 * i + b)).join(' ')} ${x} ${y})`;
}
