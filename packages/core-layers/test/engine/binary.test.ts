import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, type WasmModuleBackend } from '@deqts/core-layers';
import { originalKernel } from '../../src/engine/fixes/registry.js';
import { binaryWasm } from '../../src/engine/fixes/wasm-binary.js';

// DEQ.ts's wasm Add/Sub/Multiply (wasm-binary.ts) must give the stock kernels' bits wherever it
// takes a case, and leave every other case to them.

const bits = (values: tf.TypedArray) => Array.from(new Uint32Array(new Float32Array(values).buffer));
const readSync = (id: tf.DataId) => (tf.backend() as unknown as { readSync(id: tf.DataId): tf.TypedArray }).readSync(id);

describe('wasm Add, Sub, Multiply (wasm-binary.ts)', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  const taken: [number[], number[]][] = [
    [[128, 128], [128, 128]],
    [[7, 3], [7, 3]], // a scalar tail only
    [[5, 37], [37]], // a bias row: vector loop and tail per row
    [[2, 3, 21], [3, 21]],
    [[9], [9]],
    [[4, 16], [1, 16]], // a leading 1 repeats like a row
  ];
  for (const name of ['Add', 'Sub', 'Multiply'] as const) {
    it(`${name}: the stock kernel's bits, called directly so the fast path is known to be taken`, () => {
      const backend = tf.backend() as unknown as WasmModuleBackend;
      const stock = originalKernel(name, 'wasm');
      expect(stock).toBeDefined();
      const cases = name === 'Sub' ? taken : [...taken, ...taken.map(([a, b]) => [b, a] as [number[], number[]])];
      for (const [sa, sb] of cases) {
        const a = tf.randomNormal(sa, 0, 2, 'float32', sa.length * 7 + sa[sa.length - 1]);
        const b = tf.randomNormal(sb, 1, 3, 'float32', sb.length * 5 + sb[0]);
        const ours = binaryWasm(backend, name, a, b);
        expect(ours, `${name} ${sa} ${sb}`).not.toBeNull();
        const ref = stock!.kernelFunc({ inputs: { a, b }, attrs: {}, backend: tf.backend() }) as tf.TensorInfo;
        expect(ours!.shape, `${name} ${sa} ${sb}`).toEqual(ref.shape);
        expect(bits(readSync(ours!.dataId)), `${name} ${sa} ${sb}`).toEqual(bits(readSync(ref.dataId)));
        // and through tf's op (the registered kernel)
        const op = name === 'Add' ? tf.add(a, b) : name === 'Sub' ? tf.sub(a, b) : tf.mul(a, b);
        expect(bits(op.dataSync())).toEqual(bits(readSync(ref.dataId)));
        tf.backend().disposeData(ours!.dataId);
        tf.backend().disposeData(ref.dataId);
        tf.dispose([a, b, op]);
      }
    });
  }

  it('declines other broadcasts, dtypes and empty tensors, which the stock kernels then compute', () => {
    const backend = tf.backend() as unknown as WasmModuleBackend;
    const x = tf.ones([5, 37]);
    const col = tf.ones([5, 1]);
    const row = tf.ones([37]);
    const ints = tf.ones([5, 37], 'int32');
    const empty = tf.ones([0, 37]);
    const scalar = tf.scalar(2);
    expect(binaryWasm(backend, 'Add', x, col)).toBeNull(); // a column repeats along the last axis
    expect(binaryWasm(backend, 'Sub', row, x)).toBeNull(); // Sub repeats only its second operand
    expect(binaryWasm(backend, 'Add', ints, ints)).toBeNull();
    expect(binaryWasm(backend, 'Multiply', empty, row)).toBeNull();
    expect(binaryWasm(backend, 'Multiply', x, scalar)).toBeNull(); // a scalar factor: the stock kernel's broadcast
    expect(Array.from(tf.sub(row, x).dataSync()).every((v) => v === 0)).toBe(true);
    expect(Array.from(tf.add(x, col).dataSync()).every((v) => v === 2)).toBe(true);
    expect(tf.add(ints, ints).dtype).toBe('int32');
    tf.dispose([x, col, row, ints, empty, scalar]);
  });

  it('keeps gradients of add, sub and mul (finite differences through the ops)', () => {
    const a = tf.tensor2d([[0.5, -1.25, 2], [3, 0.1, -0.7]]);
    const b = tf.tensor1d([1.5, -2, 0.25]);
    const f = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.sub(tf.add(x, y), y), tf.add(x, y)));
    const [ga, gb] = tf.grads(f)([a, b]);
    // f = sum(x·(x + y)): df/dx = 2x + y, df/dy = sum over rows of x
    const expectA = [[2.5, -4.5, 4.25], [7.5, -1.8, -1.15]].flat();
    expect(Array.from(ga.dataSync()).map((v, i) => Math.abs(v - expectA[i]) < 1e-5)).toEqual(expectA.map(() => true));
    expect(Array.from(gb.dataSync()).map((v, i) => Math.abs(v - [3.5, -1.15, 1.3][i]) < 1e-5)).toEqual([true, true, true]);
    tf.dispose([a, b, ga, gb]);
  });
});
