/**
 * A fixed reference workload timed in the same run as a benchmark, to tell machine speed apart
 * from code speed: this VM's 2 vCPUs share a host, and the same training run has measured 1.6×
 * apart at different times of day (docs/benchmarks.md). The workload mixes what a DEQ step is
 * made of: 128×128 matmuls, elementwise ops and small tfjs dispatches.
 */
import * as tf from '@tensorflow/tfjs-core';
import { timeRuns } from './timing.js';

/** Median milliseconds of the reference workload (lower = faster machine right now). */
export function calibrationMs(): number {
  const a = tf.randomNormal([128, 128], 0, 1, 'float32', 1);
  const w = tf.randomNormal([128, 128], 0, 0.1, 'float32', 2);
  const run = (): tf.Tensor[] => [
    tf.tidy(() => {
      let z = a;
      for (let i = 0; i < 20; i++) z = tf.tanh(tf.add(tf.matMul(z, w), a));
      return z;
    }),
  ];
  const t = timeRuns(run, 15, 3);
  tf.dispose([a, w]);
  return +t.medianMs.toFixed(2);
}
