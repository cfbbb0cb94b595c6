import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { resolveConfig } from '../../packages/train/src/experiments/config.js';
import { runExperiment } from '../../packages/train/src/experiments/run-experiment.js';

it('the experiment runner trains a Skip Reg DEQ on MNIST, learns, and writes the table and plots', async () => {
  const out = mkdtempSync(join(tmpdir(), 'deqts-run-'));
  const config = {
    ...resolveConfig({ experiment: 'mnist-dense', profile: 'quick', seed: 1, backend: 'wasm', out }),
    variants: ['skipreg'] as const,
    jacobian: [false],
    epochs: 1,
    trainSize: 1280,
    testSize: 500,
  };
  const before = tf.memory().numTensors;
  const { rows, files } = await runExperiment(config);
  expect(tf.memory().numTensors).toBe(before); // nothing leaked over a full epoch and its evaluation
  expect(rows).toHaveLength(1);
  // 20 steps of batch 64 (Adam 1e-3) on a DEQ: a stated bar well above chance (10 %)
  expect(rows[0].testAccuracy).toBeGreaterThan(0.6);
  expect(rows[0].testNfe).toBeGreaterThan(0);
  for (const name of ['results.md', 'results.json', 'training-loss.svg', 'test-accuracy.svg', 'nfe.svg', 'residual-trace.svg']) {
    expect(files).toContain(join(out, name));
    expect(existsSync(join(out, name))).toBe(true);
  }
  const table = readFileSync(join(out, 'results.md'), 'utf8');
  expect(table).toMatch(/\| Model \| Jac\. reg \| Params \| Test acc \(%\) \| Testing NFE \| Train time \(min\) \| Predict \(s\/batch\) \|/);
  expect(table).toMatch(/\| Skip Reg\. DEQ \| ✗ \| 134,538 \|/);
  expect(readFileSync(join(out, 'residual-trace.svg'), 'utf8')).toMatch(/^<svg/);
});
