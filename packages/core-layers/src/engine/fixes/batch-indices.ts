/** Batch broadcasting of tf.matMul's operands, shared by the cpu and wasm BatchMatMul kernels. */

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
