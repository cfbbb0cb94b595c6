/**
 * DEQ training benchmark: configs A–E of shared/FACTS.md ("The reference to beat", TorchDEQ 0.1 on
 * the same 2-core machine) with DEQ.ts on the wasm backend. One MNIST epoch (60k, batch 128,
 * Adam 1e-3, inputs in [0, 1]) then the 10k test set; one JSON line per config.
 *
 *   pnpm bench                          # every config, full epoch (D takes long)
 *   pnpm bench --batches 50             # 50 training batches, per-epoch time extrapolated,
 *                                       # test on a proportional subset
 *   pnpm bench --configs A,C --batches 50 --profile
 *   pnpm bench --configs D --batches 100 --adjoint fixedPoint   # implicit backward by fixed-point iteration
 *
 * Model A: u = Linear(784,128)(x); f(z) = tanh(W z + u), W 128×128 without bias; z0 = 0;
 * head Linear(128,10); cross-entropy. Every Linear/Conv is initialised as PyTorch's (and so the
 * TorchDEQ reference's) default, U(±1/√fan_in), not DEQ.ts's Lux-style default
 * (bench/lib/configs.ts). Solver: relative residual ‖f(z) − z‖ ≤ 1e-3·‖f(z)‖ (TorchDEQ's 'rel'),
 * at most 30 iterations.
 *   A  Anderson forward + implicit backward
 *   B  Broyden forward + implicit backward
 *   C  Anderson forward + 1-step Jacobian-free backward (gradient: 'jfb')
 *   E  explicit: 5 unrolled steps, backprop through all (fixedDepth = 5)
 *   D  conv DEQ: u = Conv 1→16 3×3 pad 1 (x); f(z) = tanh(GroupNorm(16, 4 groups)(Conv 16→16 3×3
 *      pad 1 (z)) + u); head AdaptiveMeanPool 4×4 → Dense(256, 10); Anderson + implicit.
 *
 * Steps run with `singleTrainStep(…, { replay: true })`: a config whose kernel sequence does not
 * depend on the data (E) has its recorded gradient kernels replayed from the third step on; the
 * solver configs read their residuals and run normally; Adam's update replays on wasm in every
 * config (the JSON's `replay` says what happened, for the gradients and the update).
 * `--no-replay` runs every step plainly.
 *
 * `--profile` adds the split of a training step into forward solve, adjoint (implicit backward)
 * and the rest, measured on the last batches. `calibration_ms` times a fixed reference workload
 * before and after each config: this machine's speed drifts by over 1.5× during a day.
 */
import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, setup, testmode, tidy, trainmode, updateState, Xoshiro, type AnyLayer, type Params, type States } from '@deqts/core-layers';
import { adam, batches, crossEntropy, findSolutions, gradientReplayReport, updateReplayReport, loadMnist, ProgressBar, singleTrainStep, subset, TrainState, type Batch } from '@deqts/train';
import { observeAdjoint } from '../packages/deq/src/adjoint.js';
import { build, type AdjointMethod, type ConfigName } from './lib/configs.js';
import { calibrationMs } from './lib/calibration.js';

const ALL: readonly ConfigName[] = ['A', 'B', 'C', 'E', 'D'];

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return undefined;
  const a = args[i];
  return a.includes('=') ? a.slice(a.indexOf('=') + 1) : args[i + 1];
};
const batchLimit = flag('batches') ? Number(flag('batches')) : Infinity;
const configs = (flag('configs')?.split(',').map((c) => c.trim().toUpperCase()) ?? ALL) as ConfigName[];
const profile = args.includes('--profile');
const seed = Number(flag('seed') ?? 0);
const replay = !args.includes('--no-replay');
/** The implicit backward's solver (A, B, D): 'gmres' (default) or 'fixedPoint'. */
const adjointMethod = (flag('adjoint') ?? 'gmres') as AdjointMethod;
if (adjointMethod !== 'gmres' && adjointMethod !== 'fixedPoint') throw new Error(`--adjoint must be gmres or fixedPoint, got '${adjointMethod}'`);
const BATCH = 128;

for (const c of configs) if (!ALL.includes(c)) throw new Error(`unknown config '${c}' (use A, B, C, D, E)`);
if (!(batchLimit > 0)) throw new Error('--batches must be a positive number');


/** Mean per-sample solver iterations and the batch's function evaluations of the DEQ. */
function solveStats(st: States): { iterations: number; nfe: number } {
  const [sol] = findSolutions(st);
  if (!sol) return { iterations: 0, nfe: 0 };
  const per = sol.original?.perSample?.iterations;
  const iterations = per && per.length > 0 ? Array.from(per).reduce((a, b) => a + b, 0) / per.length : (sol.original?.iterations ?? sol.nfe);
  return { iterations, nfe: sol.nfe };
}

let adjointIterations = 0;
let adjointCalls = 0;
let adjointMs = 0;
observeAdjoint((s) => {
  adjointIterations += s.iterations;
  adjointCalls += 1;
  adjointMs += s.milliseconds;
});

const accuracyOf = (logits: tf.Tensor, labels: tf.Tensor): number =>
  tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(logits, -1), tf.cast(labels, 'int32')), 'float32')).dataSync()[0]);

