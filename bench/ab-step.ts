/**
 * A/B timing of one training step (forward solve + backward) of a bench config, for measuring an
 * optimisation in the same process on a noisy machine: trains `--warm` batches first (so the
 * solver runs in a realistic regime), then times `computeGradients` on the same `--batches` fixed
 * batches with the same parameters, alternating the variants (ABAB…) `--reps` times, and prints
 * the median per variant and the ratio, for wall time and for this process's CPU time (steadier
 * when other jobs share the cores).
 *
 *   tsx bench/ab-step.ts --config A --switch tapeReplay --reps 8
 *   tsx bench/ab-step.ts --config A --switch lazyBest --kernels  # kernel counts and times of a step, off and on
 *   tsx bench/ab-step.ts --config C --switch fusedAdam --optimizer  # whole steps, optimizer included
 *
 * `--switch replay` compares plain steps with replayed ones (`--replay` alone replays in both);
 * `--replay --switch replayUpdate` the optimizer step plain vs replayed.
 * `--switch name` flips one of the internal performance switches (packages/deq/src/switches.ts,
 * packages/solvers/src/internal/switches.ts, packages/train/src/optim/switches.ts, and
 * `gemmFma`, the wasm matrix product's fused multiply-add, `sparseGemm`, its zero-skipping
 * path, `zeroOperands`, that path for all-zero small operands, `replayFreeEarly`, replayed
 * outputs freed after their last reader, `replayFuse`, products fused with their Add (each
 * variant gets its own loss function, so its own program), and `wasmBinary`, the SIMD
 * Add/Sub/Multiply); 'none'
 * times the same code twice (noise floor).
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, setup, wasmGemmOptions, trainmode, treeDispose, updateState, Xoshiro, type AnyLayer, type Params, type States } from '@deqts/core-layers';
import { adam, applyGradients, batches, computeGradients, crossEntropy, loadMnist, singleTrainStep, TrainState, type Batch } from '@deqts/train';
import { deqSwitches } from '../packages/deq/src/switches.js';
import { solverSwitches } from '../packages/solvers/src/internal/switches.js';
import { optimSwitches } from '../packages/train/src/optim/switches.js';
import { observeAdjoint } from '../packages/deq/src/adjoint.js';
import { sparseGemmSettings } from '../packages/core-layers/src/engine/fixes/wasm-sparse-gemm.js';
import { binaryKernelSettings } from '../packages/core-layers/src/engine/fixes/wasm-binary.js';
import { replaySettings } from '../packages/core-layers/src/engine/replay/replay-program.js';
import { build, type ConfigName } from './lib/configs.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const config = flag('config', 'A');
const warm = Number(flag('warm', '20'));
const reps = Number(flag('reps', '8'));
const nBatches = Number(flag('batches', '3'));
const switchName = flag('switch', 'none');
const kernels = args.includes('--kernels');
/** Time whole training steps (gradients and the Adam update) instead of the gradients alone. */
const withOptimizer = args.includes('--optimizer');

/** Engine settings flipped by `--switch name`: the settings object and its boolean field. */
const engineSettings: Record<string, [Record<string, unknown>, string]> = {
  /** wasm matrix product: leave out the steps that add only zeros of a mostly-zero operand (MNIST's pixels). */
  sparseGemm: [sparseGemmSettings, 'enabled'],
  /** wasm matrix product: skip every step of a product with an all-zero smaller operand (z₀ = 0). */
  zeroOperands: [sparseGemmSettings, 'zeroOperands'],
  /** replayed programs free each kernel output after its last reader (off: after the whole program). */
  replayFreeEarly: [replaySettings, 'freeEarly'],
  /** replayed programs fuse a product with the Add that is its only reader (read when a program is built). */
  replayFuse: [replaySettings, 'fuseProductAdd'],
  /** wasm Add/Sub/Multiply of equal shapes or a repeated row on DEQ.ts's SIMD kernel (off: the stock kernels). */
  wasmBinary: [binaryKernelSettings, 'enabled'],
};
/** `--switch replay`: replay the step's recorded kernels (computeGradients' `replay` option). */
let replay = args.includes('--replay');
/** `--switch replayUpdate`: the optimizer step replayed too (applyGradients' `replay`), gradients as `--replay` says. */
let replayUpdate = replay;
const switches: Record<string, boolean> = { ...deqSwitches, ...solverSwitches, ...optimSwitches, ...Object.fromEntries(Object.keys(engineSettings).map((k) => [k, true])), gemmFma: true, replay: true, replayUpdate: true };
if (switchName !== 'none' && !(switchName in switches)) throw new Error(`unknown switch '${switchName}'; known: ${Object.keys(switches).join(', ')}`);
const setSwitch = (on: boolean): void => {
  if (switchName in deqSwitches) (deqSwitches as Record<string, boolean>)[switchName] = on;
  if (switchName in solverSwitches) (solverSwitches as Record<string, boolean>)[switchName] = on;
  if (switchName in optimSwitches) (optimSwitches as Record<string, boolean>)[switchName] = on;
  // the wasm matrix product's relaxed-SIMD fused multiply-add (off: SIMD128 multiply then add)
  if (switchName === 'gemmFma') wasmGemmOptions.multiplyAdd = on ? 'auto' : 'simd128';
  if (switchName in engineSettings) {
    const [settings, field] = engineSettings[switchName];
    settings[field] = on;
  }
  if (switchName === 'replayFuse') variantLoss = variantLossFns[on ? 'on' : 'off'];
  if (switchName === 'replay') replay = replayUpdate = on;
  if (switchName === 'replayUpdate') replayUpdate = on;
};

if (!['A', 'B', 'C', 'D', 'E'].includes(config)) throw new Error(`--config must be A, B, C, D or E, got '${config}'`);
const { model } = build(config as ConfigName);

