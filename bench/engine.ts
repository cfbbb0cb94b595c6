/**
 * Engine benchmark: forward and forward+backward GFLOP/s of a matmul (128x1024 · 1024x1024) and a
 * 3x3 convolution ([32,28,28,32] → 32 channels, 'same') on the wasm and cpu backends, with
 * DEQ.ts's engine fixes, plus the stock wasm figures measured in the same run (the kernels tfjs
 * registered before the fixes replaced them). Prints one JSON object per line; the last line is
 * the acceptance check (wasm matmul fwd+bwd ≥ 10x the stock 1.0 GFLOP/s of shared/FACTS.md).
 *
 *   pnpm bench:engine            # full run (a few minutes; cpu is ~40x slower than wasm)
 *   pnpm bench:engine --quick    # fewer repetitions (about a minute)
 *   pnpm bench:engine --backends=wasm
 */
import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@deqts/core-layers';
import { originalKernel } from '../packages/core-layers/src/engine/fixes/registry.js';
import { gflops, timeRuns, type Timing } from './lib/timing.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const backendsArg = args.find((a) => a.startsWith('--backends='));
const backends = backendsArg ? backendsArg.slice('--backends='.length).split(',') : ['wasm', 'cpu'];
/** Repetitions per backend: cpu is slow, so it gets fewer. */
const reps = { wasm: quick ? 5 : 15, cpu: quick ? 1 : 3 } as Record<string, number>;

/** The stock figure from shared/FACTS.md the acceptance check compares against. */
const FACTS_STOCK_WASM_MATMUL_FWD_BWD = 1.0;

function emit(record: Record<string, unknown>): void {
  console.log(JSON.stringify(record));
}

type Rates = { median: number; best: number };

/** Prints one result line: median and fastest time, and the GFLOP/s of each. */
function report(bench: string, backend: string, variant: string, pass: string, shape: string, flops: number, t: Timing): Rates {
  const rates = { median: gflops(flops, t.medianMs), best: gflops(flops, t.minMs) };
  emit({
    bench,
    backend,
    variant,
    pass,
    shape,
    median_ms: +t.medianMs.toFixed(3),
    min_ms: +t.minMs.toFixed(3),
    gflops: +rates.median.toFixed(2),
    gflops_best: +rates.best.toFixed(2),
    reps: t.reps,
  });
  return rates;
}

/** Runs a kernel as tfjs registered it before DEQ.ts replaced it (wasm only). */
function runOriginal(kernelName: string, inputs: tf.NamedTensorMap, attrs: Record<string, unknown>): tf.Tensor {
  const kernel = originalKernel(kernelName, tf.getBackend());
  if (!kernel) throw new Error(`no original ${kernelName} kernel recorded for ${tf.getBackend()}`);
  const out = kernel.kernelFunc({ inputs, attrs: attrs as tf.NamedAttrMap, backend: tf.backend() }) as tf.TensorInfo;
  return tf.engine().makeTensorFromTensorInfo(out);
}

const results: Record<string, Rates> = {};
// The machines are shared: the load average says how much other work competed with this run.
emit({ bench: 'engine', quick, backends, load_avg_1m: +loadavg()[0].toFixed(2), node: process.version, tfjs: tf.version_core });