async function main(): Promise<void> {
  const backend = await initBackend('wasm');
  calibrationMs(); // warm-up: the first run compiles the kernels and the JIT's code paths
  const data = loadMnist();
  for (const c of configs) {
    const { model, fixedDepth } = build(c, adjointMethod);
    const rng = new Xoshiro(seed);
    const [ps0, st0] = setup(rng.split(), model);
    let st = trainmode(st0) as States;
    if (fixedDepth > 0) st = updateState(st, 'fixedDepth', fixedDepth);
    let ts = TrainState(model, ps0 as Params, st, adam({ learningRate: 1e-3 }));
    const epochBatches = Math.ceil(data.train.size / BATCH);
    const nTrain = Math.min(epochBatches, batchLimit);
    let fwdIt = 0;
    let fwdNfe = 0;
    let solveMs = 0;
    // (on replayed steps this does not run: the solver statistics are read from the new states)
    const lossFn = (m: AnyLayer, p: Params, s: States, batch: Batch) => {
      const t0 = performance.now();
      const [logits, newSt] = m(batch.x, p, s) as readonly [tf.Tensor, States];
      solveMs += performance.now() - t0;
      const result: readonly [tf.Tensor, States, Record<string, number>] = [crossEntropy(logits, batch.y), newSt, {}];
      return result;
    };
    adjointIterations = 0;
    adjointCalls = 0;
    adjointMs = 0;
    const calibrationBefore = calibrationMs();
    const bar = new ProgressBar({ total: nTrain, label: `config ${c} train`, unit: 'batch' });
    let lossSum = 0;
    let n = 0;
    let peakRss = process.memoryUsage().rss;
    const trainStart = performance.now();
    const trainCpu = process.cpuUsage();
    for (const batch of batches(data.train, { batchSize: BATCH, shuffle: true, rng, autoDispose: true })) {
      if (n >= nTrain) break;
      const [, loss, , next] = singleTrainStep(ts, lossFn, batch, { replay });
      ts = next;
      const stats = solveStats(ts.st);
      fwdIt += stats.iterations;
      fwdNfe += stats.nfe;
      lossSum += loss;
      n++;
      if (n % 10 === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
      bar.tick(1, { loss: lossSum / n, fwd: fwdIt / n });
    }
    const trainSeconds = (performance.now() - trainStart) / 1000;
    const cpu = process.cpuUsage(trainCpu);
    const trainCpuSeconds = (cpu.user + cpu.system) / 1e6;
    bar.finish({ loss: lossSum / n });
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    const trainAdjointIterations = adjointCalls > 0 ? adjointIterations / adjointCalls : 0;
    const trainAdjointMs = adjointMs;

    const testSize = Number.isFinite(batchLimit) ? Math.min(data.test.size, Math.max(BATCH, Math.round((data.test.size * nTrain) / epochBatches))) : data.test.size;
    const test = testSize < data.test.size ? subset(data.test, testSize) : data.test;
    const stTest = testmode(ts.st) as States;
    let correct = 0;
    let testIt = 0;
    let testBatches = 0;
    const testStart = performance.now();
    const testBar = new ProgressBar({ total: Math.ceil(test.size / BATCH), label: `config ${c} test`, unit: 'batch' });
    for (const batch of batches(test, { batchSize: BATCH, autoDispose: true })) {
      tidy(() => {
        const [logits, s] = model(batch.x, ts.ps, stTest) as readonly [tf.Tensor, States];
        correct += accuracyOf(logits, batch.y);
        testIt += solveStats(s).iterations;
      });
      testBatches++;
      testBar.tick(1);
    }
    testBar.finish();
    const testSeconds = (performance.now() - testStart) / 1000;
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    const record: Record<string, unknown> = {
      config: c,
      backend,
      adjoint: c === 'C' || c === 'E' ? 'none' : adjointMethod,
      train_batches: n,
      train_s_per_epoch: +((trainSeconds / n) * epochBatches).toFixed(2),
      s_per_batch: +(trainSeconds / n).toFixed(4),
      // CPU seconds of this process per batch: the engine is single-threaded, so on a machine
      // shared with other jobs this approximates the wall time the batch would take alone.
      cpu_s_per_batch: +(trainCpuSeconds / n).toFixed(4),
      load_avg_1m: +loadavg()[0].toFixed(2),
      // The reference workload (bench/lib/calibration.ts) before training and after testing: the
      // machine's speed while this config ran. Compare configs and runs only at similar values.
      calibration_ms: [calibrationBefore, calibrationMs()],
      extrapolated: n < epochBatches,
      train_loss: +(lossSum / n).toFixed(4),
      test_samples: test.size,
      test_accuracy: +((100 * correct) / test.size).toFixed(2),
      test_s_per_batch: +(testSeconds / testBatches).toFixed(4),
      fwd_iterations_train: +(fwdIt / n).toFixed(2),
      fwd_nfe_train: +(fwdNfe / n).toFixed(2),
      fwd_iterations_test: +(testIt / testBatches).toFixed(2),
      bwd_iterations: +trainAdjointIterations.toFixed(2),
      peak_rss_mb: Math.round(peakRss / 2 ** 20),
      replay: replay ? { gradients: gradientReplayReport(lossFn, model), update: updateReplayReport(ts.optimizer) } : 'off',
    };
    if (profile) {
      record.profile_ms_per_batch = {
        // the model's forward pass as the loss function saw it (not run on replayed steps)
        forward_pass: +(solveMs / n).toFixed(1),
        adjoint: +(trainAdjointMs / n).toFixed(1),
        rest_of_step: +(((trainSeconds * 1000) - solveMs - trainAdjointMs) / n).toFixed(1),
      };
    }
    console.log(JSON.stringify(record));
    ts = null as unknown as typeof ts;
  }
}

await main();
