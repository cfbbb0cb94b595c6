import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { linePlotSvg } from '../report/plot.js';
import type { ResolvedConfig } from './config.js';
import type { RunResult } from './train-one.js';

const fmt = (v: number, digits: number): string => (Number.isFinite(v) ? v.toFixed(digits) : String(v));

/** The results table, shaped like the paper's (params, test accuracy, test NFE, train time, predict time). */
export function resultsMarkdown(config: ResolvedConfig, rows: readonly RunResult[], backend: string): string {
  const lines = [
    `# ${config.experiment} (${config.profile} profile)`,
    '',
    `Backend ${backend}; solver ${config.solver}; tolerance ${config.tolerance}; ${config.epochs} epochs of ${config.trainSize} training images, batch ${config.batchSize}; test on ${config.testSize} images; seed ${config.seed}.`,
    '',
    '| Model | Jac. reg | Params | Test acc (%) | Testing NFE | Train time (min) | Predict (s/batch) |',
    '|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.name.replace(' + Jac. reg.', '')} | ${r.jacobian ? '✓' : '✗'} | ${r.parameters.toLocaleString('en-US')} | ${fmt(100 * r.testAccuracy, 3)} | ${fmt(r.testNfe, 3)} | ${fmt(r.trainMinutes, 3)} | ${fmt(r.predictSecondsPerBatch, 4)} |`,
    ),
    '',
  ];
  return lines.join('\n');
}

function atomicWrite(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** Writes results.md, results.json and the SVG plots into `dir`; returns the files written. */
export function writeReport(dir: string, config: ResolvedConfig, rows: readonly RunResult[], backend: string): string[] {
  mkdirSync(dir, { recursive: true });
  const files: Array<[string, string]> = [
    ['results.md', resultsMarkdown(config, rows, backend)],
    ['results.json', JSON.stringify({ config, backend, rows }, null, 2)],
  ];
  const perEpoch = (key: 'trainLoss' | 'testAccuracy' | 'testNfe' | 'trainNfe', scale = 1) =>
    rows.map((r) => ({ name: r.name, x: r.epochs.map((e) => e.epoch), y: r.epochs.map((e) => e[key] * scale) }));
  files.push(['training-loss.svg', linePlotSvg({ title: 'Training loss', xLabel: 'epoch', yLabel: 'loss', series: perEpoch('trainLoss') })]);
  files.push(['test-accuracy.svg', linePlotSvg({ title: 'Test accuracy', xLabel: 'epoch', yLabel: 'accuracy (%)', series: perEpoch('testAccuracy', 100) })]);
  files.push(['nfe.svg', linePlotSvg({ title: 'Function evaluations per batch (test)', xLabel: 'epoch', yLabel: 'NFE', series: perEpoch('testNfe') })]);
  const traced = rows.filter((r) => r.residualTrace.length > 0);
  if (traced.length > 0) {
    files.push([
      'residual-trace.svg',
      linePlotSvg({
        title: 'Residual of a test batch during the solve (max over samples)',
        xLabel: 'check',
        yLabel: '‖f(z) − z‖',
        logY: true,
        series: traced.map((r) => ({ name: r.name, y: r.residualTrace })),
      }),
    ]);
  }
  for (const [name, text] of files) atomicWrite(join(dir, name), text);
  return files.map(([name]) => join(dir, name));
}