for (const backend of backends) {
  await initBackend(backend as 'wasm' | 'cpu');
  const n = reps[backend] ?? 3;
  const warmup = backend === 'cpu' ? (quick ? 0 : 1) : 2;

  // Matmul: a [128, 1024] · w [1024, 1024]; Dense's layout is x · Wᵀ with W [out, in].
  const [b, k, m] = [128, 1024, 1024];
  const mmShape = `${b}x${k}·${k}x${m}`;
  const mmFlops = 2 * b * k * m;
  const a = tf.randomNormal([b, k], 0, 1, 'float32', 1);
  const w = tf.randomNormal([k, m], 0, 1, 'float32', 2);
  const mmGrad = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.matMul(x, y)));
  report('matmul', backend, 'deqts', 'fwd', mmShape, mmFlops, timeRuns(() => [tf.matMul(a, w)], n, warmup));
  report('matmul', backend, 'deqts', 'fwd x·Wᵀ (Dense)', mmShape, mmFlops, timeRuns(() => [tf.matMul(a, w, false, true)], n, warmup));
  results[`matmul-${backend}-fwdbwd`] = report('matmul', backend, 'deqts', 'fwd+bwd', mmShape, 3 * mmFlops, timeRuns(() => mmGrad([a, w]), n, warmup));
  if (backend === 'wasm') {
    // The stock path: the original kernel with the transpose flags tfjs's own gradient passes.
    const stock = (): tf.Tensor[] => {
      const y = runOriginal('BatchMatMul', { a, b: w }, { transposeA: false, transposeB: false });
      const dy = tf.onesLike(y);
      const out = [
        runOriginal('BatchMatMul', { a: dy, b: w }, { transposeA: false, transposeB: true }),
        runOriginal('BatchMatMul', { a, b: dy }, { transposeA: true, transposeB: false }),
      ];
      tf.dispose([y, dy]);
      return out;
    };
    results['matmul-wasm-stock-fwdbwd'] = report('matmul', backend, 'stock', 'fwd+bwd', mmShape, 3 * mmFlops, timeRuns(stock, quick ? 1 : 3, 1));
    // tfjs's own fast case (XNNPACK, no flags): what DEQ.ts's product kernel is measured against.
    const stockPlain = () => [runOriginal('BatchMatMul', { a, b: w }, { transposeA: false, transposeB: false })];
    report('matmul', backend, 'stock', 'fwd (XNNPACK)', mmShape, mmFlops, timeRuns(stockPlain, n, warmup));
    const stockDense = () => [runOriginal('BatchMatMul', { a, b: w }, { transposeA: false, transposeB: true })];
    report('matmul', backend, 'stock', 'fwd x·Wᵀ (Dense)', mmShape, mmFlops, timeRuns(stockDense, quick ? 2 : 5, 1));
  }
  tf.dispose([a, w]);

  // Convolution: x [32, 28, 28, 32], 3x3 kernel, 32 → 32 channels, 'same', stride 1.
  const [cb, ch, cw, cin, cout, kk] = [32, 28, 28, 32, 32, 3];
  const convShape = `[${cb},${ch},${cw},${cin}]*${kk}x${kk}→${cout}`;
  const convFlops = 2 * cb * ch * cw * cin * cout * kk * kk;
  const x = tf.randomNormal([cb, ch, cw, cin], 0, 1, 'float32', 3) as tf.Tensor4D;
  const f = tf.randomNormal([kk, kk, cin, cout], 0, 0.1, 'float32', 4) as tf.Tensor4D;
  const convGrad = tf.grads((xx: tf.Tensor, ff: tf.Tensor) => tf.sum(tf.conv2d(xx as tf.Tensor4D, ff as tf.Tensor4D, 1, 'same')));
  report('conv3x3', backend, 'deqts', 'fwd', convShape, convFlops, timeRuns(() => [tf.conv2d(x, f, 1, 'same')], n, warmup));
  results[`conv-${backend}-fwdbwd`] = report('conv3x3', backend, 'deqts', 'fwd+bwd (dx, dW)', convShape, 3 * convFlops, timeRuns(() => convGrad([x, f]), n, warmup));
  if (backend === 'wasm') {
    // Stock wasm has no Conv2DBackpropFilter at all; its dx kernel is timed alone for reference.
    const stockDx = (): tf.Tensor[] => {
      const y = tf.conv2d(x, f, 1, 'same');
      const dy = tf.onesLike(y);
      const dx = runOriginal('Conv2DBackpropInput', { dy, filter: f }, { strides: 1, pad: 'same', dataFormat: 'NHWC', inputShape: x.shape });
      tf.dispose([y, dy]);
      return [dx];
    };
    report('conv3x3', backend, 'stock', 'fwd+dx (no dW kernel)', convShape, 2 * convFlops, timeRuns(stockDx, quick ? 2 : 5, 1));
  }
  tf.dispose([x, f]);
}

if (results['matmul-wasm-fwdbwd'] !== undefined) {
  // Judged on the fastest repetition, the estimate least disturbed by other work on a shared
  // machine; the median-based figures are printed beside it.
  const fixed = results['matmul-wasm-fwdbwd'];
  const stockToday = results['matmul-wasm-stock-fwdbwd'];
  const pass = fixed.best >= 10 * FACTS_STOCK_WASM_MATMUL_FWD_BWD;
  emit({
    check: 'wasm matmul fwd+bwd >= 10x the stock figure of FACTS.md (1.0 GFLOP/s), fastest repetition',
    gflops_best: +fixed.best.toFixed(2),
    gflops_median: +fixed.median.toFixed(2),
    speedup_vs_facts: +(fixed.best / FACTS_STOCK_WASM_MATMUL_FWD_BWD).toFixed(1),
    speedup_vs_stock_this_run: stockToday ? +(fixed.best / stockToday.best).toFixed(1) : null,
    pass_on_median: fixed.median >= 10 * FACTS_STOCK_WASM_MATMUL_FWD_BWD,
    pass,
    load_avg_1m: +loadavg()[0].toFixed(2),
  });
  if (!pass) process.exitCode = 1;
}
