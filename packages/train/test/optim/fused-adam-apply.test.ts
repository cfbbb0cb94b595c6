import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Chain, Dense, initBackend, setup, treeDispose, treeMap, treeTensors, Xoshiro, type Tree } from '@deqts/core-layers';
import { adam, applyGradients, constantSchedule, TrainState, updateReplayReport, type AdamState, type OptState } from '@deqts/train';
import { optimSwitches } from '../../src/optim/switches.js';

// adam() with a constant learning rate carries a fused parameter step (one wasm kernel per
// parameter tensor for Adam, the −lr scale and applyUpdates): it must give the parameters and
// optimizer state of the three unfused steps bit for bit, and decline where it does not apply.

const model = Chain(Dense(13, 10), Dense(10, 7)); // leaves of 130, 10, 70 and 7 values
const bits = (tree: unknown): Float32Array[] => treeTensors(tree).map((t) => Float32Array.from(t.dataSync()));

/** Runs `steps` applyGradients of adam on fixed random gradients; returns final parameters, moments and count, and the kernels of the last step. */
async function train(fused: boolean, opts: { steps?: number; legacyCount?: boolean; replay?: boolean } = {}) {
  const saved = optimSwitches.fusedAdam;
  optimSwitches.fusedAdam = fused;
  try {
    const [ps, st] = setup(new Xoshiro(3), model);
    let ts = TrainState(model, ps, st, adam({ learningRate: 1e-2, b1: 0.8, b2: 0.95 }));
    if (opts.legacyCount) {
      // A checkpoint from before the count became a tensor holds a plain number.
      const [adamState, rest] = ts.optState as [AdamState, OptState];
      (adamState.count as tf.Tensor).dispose();
      ts = { ...ts, optState: [{ ...adamState, count: 0 }, rest] };
    }
    let kernels: string[] = [];
    const steps = opts.steps ?? 4;
    for (let i = 0; i < steps; i++) {
      let k = 1;
      const grads = treeMap((p: unknown) => tf.randomNormal((p as tf.Tensor).shape, 0, i === 2 ? 1e-3 : 1, 'float32', 17 * i + k++), ts.ps as Tree);
      if (i === steps - 1) {
        const before = tf.memory().numTensors;
        const info = await tf.profile(() => {
          ts = applyGradients(ts, grads as typeof ts.ps, { replay: opts.replay });
          return [];
        });
        kernels = info.kernels.map((x) => x.name);
        // The old parameters, moments and count replaced by as many new ones.
        expect(tf.memory().numTensors).toBe(before);
      } else ts = applyGradients(ts, grads as typeof ts.ps, { replay: opts.replay });
      treeDispose(grads);
    }
    const [adamState] = ts.optState as [AdamState, OptState];
    const out = { ps: bits(ts.ps), moments: bits([adamState.mu, adamState.nu]), count: (adamState.count as tf.Tensor).dataSync()[0], kernels, replays: updateReplayReport(ts.optimizer)?.replays ?? 0 };
    treeDispose([ts.ps, ts.optState, ts.st]);
    return out;
  } finally {
    optimSwitches.fusedAdam = saved;
  }
}

describe('adam fused parameter step [wasm]', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('gives the unfused parameters, moments and count bit for bit, in one kernel per parameter tensor', async () => {
    const plain = await train(false);
    const fused = await train(true);
    expect(fused.ps).toEqual(plain.ps);
    expect(fused.moments).toEqual(plain.moments);
    expect(fused.count).toBe(4);
    expect(plain.count).toBe(4);
    expect(fused.ps.flatMap((p) => Array.from(p)).every(Number.isFinite)).toBe(true);
    // The fused step ran (so the comparison above is not the unfused path against itself).
    expect(fused.kernels.filter((k) => k === 'DeqtsAdamApply')).toHaveLength(4);
    expect(plain.kernels).not.toContain('DeqtsAdamApply');
  });

  it('replayed, gives the same bits as unreplayed', async () => {
    const plain = await train(true, { steps: 5 });
    const replayed = await train(true, { steps: 5, replay: true });
    expect(replayed.ps).toEqual(plain.ps);
    expect(replayed.moments).toEqual(plain.moments);
    // the replayed run did replay (else this compared the plain path with itself)
    expect(replayed.replays).toBeGreaterThan(0);
  });

  it('declines a plain-number count (older checkpoints), whose step then runs unfused', async () => {
    const plain = await train(false, { legacyCount: true });
    const fused = await train(true, { legacyCount: true, steps: 4 });
    expect(fused.ps).toEqual(plain.ps);
    expect(fused.count).toBe(4);
    // the first step declined; by the last the count is a tensor and the fused step runs
    expect(fused.kernels).toContain('DeqtsAdamApply');
  });

  it('is not carried by adam with a learning-rate schedule', () => {
    const scheduled = adam({ learningRate: constantSchedule(1e-2) });
    expect(Object.getOwnPropertySymbols(scheduled)).toHaveLength(0);
    expect(Object.getOwnPropertySymbols(adam({ learningRate: 1e-2 }))).toHaveLength(1);
  });
});
