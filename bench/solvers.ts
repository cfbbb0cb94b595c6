/**
 * Benchmark of @deqts/solvers on the DEQ fixed-point problem z = tanh(z·W + x·U + b), batch 128,
 * state sizes 128 and 1024, on the wasm backend (single thread in Node). Prints one JSON line per
 * solver and size: iterations (largest per-sample count), NFE, median wall time per solve, status.
 *
 *   npx -y pnpm@10 run bench:solvers            # all solvers, sizes 128 and 1024
 *   BENCH_SIZES=128 BENCH_REPEATS=5 BENCH_HARD=0 npx -y pnpm@10 run bench:solvers
 *
 * Tolerances are DEQ.jl v2's defaults (abstol = reltol = 1e-3, max-abs norm, maxiters 32), except
 * a 200-step budget so the ODE methods and plain iteration can finish.
 *
 * "standard" is the issue's problem: W with entries N(0, 0.81/n) and N(0, 1) injections, which
 * saturate tanh and make the map strongly contractive in practice. "hard" (n = 128 only) keeps tanh
 * near its linear range (injections N(0, 0.01)) with W scaled to spectral radius ≈ 0.97, so plain
 * iteration needs ~100+ steps and the accelerated solvers show their difference.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, Xoshiro } from '@deqts/core-layers';
import {
  Anderson,
  Broyden,
  Euler,
  FixedPointIteration,
  LimitedMemoryBroyden,
  NewtonRaphson,
  RK4,
  Tsit5,
  VCABM3,
  solveSteadyState,
  type SteadyStateAlgorithm,
} from '@deqts/solvers';

const BATCH = 128;
const SIZES = (process.env.BENCH_SIZES ?? '128,1024').split(',').map(Number);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);

const SOLVERS: readonly [string, () => SteadyStateAlgorithm][] = [
  ['NewtonRaphson', () => new NewtonRaphson()],
  ['NewtonRaphson(jvp=autodiff)', () => new NewtonRaphson({ jvp: 'autodiff' })],
  ['Broyden', () => new Broyden()],
  ['LimitedMemoryBroyden', () => new LimitedMemoryBroyden()],
  ['Anderson', () => new Anderson()],
  ['FixedPointIteration', () => new FixedPointIteration()],
  ['Tsit5', () => new Tsit5()],
  ['VCABM3', () => new VCABM3()],
  ['Euler(dt=1)', () => new Euler({ dt: 1 })],
  ['RK4(dt=1)', () => new RK4({ dt: 1 })],
];

/** z = tanh(z·W + injection), W with entries N(0, (radius²)/n) (spectral radius ≈ radius). */
function problem(n: number, radius: number, injectionScale: number) {
  const rng = new Xoshiro(n);
  const W = tf.tensor2d(rng.normalArray(n * n).map((v) => (radius * v) / Math.sqrt(n)), [n, n]);
  const injection = tf.tensor2d(rng.normalArray(BATCH * n).map((v) => v * injectionScale), [BATCH, n]);
  return { f: (z: tf.Tensor) => tf.tanh(tf.add(tf.matMul(z, W), injection)), dispose: () => tf.dispose([W, injection]) };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main(): Promise<void> {
  const backend = await initBackend((process.env.BENCH_BACKEND as 'wasm' | 'cpu' | undefined) ?? 'wasm');
  const cases = [
    ...SIZES.map((n) => ({ n, kind: 'standard', radius: 0.9, injection: 1 })),
    ...(process.env.BENCH_HARD === '0' ? [] : [{ n: 128, kind: 'hard', radius: 0.97, injection: 0.1 }]),
  ];
  for (const { n, kind, radius, injection } of cases) {
    const p = problem(n, radius, injection);
    const u0 = tf.zeros([BATCH, n]);
    // One f-evaluation alone, for reference.
    const fTimes: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const y = p.f(u0);
      y.dataSync();
      y.dispose();
      fTimes.push(performance.now() - t0);
    }
    console.log(JSON.stringify({ backend, problem: kind, n, batch: BATCH, what: 'one f-evaluation', ms: +median(fTimes).toFixed(2) }));
    for (const [name, make] of SOLVERS) {
      const times: number[] = [];
      let last = solveSteadyState(p.f, u0, make(), { maxiters: 200 }); // warm-up
      for (let r = 0; r < REPEATS; r++) {
        last.u.dispose();
        last.residual.dispose();
        const t0 = performance.now();
        last = solveSteadyState(p.f, u0, make(), { maxiters: 200 });
        last.u.dataSync();
        times.push(performance.now() - t0);
      }
      const perSample = Array.from(last.perSample.iterations);
      console.log(
        JSON.stringify({
          backend,
          problem: kind,
          n,
          batch: BATCH,
          solver: name,
          status: last.status,
          iterations: last.iterations,
          meanSampleIterations: +(perSample.reduce((s, v) => s + v, 0) / perSample.length).toFixed(1),
          nfe: last.nfe,
          ms: +median(times).toFixed(1),
          maxResidual: +Math.max(...last.perSample.residualNorm).toExponential(2),
        }),
      );
      last.u.dispose();
      last.residual.dispose();
    }
    u0.dispose();
    p.dispose();
  }
}

await main();
