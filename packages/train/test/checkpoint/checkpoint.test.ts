import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, expect, it, vi } from 'vitest';
import { BatchNorm, Chain, Dense, Dropout, Xoshiro, setup, treeDispose, treeLeavesWithPath, treeTensors } from '@deqts/core-layers';
import {
  CheckpointError,
  TrainState,
  adam,
  cosineSchedule,
  crossEntropy,
  loadCheckpoint,
  saveCheckpoint,
  singleTrainStep,
  type LossFunction,
} from '../../src/index.js';
import { describeBackends } from '../../../../test/utils/index.js';

vi.mock('node:fs/promises', async (importOriginal) => {
  const original = await importOriginal<typeof import('node:fs/promises')>();
  return { ...original, rename: vi.fn(original.rename), open: vi.fn(original.open) };
});

const root = mkdtempSync(join(tmpdir(), 'deqts-checkpoint-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Every leaf as something `toEqual` compares exactly: tensors become their raw bits. */
function fingerprint(tree: unknown): unknown[] {
  return treeLeavesWithPath<unknown>(tree as never).map(([path, leaf]) => {
    if (leaf instanceof tf.Tensor) {
      const data = leaf.dataSync();
      const bits = data instanceof Float32Array ? Array.from(new Uint32Array(data.buffer, data.byteOffset, data.length)) : Array.from(data);
      return [path.join('.'), leaf.dtype, leaf.shape, bits];
    }
    if (leaf instanceof Xoshiro) return [path.join('.'), 'xoshiro', leaf.state()];
    if (ArrayBuffer.isView(leaf)) return [path.join('.'), leaf.constructor.name, Array.from(leaf as Float64Array, (v) => (Object.is(v, -0) ? '-0' : v))];
    return [path.join('.'), Object.is(leaf, -0) ? '-0' : leaf];
  });
}

const makeModel = () => Chain(Dense(4, 8, { activation: 'tanh' }), BatchNorm(8), Dropout(0.2), Dense(8, 3));
type Model = ReturnType<typeof makeModel>;
type Ps = ReturnType<Model['initialParameters']>;
type St = ReturnType<Model['initialStates']>;
type Batch = { x: tf.Tensor; y: tf.Tensor };
const lossFn: LossFunction<Model, Ps, St, Batch> = (model, ps, st, batch) => {
  const [logits, st2] = model(batch.x, ps, st);
  return [crossEntropy(logits, batch.y), st2, {}] as const;
};
const makeOptimizer = () => adam({ learningRate: cosineSchedule({ init: 1e-2, decaySteps: 10 }) });

describeBackends('checkpoints', (backend) => {
  it('round trip is bit-exact for tensors, numbers, flags, strings, typed arrays and Xoshiro states', async () => {
    const dir = join(root, `roundtrip-${backend}`);
    const ps = {
      w: tf.tensor2d([[1.5, NaN], [-0, 1e-42]]),
      ints: tf.tensor1d([-3, 7], 'int32'),
      mask: tf.tensor1d([1, 0, 1], 'bool'),
      list: [tf.scalar(Math.PI), { deep: tf.zeros([0, 3]) }],
    };
    const st = {
      training: true,
      count: -0,
      weird: [NaN, Infinity, -Infinity, 0.1],
      label: 'ok',
      nothing: null,
      missing: undefined,
      rng: new Xoshiro(42),
      trace: Float64Array.from([0.1, -0]),
      residuals: [Float32Array.from([1e-3, 2])],
      empty: {},
      none: [],
    };
    const optState = [{ count: 3, mu: { w: tf.ones([2, 2]) } }, {}];
    await saveCheckpoint(dir, { ps, st, optState, step: 17, config: { experiment: 'mnist-dense', lr: 1e-3, tags: ['a', null] } });
    const before = tf.memory().numTensors;
    const loaded = await loadCheckpoint(dir, { like: { ps, st, optState } });
    expect(fingerprint(loaded.ps)).toEqual(fingerprint(ps));
    expect(fingerprint(loaded.st)).toEqual(fingerprint(st));
    expect(fingerprint(loaded.optState)).toEqual(fingerprint(optState));
    expect(Object.keys(loaded.st as object)).toEqual(Object.keys(st));
    expect((loaded.st as typeof st).rng).toBeInstanceOf(Xoshiro);
    expect((loaded.st as typeof st).rng.uniform()).toBe(st.rng.clone().uniform());
    expect(loaded.step).toBe(17);
    expect(loaded.config).toEqual({ experiment: 'mnist-dense', lr: 1e-3, tags: ['a', null] });
    expect(tf.memory().numTensors - before).toBe(treeTensors([ps, optState]).length);
    treeDispose([loaded, ps, optState]);
    // The manifest is readable JSON naming every tensor leaf with its path, dtype and shape.
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    expect(manifest.format).toBe('deqts-checkpoint');
    expect(manifest.version).toBe(1);
    expect(JSON.stringify(manifest.trees.ps)).toContain('"path":"ps.list.1.deep"');
    expect(manifest.trees.st.entries.find(([k]: [string]) => k === 'rng')[1]).toEqual({ kind: 'xoshiro', xoshiro: [...new Xoshiro(42).state()] });
  });

  it('resuming from a checkpoint continues bit-identically', async () => {
    const dir = join(root, `resume-${backend}`);
    const batches = [0, 1, 2, 3, 4, 5].map((i) => {
      const rng = new Xoshiro(100 + i);
      return { x: tf.tensor(rng.normalArray(16 * 4), [16, 4]), y: tf.tensor1d(Int32Array.from({ length: 16 }, () => rng.integer(3)), 'int32') };
    });
    const model = makeModel();
    const [ps, st] = setup(new Xoshiro(0), model);
    let ts = TrainState(model, ps, st, makeOptimizer());
    for (let i = 0; i < 3; i++) [, , , ts] = singleTrainStep(ts, lossFn, batches[i]);
    await saveCheckpoint(dir, { ps: ts.ps, st: ts.st, optState: ts.optState, step: ts.step, config: { seed: 0 } });
    for (let i = 3; i < 6; i++) [, , , ts] = singleTrainStep(ts, lossFn, batches[i]);
    const uninterrupted = fingerprint([ts.ps, ts.st, ts.optState, ts.step]);
    treeDispose([ts.ps, ts.st, ts.optState]);

    const [template, templateSt] = setup(new Xoshiro(99), model);
    const ck = await loadCheckpoint(dir, { like: { ps: template, st: templateSt } });
    treeDispose([template, templateSt]);
    let resumed = TrainState(model, ck.ps, ck.st, makeOptimizer(), { optState: ck.optState, step: ck.step });
    expect(resumed.step).toBe(3);
    for (let i = 3; i < 6; i++) [, , , resumed] = singleTrainStep(resumed, lossFn, batches[i]);
    expect(fingerprint([resumed.ps, resumed.st, resumed.optState, resumed.step])).toEqual(uninterrupted);
    treeDispose([resumed.ps, resumed.st, resumed.optState, batches]);
  });
});

it('a structure mismatch against the expected template names the first differing leaf', async () => {
  const dir = join(root, 'mismatch');
  const [ps, st] = setup(new Xoshiro(0), makeModel());
  await saveCheckpoint(dir, { ps, st });
  const other = Chain(Dense(4, 8, { activation: 'tanh' }), BatchNorm(8), Dropout(0.2), Dense(8, 5));
  const [ps2, st2] = setup(new Xoshiro(0), other);
  await expect(loadCheckpoint(dir, { like: { ps: ps2 } })).rejects.toThrow(CheckpointError);
  await expect(loadCheckpoint(dir, { like: { ps: ps2 } })).rejects.toThrow(/ps\.layer_4\.weight: shape \[3, 8\] in the checkpoint, \[5, 8\] expected/);
  const [ps3] = setup(new Xoshiro(0), Chain(Dense(4, 8), Dense(8, 3)));
  await expect(loadCheckpoint(dir, { like: { ps: ps3 } })).rejects.toThrow(/ps\.layer_2\.weight: missing from the checkpoint/);
  await expect(loadCheckpoint(dir, { like: { st: { ...st, layer_3: { ...st.layer_3, rng: 5 } } } })).rejects.toThrow(
    /st\.layer_3\.rng: the checkpoint has a xoshiro, expected a number/,
  );
  // A null template leaf (a value not computed yet) matches whatever was saved.
  const loaded = await loadCheckpoint(dir, { like: { st: { ...st, layer_3: { ...st.layer_3, rng: null } } } });
  treeDispose(loaded);
  const before = tf.memory().numTensors;
  await expect(loadCheckpoint(dir, { like: { ps: ps2 } })).rejects.toThrow();
  expect(tf.memory().numTensors).toBe(before);
  treeDispose([ps, st, ps2, st2, ps3]);
});

it('a corrupt, truncated or foreign checkpoint is a CheckpointError', async () => {
  const dir = join(root, 'corrupt');
  const ps = { w: tf.tensor1d([1, 2, 3]) };
  await saveCheckpoint(dir, { ps, st: {} });
  const bin = join(dir, 'tensors.bin');
  const bytes = readFileSync(bin);
  writeFileSync(bin, Buffer.from(bytes).fill(7, 0, 1));
  await expect(loadCheckpoint(dir)).rejects.toThrow(/does not match its SHA-256/);
  writeFileSync(bin, bytes.subarray(0, 5));
  await expect(loadCheckpoint(dir)).rejects.toThrow(/has 5 bytes, the manifest records 12/);
  writeFileSync(bin, bytes);
  const manifestPath = join(dir, 'manifest.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  writeFileSync(manifestPath, JSON.stringify({ ...manifest, version: 2 }));
  await expect(loadCheckpoint(dir)).rejects.toThrow(/format version 2/);
  writeFileSync(manifestPath, JSON.stringify({ ...manifest, trees: { ...manifest.trees, ps: { kind: 'tensor' } } }));
  await expect(loadCheckpoint(dir)).rejects.toThrow(/not a valid DEQ.ts checkpoint manifest: trees\.ps/);
  writeFileSync(manifestPath, '{ "format": ');
  await expect(loadCheckpoint(dir)).rejects.toThrow(/not valid JSON/);
  await expect(loadCheckpoint(join(root, 'nothing-here'))).rejects.toThrow(/no checkpoint at .*manifest\.json is missing/);
  ps.w.dispose();
});

it('saving is atomic: a failure leaves no partial folder and keeps the previous checkpoint', async () => {
  const parent = join(root, 'atomic');
  const dir = join(parent, 'ck');
  const entries = () => (existsSync(parent) ? readdirSync(parent) : []);
  // A leaf that cannot be stored fails before anything is written.
  await expect(saveCheckpoint(dir, { ps: { w: tf.ones([2]) }, st: { f: () => 1 } })).rejects.toThrow(/cannot store a function at st\.f/);
  expect(entries()).toEqual([]);
  const disposed = tf.ones([2]);
  disposed.dispose();
  await expect(saveCheckpoint(dir, { ps: { w: disposed }, st: {} })).rejects.toThrow(/tensor at ps\.w is disposed/);
  await expect(saveCheckpoint(dir, { ps: {}, st: {}, config: { when: new Date() } as never })).rejects.toThrow(/config\.when/);

  // A good checkpoint, then a save that dies half-way through writing tensors.bin (disk full).
  const good = { w: tf.tensor1d([1, 2, 3]) };
  await saveCheckpoint(dir, { ps: good, st: {}, step: 1 });
  const real = (await vi.importActual<typeof import('node:fs/promises')>('node:fs/promises')).open;
  vi.mocked(fsp.open).mockImplementationOnce((async (path: string, flags: string) => {
    const handle = await real(path, flags);
    return Object.assign(Object.create(handle), {
      writeFile: async (data: Uint8Array) => {
        await handle.writeFile(data.subarray(0, Math.floor(data.length / 2)));
        throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      },
      sync: () => handle.sync(),
      close: () => handle.close(),
    });
  }) as never);
  const big = { w: tf.ones([1000]) };
  await expect(saveCheckpoint(dir, { ps: big, st: {}, step: 2 })).rejects.toThrow(/writing .* failed \(ENOSPC/);
  expect(entries()).toEqual(['ck']);
  const kept = await loadCheckpoint(dir);
  expect(kept.step).toBe(1);
  expect(Array.from((kept.ps as typeof good).w.dataSync())).toEqual([1, 2, 3]);

  // The old checkpoint is moved aside, then the final rename fails: the old one is put back.
  const realRename = (await vi.importActual<typeof import('node:fs/promises')>('node:fs/promises')).rename;
  vi.mocked(fsp.rename)
    .mockImplementationOnce(realRename)
    .mockImplementationOnce(async () => {
      throw new Error('EXDEV: cross-device link');
    });
  await expect(saveCheckpoint(dir, { ps: big, st: {}, step: 3 })).rejects.toThrow(CheckpointError);
  expect(entries()).toEqual(['ck']);
  expect((await loadCheckpoint(dir)).step).toBe(1);

  // A successful overwrite replaces it and cleans up.
  await saveCheckpoint(dir, { ps: big, st: {}, step: 4 });
  expect(entries()).toEqual(['ck']);
  expect((await loadCheckpoint(dir)).step).toBe(4);

  // A folder that is not a checkpoint is never replaced.
  const notCheckpoint = join(parent, 'mine');
  await fsp.mkdir(notCheckpoint);
  writeFileSync(join(notCheckpoint, 'notes.txt'), 'keep me');
  await expect(saveCheckpoint(notCheckpoint, { ps: good, st: {} })).rejects.toThrow(/refusing to replace/);
  expect(readFileSync(join(notCheckpoint, 'notes.txt'), 'utf8')).toBe('keep me');
  treeDispose([good, big, kept]);
});
