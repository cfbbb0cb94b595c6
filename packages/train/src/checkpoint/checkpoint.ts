import { createHash } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { DeqtsError, treeDispose } from '@deqts/core-layers';
import { CheckpointError } from '../errors.js';
import type { OptState } from '../optim/transform.js';
import {
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  MANIFEST_FILE,
  ManifestSchema,
  TENSORS_FILE,
  type JsonValue,
  type Manifest,
} from './manifest.js';
import { PayloadWriter, checkExtents, compareToTemplate, decodeTree, encodeTree } from './tree-codec.js';

/** What a checkpoint holds: parameters, states, optimizer state, step count and a config. */
export type Checkpoint<P = unknown, S = unknown> = {
  readonly ps: P;
  readonly st: S;
  readonly optState: OptState;
  readonly step: number;
  readonly config: JsonValue;
};

/** The record {@link saveCheckpoint} writes; `optState` (default null), `step` (0) and `config` (null) are optional. */
export type CheckpointInput<P = unknown, S = unknown> = {
  readonly ps: P;
  readonly st: S;
  readonly optState?: OptState;
  readonly step?: number;
  readonly config?: JsonValue;
};

function checkConfig(value: unknown, path: string): void {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new CheckpointError(`saveCheckpoint: ${path} is ${value}; the config must be plain JSON (finite numbers)`);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) => checkConfig(v, `${path}.${i}`));
    return;
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [k, v] of Object.entries(value)) checkConfig(v, `${path}.${k}`);
    return;
  }
  throw new CheckpointError(`saveCheckpoint: ${path} is ${value === undefined ? 'undefined' : `a ${typeof value}`}; the config must be plain JSON`);
}

async function writeDurably(path: string, data: Uint8Array | string): Promise<void> {
  const handle = await open(path, 'wx');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

function uniqueSuffix(): string {
  return `${process.pid}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e9).toString(36)}`;
}

/**
 * Saves a checkpoint to the folder `dir`: `tensors.bin` (every tensor and typed-array leaf, raw
 * little-endian bytes) and `manifest.json` (format, version, step, config, a SHA-256 of the tensor
 * file, and each tree's structure with every leaf's path, dtype, shape and byte range; numbers,
 * booleans, strings, null and Xoshiro generator states are stored in the manifest itself).
 *
 * The write is atomic: everything is encoded first, written to a temporary sibling folder, flushed
 * to disk, and then renamed to `dir` (an existing checkpoint there is replaced only after the new
 * one is complete). A failure leaves `dir` as it was and no temporary folder behind. An existing
 * `dir` that is not a checkpoint (non-empty, no manifest) is not overwritten.
 *
 * @example
 * ```ts
 * import { saveCheckpoint, loadCheckpoint } from '@deqts/train';
 * // after training: ts is a TrainState
 * // await saveCheckpoint('runs/mnist/step-1000', { ps: ts.ps, st: ts.st, optState: ts.optState, step: ts.step, config: { lr: 1e-3 } });
 * ```
 */
export async function saveCheckpoint<P, S>(dir: string, checkpoint: CheckpointInput<P, S>): Promise<void> {
  const target = resolve(dir);
  const step = checkpoint.step ?? 0;
  if (!Number.isInteger(step) || step < 0) throw new CheckpointError(`saveCheckpoint: 'step' must be a non-negative integer, got ${step}`);
  const config = checkpoint.config ?? null;
  checkConfig(config, 'config');

  // Encode everything before touching the disk, so a bad leaf cannot leave partial files.
  const payload = new PayloadWriter();
  const trees = {
    ps: await encodeTree(checkpoint.ps, 'ps', payload),
    st: await encodeTree(checkpoint.st, 'st', payload),
    optState: await encodeTree(checkpoint.optState ?? null, 'optState', payload),
  };
  const bytes = payload.bytes();
  const manifest: Manifest = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    createdAt: new Date().toISOString(),
    backend: tf.getBackend() ?? 'unknown',
    step,
    config,
    tensors: { file: TENSORS_FILE, byteLength: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex') },
    trees,
  };

  if (await exists(target)) {
    const entries = await readdir(target).catch(() => {
      throw new CheckpointError(`saveCheckpoint: ${target} exists and is not a folder`);
    });
    if (entries.length > 0 && !entries.includes(MANIFEST_FILE)) {
      throw new CheckpointError(`saveCheckpoint: ${target} exists, is not empty and holds no ${MANIFEST_FILE}; refusing to replace a folder that is not a checkpoint`);
    }
  }
  const parent = dirname(target);
  await mkdir(parent, { recursive: true });
  const temporary = join(parent, `.${basename(target)}.tmp-${uniqueSuffix()}`);
  const previous = join(parent, `.${basename(target)}.old-${uniqueSuffix()}`);
  let movedPrevious = false;
  try {
    await mkdir(temporary);
    await writeDurably(join(temporary, TENSORS_FILE), bytes);
    await writeDurably(join(temporary, MANIFEST_FILE), `${JSON.stringify(manifest, null, 1)}\n`);
    if (await exists(target)) {
      await rename(target, previous);
      movedPrevious = true;
    }
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { recursive: true, force: true }).catch(() => undefined);
    if (movedPrevious && !(await exists(target))) await rename(previous, target).catch(() => undefined);
    if (error instanceof DeqtsError) throw error;
    throw new CheckpointError(`saveCheckpoint: writing ${target} failed (${(error as Error).message}); the previous contents of ${target}, if any, are unchanged`);
  }
  if (movedPrevious) await rm(previous, { recursive: true, force: true });
}

