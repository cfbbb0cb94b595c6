import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, scratchBlock, withScratch, type WasmModuleBackend } from '@deqts/core-layers';

describe('scratch blocks in the wasm backend\'s memory [wasm]', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });
  const blocks = (): number => (tf.backend() as unknown as { numDataIds(): number }).numDataIds();

  it('keeps one block per slot between calls, grows it when a call needs more, and slots do not share', () => {
    const backend = tf.backend() as unknown as WasmModuleBackend;
    const before = blocks();
    const a = scratchBlock(backend, 'test-a', 1000);
    expect(a).not.toBeNull();
    expect(scratchBlock(backend, 'test-a', 800)).toBe(a); // smaller: the same block
    const b = scratchBlock(backend, 'test-b', 1000);
    expect(b).not.toBe(a);
    // the two blocks do not overlap: write both through a heap view and read them back
    const heap = new Uint8Array(backend.wasm.asm.memory.buffer);
    heap.fill(1, a!, a! + 1000);
    heap.fill(2, b!, b! + 1000);
    expect(heap[a! + 999]).toBe(1);
    expect(heap[b!]).toBe(2);
    const grown = scratchBlock(backend, 'test-a', 100_000);
    expect(grown).not.toBeNull();
    expect(scratchBlock(backend, 'test-a', 100_000)).toBe(grown);
    expect(blocks()).toBe(before); // not tensors: tfjs's data blocks are untouched
  });

  it('withScratch falls back to a per-call block, freed after the call, without the backend\'s allocator', () => {
    const backend = tf.backend() as unknown as WasmModuleBackend;
    const noAllocator: WasmModuleBackend = {
      makeOutput: (shape, dtype) => backend.makeOutput(shape, dtype),
      typedArrayFromHeap: (info) => backend.typedArrayFromHeap(info),
      disposeData: (dataId) => backend.disposeData(dataId),
      dataIdMap: backend.dataIdMap,
      wasm: { asm: backend.wasm.asm },
    };
    expect(scratchBlock(noAllocator, 'test-c', 64)).toBeNull();
    const before = blocks();
    const seen = withScratch(noAllocator, 'test-c', 4096, (pointer) => {
      expect(blocks()).toBe(before + 1);
      return pointer;
    });
    expect(seen).toBeGreaterThan(0);
    expect(blocks()).toBe(before);
    expect(() => withScratch(noAllocator, 'test-c', 64, () => {
      throw new Error('inside');
    })).toThrow('inside');
    expect(blocks()).toBe(before);
  });
});
