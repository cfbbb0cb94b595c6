/**
 * A fixed reference workload timed in the same run as a benchmark, to tell machine speed apart
 * from code speed: this VM's 2 vCPUs share a host, and the same training run has measured 1.6×
 * apart at different times of day (docs/benchmarks.md). The workload is plain JavaScript
 * float32 arithmetic (a 96×96 matrix product and tanh, repeated), so that no change to DEQ.ts or
 * to its engine kernels moves it: until commit 92c3b88 it ran tfjs ops, whose matmul that commit
 * replaced, so values before and after it are on different scales.
 */

/** Median milliseconds of the reference workload (lower = faster machine right now). */
export function calibrationMs(): number {
  const n = 96;
  const a = new Float32Array(n * n).map((_, i) => Math.sin(i) * 0.5);
  const w = new Float32Array(n * n).map((_, i) => Math.cos(i) * 0.1);
  const z = new Float32Array(n * n);
  const next = new Float32Array(n * n);
  const step = (): void => {
    z.set(a);
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          let s = a[i * n + j];
          for (let p = 0; p < n; p++) s += z[i * n + p] * w[p * n + j];
          next[i * n + j] = Math.tanh(s);
        }
      }
      z.set(next);
    }
  };
  step();
  const times: number[] = [];
  for (let r = 0; r < 15; r++) {
    const t0 = performance.now();
    step();
    times.push(performance.now() - t0);
  }
  times.sort((x, y) => x - y);
  return +times[7].toFixed(2);
}
