import * as tf from '@tensorflow/tfjs-core';

/** Wall-clock statistics of repeated runs, in milliseconds. */
export type Timing = { medianMs: number; minMs: number; reps: number };

/**
 * Times `run` (which returns the tensors it produced): `warmup` untimed runs, then `reps` timed
 * ones. Each run reads its outputs back (so asynchronous backends finish) and disposes them.
 */
export function timeRuns(run: () => tf.Tensor[], reps: number, warmup = 1): Timing {
  const once = (): number => {
    const start = performance.now();
    const outs = run();
    for (const t of outs) t.dataSync();
    const elapsed = performance.now() - start;
    tf.dispose(outs);
    return elapsed;
  };
  for (let i = 0; i < warmup; i++) once();
  const times = Array.from({ length: reps }, once).sort((a, b) => a - b);
  const mid = Math.floor(times.length / 2);
  const medianMs = times.length % 2 === 1 ? times[mid] : (times[mid - 1] + times[mid]) / 2;
  return { medianMs, minMs: times[0], reps };
}

/** GFLOP/s of `flops` floating-point operations done in `ms` milliseconds. */
export function gflops(flops: number, ms: number): number {
  return flops / ms / 1e6;
}
