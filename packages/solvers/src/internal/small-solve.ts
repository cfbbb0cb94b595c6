/*
 * Tiny dense linear algebra on the host, in float64. Used for the per-sample m×m systems of
 * Anderson mixing and for GMRES's Hessenberg least-squares problem, where float32 on the device
 * would lose the accuracy that decides robustness (TorchDEQ's Anderson crashes there).
 */

/** Scratch arrays for {@link solveRegularizedSpd} with systems up to `capacity`×`capacity`. */
export class SpdWorkspace {
  readonly l: Float64Array;
  readonly y: Float64Array;
  readonly x: Float64Array;
  constructor(readonly capacity: number) {
    this.l = new Float64Array(capacity * capacity);
    this.y = new Float64Array(capacity);
    this.x = new Float64Array(capacity);
  }
}

/**
 * Solves (M + λ·max(diag M)·I) x = c for a symmetric positive semi-definite k×k matrix M, stored
 * row-major with row stride `stride` (≥ k: M may be the top-left block of a larger buffer), by
 * Cholesky. Returns null when the system is unusable (all-zero or non-finite M), after escalating
 * λ by 10× up to four times when float32 noise makes M slightly indefinite. The solution is
 * `work.x` (its first k entries): read it before the next call with the same workspace.
 */
export function solveRegularizedSpd(matrix: Float64Array, stride: number, rhs: Float64Array, k: number, lambda: number, work: SpdWorkspace = new SpdWorkspace(k)): Float64Array | null {
  let scale = 0;
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) if (!Number.isFinite(matrix[i * stride + j])) return null;
  for (let i = 0; i < k; i++) {
    if (!Number.isFinite(rhs[i])) return null;
    scale = Math.max(scale, matrix[i * stride + i]);
  }
  if (!(scale > 0)) return null;
  let shift = lambda * scale;
  for (let attempt = 0; attempt < 5; attempt++, shift *= 10) {
    if (choleskySolve(matrix, stride, rhs, k, shift, work)) return work.x;
  }
  return null;
}

function choleskySolve(matrix: Float64Array, stride: number, rhs: Float64Array, k: number, shift: number, work: SpdWorkspace): boolean {
  const { l, y, x } = work;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = matrix[i * stride + j] + (i === j ? shift : 0);
      for (let p = 0; p < j; p++) sum -= l[i * k + p] * l[j * k + p];
      if (i === j) {
        if (!(sum > 0)) return false;
        l[i * k + i] = Math.sqrt(sum);
      } else {
        l[i * k + j] = sum / l[j * k + j];
      }
    }
  }
  for (let i = 0; i < k; i++) {
    let sum = rhs[i];
    for (let p = 0; p < i; p++) sum -= l[i * k + p] * y[p];
    y[i] = sum / l[i * k + i];
  }
  for (let i = k - 1; i >= 0; i--) {
    let sum = y[i];
    for (let p = i + 1; p < k; p++) sum -= l[p * k + i] * x[p];
    x[i] = sum / l[i * k + i];
  }
  for (let i = 0; i < k; i++) if (!Number.isFinite(x[i])) return false;
  return true;
}

/**
 * Solves the upper-triangular system R y = g (R is k×k, row-major with row stride `stride`).
 * Zero or non-finite pivots give zero components instead of Inf/NaN.
 */
export function solveUpperTriangular(r: Float64Array, g: ArrayLike<number>, k: number, stride: number): Float64Array {
  const y = new Float64Array(k);
  for (let i = k - 1; i >= 0; i--) {
    let sum = g[i];
    for (let j = i + 1; j < k; j++) sum -= r[i * stride + j] * y[j];
    const pivot = r[i * stride + i];
    y[i] = pivot !== 0 && Number.isFinite(pivot) && Number.isFinite(sum) ? sum / pivot : 0;
  }
  return y;
}
