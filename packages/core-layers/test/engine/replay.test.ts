import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { OptionError, replayable } from '@deqts/core-layers';
import { describeBackends, expectNoLeak } from '../../../../test/utils/index.js';
import { replaySettings } from '../../src/engine/replay/replay-program.js';

/** A kernel that passes its input through and records how many data blocks the backend holds. */
const liveBlocksSeen: number[] = [];
for (const backendName of ['cpu', 'wasm']) {
  tf.registerKernel({
    kernelName: 'DeqtsTestLiveBlocks',
    backendName,
    kernelFunc: ({ inputs, backend }) => {
      const x = inputs.x as tf.TensorInfo;
      const b = backend as unknown as { numDataIds(): number; incRef(id: tf.DataId): void };
      liveBlocksSeen.push(b.numDataIds());
      b.incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    },
  });
}
const liveBlocks = (x: tf.Tensor): tf.Tensor => tf.engine().runKernel('DeqtsTestLiveBlocks', { x }) as tf.Tensor;

const backendBlocks = () => (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
const bits = (t: tf.Tensor) => Array.from(new Uint32Array(new Float32Array(t.dataSync()).buffer));

/** A small network's loss gradient: products, a broadcast bias, tanh, reshape, a host constant. */
const lossGrads = (w: tf.Tensor, b: tf.Tensor, x: tf.Tensor) =>
  tf.tidy(() => {
    const f = (ww: tf.Tensor, bb: tf.Tensor) => tf.mean(tf.square(tf.sub(tf.reshape(tf.tanh(tf.add(tf.matMul(x, ww), bb)), [-1]), tf.scalar(0.5))));
    const [gw, gb] = tf.grads(f)([w, b]);
    return { loss: f(w, b), gw, gb };
  });

describeBackends('replayable (trace once, replay the kernels)', () => {
  it('replays after two identical traces, with results bit-identical to running the function', () => {
    const w = tf.randomNormal([5, 3], 0, 1, 'float32', 1);
    const b = tf.randomNormal([3], 0, 1, 'float32', 2);
    const f = replayable(lossGrads);
    for (let i = 0; i < 6; i++) {
      const x = tf.randomNormal([4, 5], 0, 1, 'float32', 10 + i);
      const plain = lossGrads(w, b, x);
      const out = f(w, b, x);
      expect(bits(out.loss)).toEqual(bits(plain.loss));
      expect(bits(out.gw)).toEqual(bits(plain.gw));
      expect(bits(out.gb)).toEqual(bits(plain.gb));
      expect(out.gw.shape).toEqual([5, 3]);
      tf.dispose([x, plain, out]);
    }
    const report = f.report();
    expect(report.replays).toBe(4);
    expect(report.plainCalls).toBe(2);
    expect(report.reason).toBeNull();
    // the tape's saved copies, Identity and Reshape are gone: only arithmetic kernels remain
    expect(report.kernelsPerReplay[0]).toBeGreaterThan(5);
    f.dispose();
    tf.dispose([w, b]);
  });

  it('leaks neither tensors nor backend data blocks over many replays', async () => {
    const w = tf.randomNormal([5, 3]);
    const b = tf.randomNormal([3]);
    const x = tf.randomNormal([4, 5]);
    const f = replayable(lossGrads);
    await expectNoLeak(() => tf.dispose(f(w, b, x)), 10, 3);
    const blocks = backendBlocks();
    for (let i = 0; i < 10; i++) tf.dispose(f(w, b, x));
    expect(backendBlocks()).toBe(blocks);
    f.dispose(); // frees the program's constants
    expect(backendBlocks()).toBeLessThan(blocks);
    tf.dispose([w, b, x]);
  });

  it('frees each intermediate after its last reader, keeping what the call returns (also as a view)', () => {
    // 24 elementwise kernels; the 3rd result is returned, the 5th returned as a reshaped view
    const chain = (x: tf.Tensor) =>
      tf.tidy(() => {
        let y = x;
        const kept: tf.Tensor[] = [];
        for (let i = 0; i < 24; i++) {
          y = i % 2 === 0 ? tf.sin(y) : tf.mul(y, 0.9);
          if (i === 2) kept.push(y);
          if (i === 4) kept.push(tf.reshape(y, [-1]));
        }
        return { last: liveBlocks(y), third: kept[0], fifthFlat: kept[1] };
      });
    const x = tf.randomNormal([64, 8], 0, 1, 'float32', 3);
    const expected = chain(x);
    const seenAt = (freeEarly: boolean): number => {
      replaySettings.freeEarly = freeEarly;
      const f = replayable(chain);
      for (let i = 0; i < 2; i++) tf.dispose(f(x)); // two traces, then the program
      liveBlocksSeen.length = 0;
      const before = backendBlocks();
      const out = f(x);
      expect(f.report().replays).toBe(1);
      expect(bits(out.last)).toEqual(bits(expected.last));
      expect(bits(out.third)).toEqual(bits(expected.third));
      expect(bits(out.fifthFlat)).toEqual(bits(expected.fifthFlat));
      expect(out.fifthFlat.shape).toEqual([512]);
      tf.dispose(out);
      f.dispose();
      expect(backendBlocks()).toBeLessThanOrEqual(before);
      return liveBlocksSeen[0] - before;
    };
    try {
      // at the last kernel: its input and the two returned blocks, against all 24 outputs
      expect(seenAt(true)).toBeLessThanOrEqual(4);
      expect(seenAt(false)).toBeGreaterThanOrEqual(24);
    } finally {
      replaySettings.freeEarly = true;
    }
    tf.dispose([x, expected]);
  });

  it('fuses a product with the Add that is its only reader (wasm), same bits; a product read twice or returned keeps its Add', () => {
    const w = tf.randomNormal([16, 16], 0, 1, 'float32', 4);
    const u = tf.randomNormal([8, 16], 0, 1, 'float32', 5);
    const f = (x: tf.Tensor, w: tf.Tensor, u: tf.Tensor) =>
      tf.tidy(() => {
        const first = tf.add(tf.matMul(x, w, false, true), u); // product, then Add: fused
        const second = tf.add(u, tf.matMul(first, w)); // the addend first: fused
        const shared = tf.matMul(second, w);
        const third = tf.add(shared, tf.tanh(shared)); // the product has two readers: kept apart
        const returned = tf.matMul(third, w);
        const loss = tf.sum(tf.add(returned, u)); // the product is also returned: kept apart
        const [gw] = tf.grads((ww: tf.Tensor) => tf.sum(tf.tanh(tf.add(tf.matMul(tf.tanh(tf.add(tf.matMul(x, ww), u)), ww), u))))([w]);
        return { loss, returned, gw };
      });
    const kernels = (fuse: boolean): number => {
      replaySettings.fuseProductAdd = fuse;
      const g = replayable(f);
      for (let i = 0; i < 4; i++) {
        const x = tf.randomNormal([8, 16], 0, 1, 'float32', 30 + i);
        const plain = f(x, w, u);
        const out = g(x, w, u);
        expect(bits(out.loss), `call ${i}`).toEqual(bits(plain.loss));
        expect(bits(out.returned)).toEqual(bits(plain.returned));
        expect(bits(out.gw)).toEqual(bits(plain.gw));
        tf.dispose([x, plain, out]);
      }
      expect(g.report().replays).toBe(2);
      const count = g.report().kernelsPerReplay[0];
      g.dispose();
      return count;
    };
    try {
      const fused = kernels(true);
      const apart = kernels(false);
      // first, second, the two products + u inside the gradient's function, and the gradient's
      // accumulation over the two uses of ww: 5 (wasm only; shared and returned stay apart)
      expect(apart - fused).toBe(tf.getBackend() === 'wasm' ? 5 : 0);
    } finally {
      replaySettings.fuseProductAdd = true;
    }
    tf.dispose([w, u]);
  });

  it('refuses a function that reads tensor data on the host, and keeps answering correctly', () => {
    const f = replayable((x: tf.Tensor) => (x.dataSync()[0] > 0 ? tf.neg(x) : tf.exp(x)));
    for (const v of [1, -1, 1, -1]) {
      const x = tf.tensor1d([v, 2]);
      const y = f(x);
      expect(y.dataSync()[0]).toBeCloseTo(v > 0 ? -v : Math.exp(v), 6);
      tf.dispose([x, y]);
    }
    expect(f.report().replays).toBe(0);
    expect(f.report().reason).toMatch(/reads tensor data on the host/);
  });

  it('refuses a tensor captured from outside that is not an argument', () => {
    const outside = tf.tensor1d([1, 2]);
    const f = replayable((x: tf.Tensor) => tf.add(x, outside));
    for (let i = 0; i < 3; i++) tf.dispose(f(tf.tensor1d([i, i])));
    expect(f.report().replays).toBe(0);
    expect(f.report().reason).toMatch(/made outside the traced function/);
    outside.dispose();
  });

  it('refuses when a host number baked into a constant changes from call to call', () => {
    let step = 0;
    const f = replayable((x: tf.Tensor) => tf.mul(x, tf.scalar(++step)));
    for (let i = 1; i <= 5; i++) {
      const x = tf.ones([2]);
      const y = f(x);
      expect(Array.from(y.dataSync())).toEqual([i, i]);
      tf.dispose([x, y]);
    }
    expect(f.report().replays).toBe(0);
    expect(f.report().reason).toMatch(/constant made from host numbers changed/);
  });

  it('traces again when a non-tensor argument changes, and keeps one program per shape', () => {
    const f = replayable((x: tf.Tensor, k: number) => tf.mul(x, tf.scalar(k)));
    const run = (k: number, n: number) => {
      const x = tf.ones([n]);
      const y = f(x, k);
      const values = Array.from(y.dataSync());
      tf.dispose([x, y]);
      return values;
    };
    for (let i = 0; i < 3; i++) expect(run(2, 2)).toEqual([2, 2]);
    expect(run(3, 2)).toEqual([3, 3]); // a changed number is a new trace, not a stale replay
    for (let i = 0; i < 3; i++) expect(run(3, 2)).toEqual([3, 3]);
    for (let i = 0; i < 3; i++) expect(run(3, 4)).toEqual([3, 3, 3, 3]);
    const report = f.report();
    expect(report.kernelsPerReplay).toEqual([1, 1]);
    expect(report.replays).toBe(1 + 2 + 1);
  });

  it('stops rebuilding programs when non-tensor arguments keep changing after each build', () => {
    const f = replayable((x: tf.Tensor, k: number) => tf.mul(x, tf.scalar(k)));
    const x = tf.ones([2]);
    for (let k = 0; k < 8; k++) {
      for (let i = 0; i < 3; i++) {
        const y = f(x, k);
        expect(Array.from(y.dataSync())).toEqual([k, k]);
        y.dispose();
      }
    }
    expect(f.report().reason).toMatch(/keep changing/);
    x.dispose();
  });

  it('hands back the very input tensors the function returned, and fresh tensors for copies', () => {
    const f = replayable((x: tf.Tensor, y: tf.Tensor) => ({ same: x, copy: tf.clone(y), view: tf.reshape(y, [4]), sum: tf.add(x, y) }));
    const x = tf.ones([2, 2]);
    const y = tf.fill([2, 2], 3);
    for (let i = 0; i < 4; i++) {
      const out = f(x, y);
      expect(out.same).toBe(x);
      expect(out.copy).not.toBe(y);
      expect(Array.from(out.view.dataSync())).toEqual([3, 3, 3, 3]);
      expect(Array.from(out.sum.dataSync())).toEqual([4, 4, 4, 4]);
      tf.dispose([out.copy, out.view, out.sum]);
    }
    expect(f.report().replays).toBe(2);
    expect(Array.from(y.dataSync())).toEqual([3, 3, 3, 3]); // disposing the copies kept y's data
    tf.dispose([x, y]);
  });

  it('replays a custom gradient (tf.customGrad) bit-identically', () => {
    // softsign with a hand-written gradient: forward and backward kernels both recorded
    const forward = (x: tf.Tensor, save: tf.GradSaveFunc) => {
      save([x]);
      return { value: tf.div(x, tf.add(tf.abs(x), 1)), gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) => tf.div(dy, tf.square(tf.add(tf.abs(saved), 1))) };
    };
    const softsign = tf.customGrad(forward as unknown as Parameters<typeof tf.customGrad>[0]);
    const g = (w: tf.Tensor, x: tf.Tensor) => tf.tidy(() => tf.grads((ww: tf.Tensor) => tf.sum(softsign(tf.matMul(x, ww)) as tf.Tensor))([w])[0]);
    const f = replayable(g);
    const w = tf.randomNormal([3, 2], 0, 1, 'float32', 4);
    for (let i = 0; i < 4; i++) {
      const x = tf.randomNormal([5, 3], 0, 1, 'float32', 20 + i);
      const plain = g(w, x);
      const out = f(w, x);
      expect(bits(out)).toEqual(bits(plain));
      tf.dispose([x, plain, out]);
    }
    expect(f.report()).toMatchObject({ replays: 2, reason: null });
    w.dispose();
  });

  it('refuses randomness whose seed changes from call to call (dropout-like masks)', () => {
    let seed = 0;
    const f = replayable((x: tf.Tensor) => tf.mul(x, tf.step(tf.sub(tf.randomUniform(x.shape, 0, 1, 'float32', ++seed), 0.5))));
    const x = tf.ones([64]);
    const outs = [0, 1, 2, 3].map(() => f(x));
    expect(f.report().replays).toBe(0); // each call a new mask: never replayed with a stale one
    expect(new Set(outs.map((o) => o.dataSync().join(''))).size).toBeGreaterThan(1);
    tf.dispose([x, ...outs]);
  });

  it('validates its options', () => {
    expect(() => replayable((x: tf.Tensor) => x, { maxTraces: 1 })).toThrow(OptionError);
    expect(() => replayable((x: tf.Tensor) => x, { maxTraces: 1 })).toThrow(/maxTraces/);
  });
});
