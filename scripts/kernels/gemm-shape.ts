/** Rows of the product kernels' register block (each row holds 8 output columns in two vectors). */
export const BLOCK_ROWS = 4;
