import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, treeDispose, treeTensors } from '@deqts/core-layers';
import { scaleByAdam, type AdamState } from '@deqts/train';
import { optimSwitches } from '../../src/optim/switches.js';

// Adam's fused wasm kernel (adam.wat) runs the same float32 operations as the tfjs-op path, in
// the same order: the two must agree bit for bit over several steps.

const dataIds = (): number => (tf.backend() as unknown as { numDataIds(): number }).numDataIds();

function run(fused: boolean, epsRoot: number): { updates: Float32Array[]; state: Float32Array[] } {
  const saved = optimSwitches.fusedAdam;
  optimSwitches.fusedAdam = fused;
  try {
    // Sizes 7 (scalar tail only), 130 (vector loop and tail) and a scalar; a non-tensor leaf too.
    const params = { w: tf.zeros([10, 13]), b: tf.zeros([7]), s: tf.scalar(0), tag: 'fixed' };
    const t = scaleByAdam({ b1: 0.8, b2: 0.95, eps: 1e-6, epsRoot });
    let state = t.init(params) as AdamState;
    let last: unknown = null;
    for (let step = 0; step < 4; step++) {
      const grads = {
        w: tf.randomNormal([10, 13], 0, 1, 'float32', step + 1),
        b: tf.randomNormal([7], 0, 1e-3, 'float32', step + 11),
        s: tf.scalar(step - 1.5),
        tag: 'fixed',
      };
      const before = dataIds();
      const [updates, next] = t.update(grads, state, params);
      // New: three tensors per parameter leaf and the next count, nothing else left behind.
      expect(dataIds() - before).toBe(10);
      treeDispose([grads, state.mu, state.nu, state.count, last]);
      state = next as AdamState;
      last = updates;
    }
    const out = { updates: treeTensors(last).map((x) => Float32Array.from(x.dataSync())), state: treeTensors([state.mu, state.nu]).map((x) => Float32Array.from(x.dataSync())) };
    treeDispose([last, state.mu, state.nu, state.count, params]);
    return out;
  } finally {
    optimSwitches.fusedAdam = saved;
  }
}

describe('fused Adam [wasm]', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  for (const epsRoot of [0, 1e-8]) {
    it(`updates and moments equal the tfjs-op path bit for bit over 4 steps (epsRoot ${epsRoot})`, () => {
      const ops = run(false, epsRoot);
      const fused = run(true, epsRoot);
      expect(fused.updates).toEqual(ops.updates);
      expect(fused.state).toEqual(ops.state);
      expect(fused.updates.flatMap((u) => Array.from(u)).every(Number.isFinite)).toBe(true);
    });
  }

  it('is not used while a gradient tape records (differentiating through the optimizer)', () => {
    const t = scaleByAdam();
    const p = { w: tf.ones([5]) };
    const state = t.init(p);
    const g = tf.grad((x: tf.Tensor) => {
      const [u] = t.update({ w: x }, state, p);
      return tf.sum((u as { w: tf.Tensor }).w);
    })(tf.ones([5]));
    // d/dg of the first Adam update at m = v = 0: a finite gradient (the op path is differentiable).
    expect(Array.from(g.dataSync()).every(Number.isFinite)).toBe(true);
    tf.dispose([g, p.w]);
    treeDispose(state);
  });
});