await initBackend('wasm');
const data = loadMnist();
const rng = new Xoshiro(0);
const [ps0, st0] = setup(rng.split(), model);
let st = trainmode(st0) as States;
if (config === 'E') st = updateState(st, 'fixedDepth', 5);
let ts = TrainState(model, ps0 as Params, st, adam({ learningRate: 1e-3 }));
const makeLossFn = () => (m: AnyLayer, p: Params, s: States, batch: Batch) => {
  const [logits, newSt] = m(batch.x, p, s) as readonly [tf.Tensor, States];
  return [crossEntropy(logits, batch.y), newSt, {}] as const;
};
const lossFn = makeLossFn();
/** A replayed program keeps the setting it was built with: `replayFuse` gives each variant its own loss function, so its own program. */
const variantLossFns = { off: makeLossFn(), on: makeLossFn() };
let variantLoss = lossFn;
const fixed: Batch[] = [];
let n = 0;
for (const batch of batches(data.train, { batchSize: 128, shuffle: true, rng })) {
  if (n < warm) {
    ts = singleTrainStep(ts, lossFn, batch)[3];
    treeDispose(batch);
  } else if (fixed.length < nBatches) fixed.push(batch);
  else {
    treeDispose(batch);
    break;
  }
  n++;
}

let vjps = 0;
let adjointMs = 0;
observeAdjoint((s) => {
  vjps += s.iterations;
  adjointMs += s.milliseconds;
  if (process.env.AB_TRACE) console.log(`adjoint: ${s.iterations} VJPs, relative residual ${s.residualNorm.toExponential(2)}`);
});
let lastCpuMs = 0;
/** One pass over the fixed batches: wall ms per step; `lastCpuMs` gets this process's CPU ms per step. */
const step = (): number => {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (const b of fixed) {
    if (withOptimizer) {
      const [grads, , , withStates] = computeGradients(ts, variantLoss, b, { replay });
      ts = applyGradients(withStates, grads, { replay: replayUpdate });
      treeDispose(grads);
      continue;
    }
    const [grads, , , next] = computeGradients(ts, variantLoss, b, { replay });
    treeDispose(grads);
    ts = next;
  }
  const c = process.cpuUsage(c0);
  lastCpuMs = (c.user + c.system) / 1000 / fixed.length;
  return (performance.now() - t0) / fixed.length;
};

if (kernels) {
  // Kernel counts are deterministic: a noise-free measure of the op work a switch removes.
  for (const v of switchName === 'none' ? (['on'] as const) : (['off', 'on'] as const)) {
    setSwitch(v === 'on');
    const counts = new Map<string, { n: number; ms: number }>();
    step();
    const info = await tf.profile(() => {
      step();
      return tf.scalar(0);
    });
    for (const k of info.kernels) {
      const key = process.env.AB_SHAPES && (k.name === 'BatchMatMul' || process.env.AB_SHAPES === 'all') ? `${k.name} ${JSON.stringify(k.inputShapes)}` : k.name;
      const c = counts.get(key) ?? { n: 0, ms: 0 };
      c.n++;
      c.ms += Number(await k.kernelTimeMs);
      counts.set(key, c);
    }
    const rows = [...counts.entries()].sort((a, b) => b[1].ms - a[1].ms);
    console.log(JSON.stringify({ config, switch: switchName, variant: v, batches: fixed.length, kernels_per_step: info.kernels.length / fixed.length }));
    for (const [name, c] of rows) console.log(`${name.padEnd(process.env.AB_SHAPES ? 40 : 24)} ${String(+(c.n / fixed.length).toFixed(1)).padStart(7)} calls ${(c.ms / fixed.length).toFixed(2).padStart(8)} ms`);
  }
} else {
  const times: Record<'off' | 'on', number[]> = { off: [], on: [] };
  const adjoint: Record<'off' | 'on', number[]> = { off: [], on: [] };
  const cpu: Record<'off' | 'on', number[]> = { off: [], on: [] };
  const vjpCounts: Record<'off' | 'on', number[]> = { off: [], on: [] };
  const memory: number[] = [];
  for (let r = 0; r < reps + 1; r++) {
    for (const v of r % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
      setSwitch(v === 'on');
      vjps = 0;
      adjointMs = 0;
      const ms = step();
      if (r > 0) {
        // the first round warms both paths
        times[v].push(ms);
        cpu[v].push(lastCpuMs);
        adjoint[v].push(adjointMs / fixed.length);
        vjpCounts[v].push(vjps / fixed.length);
      }
      memory.push(tf.memory().numTensors);
    }
  }
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  const off = median(times.off);
  const on = median(times.on);
  console.log(
    JSON.stringify({
      config, switch: switchName, reps, batches: fixed.length,
      off_ms: +off.toFixed(1), on_ms: +on.toFixed(1), speedup: +(off / on).toFixed(3),
      min_ms: { off: +Math.min(...times.off).toFixed(1), on: +Math.min(...times.on).toFixed(1), speedup: +(Math.min(...times.off) / Math.min(...times.on)).toFixed(3) },
      cpu_ms: { off: +median(cpu.off).toFixed(1), on: +median(cpu.on).toFixed(1), speedup: +(median(cpu.off) / median(cpu.on)).toFixed(3) },
      adjoint_ms: { off: +median(adjoint.off).toFixed(1), on: +median(adjoint.on).toFixed(1) },
      vjps: { off: +median(vjpCounts.off).toFixed(1), on: +median(vjpCounts.on).toFixed(1) },
      off_all: times.off.map((t) => +t.toFixed(0)), on_all: times.on.map((t) => +t.toFixed(0)),
      tensors_first_last: [memory[0], memory[memory.length - 1]],
    }),
  );
}
