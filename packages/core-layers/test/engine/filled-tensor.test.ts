import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { filledTensor, heapOffset, type WasmModuleBackend } from '@deqts/core-layers';
import { describeBackends } from '../../../../test/utils/index.js';

describeBackends('filledTensor', (backend) => {
  it('holds what fill wrote, float32 and int32, any shape including an empty one, and frees its block', () => {
    const blocks = (): number => (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
    const before = [tf.memory().numTensors, blocks()];
    const x = filledTensor([2, 3], 'float32', (v) => {
      expect(v).toBeInstanceOf(Float32Array);
      expect(v.length).toBe(6);
      for (let i = 0; i < v.length; i++) v[i] = i / 4 - 0.5;
    });
    const y = filledTensor([4], 'int32', (v) => {
      expect(v).toBeInstanceOf(Int32Array);
      v.set([7, -1, 0, 2 ** 30]);
    });
    const empty = filledTensor([0, 5], 'float32', (v) => expect(v.length).toBe(0));
    expect(x.dtype).toBe('float32');
    expect(x.arraySync()).toEqual([[-0.5, -0.25, 0], [0.25, 0.5, 0.75]]);
    expect(y.dtype).toBe('int32');
    expect(Array.from(y.dataSync())).toEqual([7, -1, 0, 2 ** 30]);
    expect(empty.shape).toEqual([0, 5]);
    // the values are the tensor's own: ops see them, and later writes elsewhere do not change them
    expect(tf.tidy(() => tf.sum(x).dataSync()[0])).toBeCloseTo(0.75, 6);
    tf.dispose([x, y, empty]);
    expect([tf.memory().numTensors, blocks()]).toEqual(before);
  });

  if (backend === 'wasm') {
    it('on wasm, fill writes into the tensor\'s block in the engine\'s memory (no host copy)', () => {
      let view: Float32Array | null = null;
      const x = filledTensor([8], 'float32', (v) => {
        view = v;
        v.fill(1);
      });
      const memory = (tf.backend() as unknown as { wasm: { asm: { memory: WebAssembly.Memory } } }).wasm.asm.memory;
      expect(view!.buffer).toBe(memory.buffer);
      view![3] = 5; // writing the view afterwards shows in the tensor: it is the tensor's storage
      expect(Array.from(x.dataSync())).toEqual([1, 1, 1, 5, 1, 1, 1, 1]);
      x.dispose();
    });
  }
  if (backend === 'wasm') {
    it('heapOffset reads the block\'s offset from the backend\'s record, the same as a heap view\'s, with or without the record', () => {
      const b = tf.backend() as unknown as WasmModuleBackend;
      const tensors = [tf.ones([3]), tf.zeros([64, 64]), tf.tensor1d([1, 2], 'int32')];
      for (const t of tensors) {
        const viaView = b.typedArrayFromHeap(t).byteOffset;
        expect(heapOffset(b, t)).toBe(viaView);
        expect(heapOffset({ ...b, dataIdMap: undefined, typedArrayFromHeap: (i: tf.TensorInfo) => b.typedArrayFromHeap(i) }, t)).toBe(viaView);
      }
      tf.dispose(tensors);
    });
  }
});
