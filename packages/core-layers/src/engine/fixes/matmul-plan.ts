import * as tf from '@tensorflow/tfjs-core';

/**
 * Matrix products written without transpose flags, for backends (wasm) whose fast path handles
 * only `a · b`. Each product with a transposed operand is turned into explicit `tf.transpose`s and
 * a plain product, choosing the arrangement that moves the fewest elements: a transpose costs a
 * pass over its input, and wasm's fast path also repacks its right operand on every call unless
 * that tensor was seen before. Must run inside a tidy.
 */

/** `op(a) · op(b)` for rank-2 `a`, `b`, where op transposes when its flag is set. */
export function matMul2dNoFlags(a: tf.Tensor2D, b: tf.Tensor2D, transposeA: boolean, transposeB: boolean): tf.Tensor2D {
  if (!transposeA && !transposeB) return tf.matMul(a, b);
  if (!transposeA && transposeB) {
    // a [m, k], b [n, k]: a · bᵀ directly (transposes and repacks b), or (b · aᵀ)ᵀ
    // (transposes a, repacks aᵀ, transposes the [n, m] result).
    const [m, k] = a.shape;
    const n = b.shape[0];
    return 2 * n * k <= 2 * m * k + m * n ? tf.matMul(a, tf.transpose(b)) : (tf.transpose(tf.matMul(b, tf.transpose(a))) as tf.Tensor2D);
  }
  if (transposeA && !transposeB) {
    // a [k, m], b [k, n]: aᵀ · b moves k·m + k·n elements; the alternative moves more.
    return tf.matMul(tf.transpose(a), b);
  }
  // a [k, m], b [n, k]: aᵀ · bᵀ = (b · a)ᵀ, or transpose both.
  const [k, m] = a.shape;
  const n = b.shape[0];
  return k * m + m * n <= k * m + 2 * n * k ? (tf.transpose(tf.matMul(b, a)) as tf.Tensor2D) : tf.matMul(tf.transpose(a), tf.transpose(b));
}

/** Swaps the last two axes of a tensor of rank ≥ 2. */
export function swapLastTwo(t: tf.Tensor): tf.Tensor {
  const perm = t.shape.map((_, i) => i);
  const r = t.rank;
  [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
  return tf.transpose(t, perm);
}

function product(shape: readonly number[]): number {
  return shape.reduce((p, d) => p * d, 1);
}

/** Index into a broadcast operand's flattened batch for each flattened output batch index. */
export function broadcastBatchIndices(operandBatch: readonly number[], outBatch: readonly number[]): number[] {
  const rankOffset = outBatch.length - operandBatch.length;
  const total = product(outBatch);
  const indices: number[] = [];
  for (let flat = 0; flat < total; flat++) {
    let rest = flat;
    let index = 0;
    let stride = 1;
    for (let axis = outBatch.length - 1; axis >= 0; axis--) {
      const coordinate = rest % outBatch[axis];
      rest = Math.floor(rest / outBatch[axis]);
      const operandAxis = axis - rankOffset;
      if (operandAxis >= 0) {
        const size = operandBatch[operandAxis];
        index += (size === 1 ? 0 : coordinate) * stride;
        stride *= size;
      }
    }
    indices.push(index);
  }
  return indices;
}

/**
 * Per-product size (m·k·n) from which a batched product is computed as one fast 2-D product per
 * batch entry rather than by wasm's batched kernel (a plain triple loop, 1–2 GFLOP/s). Below it
 * the ~0.1 ms fixed cost of each fast call dominates.
 */
export const LOOP_THRESHOLD = 1 << 17;

/**
 * `op(a) · op(b)` for operands of any rank ≥ 2 with broadcast batch dimensions (tf.matMul's
 * semantics), built only from flag-free fast products. `batchedKernel` computes a flag-free
 * product of rank-3 operands with equal batch sizes (the backend's own kernel), used for small
 * batched products.
 */
export function matMulNoFlags(
  a: tf.Tensor,
  b: tf.Tensor,
  transposeA: boolean,
  transposeB: boolean,
  batchedKernel: (a: tf.Tensor3D, b: tf.Tensor3D) => tf.Tensor3D,
): tf.Tensor {
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  const outBatch = tf.broadcast_util.assertAndGetBroadcastShape(batchA, batchB);
  const m = transposeA ? a.shape[a.rank - 1] : a.shape[a.rank - 2];
  const k = transposeA ? a.shape[a.rank - 2] : a.shape[a.rank - 1];
  const n = transposeB ? b.shape[b.rank - 2] : b.shape[b.rank - 1];
  const outShape = [...outBatch, m, n];
  const sizeA = product(batchA);
  const sizeB = product(batchB);
  const a2 = (t: tf.Tensor): tf.Tensor2D => tf.reshape(t, [t.shape[t.rank - 2], t.shape[t.rank - 1]]);

  if (sizeA === 1 && sizeB === 1) return tf.reshape(matMul2dNoFlags(a2(a), a2(b), transposeA, transposeB), outShape);

  if (sizeB === 1) {
    // One right operand for every batch entry of a: stack a's rows into one tall product.
    const rows = tf.reshape(transposeA ? swapLastTwo(a) : a, [sizeA * m, k]) as tf.Tensor2D;
    return tf.reshape(matMul2dNoFlags(rows, a2(b), false, transposeB), outShape);
  }

  if (sizeA === 1) {
    // One left operand: put every op(b_i) side by side, one wide product, then move the batch axis.
    const wide = transposeB
      ? matMul2dNoFlags(a2(a), tf.reshape(b, [sizeB * n, k]) as tf.Tensor2D, transposeA, true)
      : matMul2dNoFlags(a2(a), tf.reshape(tf.transpose(tf.reshape(b, [sizeB, k, n]), [1, 0, 2]), [k, sizeB * n]) as tf.Tensor2D, transposeA, false);
    return tf.reshape(tf.transpose(tf.reshape(wide, [m, sizeB, n]), [1, 0, 2]), outShape);
  }

  const a3 = tf.reshape(a, [sizeA, a.shape[a.rank - 2], a.shape[a.rank - 1]]) as tf.Tensor3D;
  const b3 = tf.reshape(b, [sizeB, b.shape[b.rank - 2], b.shape[b.rank - 1]]) as tf.Tensor3D;
  const indexA = broadcastBatchIndices(batchA, outBatch);
  const indexB = broadcastBatchIndices(batchB, outBatch);

  if (m * k * n >= LOOP_THRESHOLD) {
    const pick = (t: tf.Tensor3D, i: number): tf.Tensor2D => tf.reshape(tf.slice(t, [i, 0, 0], [1, t.shape[1], t.shape[2]]), [t.shape[1], t.shape[2]]);
    const products = indexA.map((ia, i) => matMul2dNoFlags(pick(a3, ia), pick(b3, indexB[i]), transposeA, transposeB));
    return tf.reshape(tf.stack(products), outShape);
  }

  // Small products: the backend's batched kernel, on operands made flag-free and equal in batch.
  const expand = (t: tf.Tensor3D, index: number[], size: number): tf.Tensor3D =>
    index.length === size && index.every((v, i) => v === i) ? t : (tf.gather(t, tf.tensor1d(index, 'int32')) as tf.Tensor3D);
  const left = expand(transposeA ? (swapLastTwo(a3) as tf.Tensor3D) : a3, indexA, sizeA);
  const right = expand(transposeB ? (swapLastTwo(b3) as tf.Tensor3D) : b3, indexB, sizeB);
  return tf.reshape(batchedKernel(left, right), outShape);
}