/** Options of {@link loadCheckpoint}. */
export type LoadCheckpointOptions<P, S> = {
  /**
   * Expected trees (e.g. freshly `setup` parameters and states of the model, and
   * `optimizer.init(ps)`): the saved trees must have the same structure, leaf kinds, tensor dtypes
   * and shapes, else a {@link CheckpointError} names the first differing leaf. Only the given
   * trees are checked. A `null` leaf in a template matches anything (so a fresh state whose DEQ
   * `solution` fields are still null can serve as the template of a saved, used state).
   */
  readonly like?: { readonly ps?: P; readonly st?: S; readonly optState?: OptState };
};

function formatIssues(error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }): string {
  const first = error.issues[0];
  return `${first.path.map(String).join('.') || '(root)'}: ${first.message}${error.issues.length > 1 ? ` (and ${error.issues.length - 1} more)` : ''}`;
}

/**
 * Loads a checkpoint written by {@link saveCheckpoint}. The manifest is validated (format,
 * version, tree descriptions), the tensor file's size and SHA-256 are checked, every leaf's byte
 * range is checked, and with `like` the trees are compared with the expected templates; any
 * problem is a {@link CheckpointError} that names the file or the first differing leaf path (e.g.
 * `ps.layer_2.weight: shape [10, 64] in the checkpoint, [10, 128] expected`). No tensor is created
 * before all checks pass. Tensors in the result are new and owned by the caller; Xoshiro states
 * come back as `Xoshiro` generators. Training resumed from a checkpoint continues bit-identically
 * on the same backend.
 *
 * @example
 * ```ts
 * import { loadCheckpoint, TrainState, adam } from '@deqts/train';
 * // const [ps0, st0] = setup(new Xoshiro(0), model);
 * // const ck = await loadCheckpoint('runs/mnist/step-1000', { like: { ps: ps0, st: st0 } });
 * // const ts = TrainState(model, ck.ps, ck.st, adam({ learningRate: 1e-3 }), { optState: ck.optState, step: ck.step });
 * ```
 */
export async function loadCheckpoint<P = unknown, S = unknown>(dir: string, options: LoadCheckpointOptions<P, S> = {}): Promise<Checkpoint<P, S>> {
  const target = resolve(dir);
  const manifestPath = join(target, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(manifestPath, 'utf8');
  } catch {
    throw new CheckpointError(`loadCheckpoint: no checkpoint at ${target} (${MANIFEST_FILE} is missing)`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new CheckpointError(`loadCheckpoint: ${manifestPath} is not valid JSON (${(error as Error).message})`);
  }
  if (raw && typeof raw === 'object' && 'format' in raw && (raw as { format: unknown }).format === CHECKPOINT_FORMAT && 'version' in raw) {
    const version = (raw as { version: unknown }).version;
    if (version !== CHECKPOINT_VERSION) {
      throw new CheckpointError(`loadCheckpoint: ${manifestPath} has format version ${String(version)}; this version of @deqts/train reads version ${CHECKPOINT_VERSION}`);
    }
  }
  const parsed = ManifestSchema.safeParse(raw);
  if (!parsed.success) throw new CheckpointError(`loadCheckpoint: ${manifestPath} is not a valid DEQ.ts checkpoint manifest: ${formatIssues(parsed.error)}`);
  const manifest = parsed.data;

  const tensorsPath = join(target, manifest.tensors.file);
  let payload: Uint8Array;
  try {
    payload = await readFile(tensorsPath);
  } catch {
    throw new CheckpointError(`loadCheckpoint: ${tensorsPath} is missing`);
  }
  if (payload.byteLength !== manifest.tensors.byteLength) {
    throw new CheckpointError(`loadCheckpoint: ${tensorsPath} has ${payload.byteLength} bytes, the manifest records ${manifest.tensors.byteLength}; the checkpoint is truncated or corrupt`);
  }
  const digest = createHash('sha256').update(payload).digest('hex');
  if (digest !== manifest.tensors.sha256) throw new CheckpointError(`loadCheckpoint: ${tensorsPath} does not match its SHA-256 in the manifest; the checkpoint is corrupt`);

  const names = ['ps', 'st', 'optState'] as const;
  for (const name of names) checkExtents(manifest.trees[name], payload);
  const like = options.like ?? {};
  for (const name of names) {
    if (like[name] === undefined) continue;
    const difference = compareToTemplate(manifest.trees[name], like[name], name);
    if (difference) throw new CheckpointError(`loadCheckpoint: ${target} does not match the expected ${name}: ${difference}`);
  }
  const decoded: Partial<Record<(typeof names)[number], unknown>> = {};
  try {
    for (const name of names) decoded[name] = decodeTree(manifest.trees[name], payload);
  } catch (error) {
    treeDispose(Object.values(decoded));
    throw error;
  }
  return {
    ps: decoded.ps as P,
    st: decoded.st as S,
    optState: decoded.optState as OptState,
    step: manifest.step,
    config: manifest.config as JsonValue,
  };
}
