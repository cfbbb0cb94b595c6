import * as tf from '@tensorflow/tfjs-core';
import type { Xoshiro } from '../core/rng.js';

/**
 * A weight initialiser: draws a float32 tensor of the given shape from `rng`. Fan-in and fan-out
 * follow the layer layouts of DEQ.ts: for a Dense weight `[out, in]`, fanIn = in and fanOut = out;
 * for a conv kernel `[kh, kw, cin, cout]`, fanIn = kh·kw·cin and fanOut = kh·kw·cout.
 */
export type Initializer = (rng: Xoshiro, shape: readonly number[]) => tf.Tensor;

/** Options shared by the scaled initialisers. */
export type GainOptions = { readonly gain?: number };

/**
 * Fan-in and fan-out of a weight shape (see {@link Initializer} for the layout conventions).
 *
 * @example
 * ```ts
 * import { fans } from '@deqts/core-layers';
 * fans([128, 784]); // [784, 128]
 * fans([3, 3, 16, 32]); // [144, 288]
 * ```
 */
export function fans(shape: readonly number[]): [number, number] {
  if (shape.length === 0) return [1, 1];
  if (shape.length === 1) return [shape[0], shape[0]];
  if (shape.length === 2) return [shape[1], shape[0]];
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return [receptive * shape[shape.length - 2], receptive * shape[shape.length - 1]];
}

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/**
 * U(±gain·√(6/(fanIn+fanOut))).
 * @example
 * ```ts
 * import { glorotUniform, Xoshiro } from '@deqts/core-layers';
 * const w = glorotUniform()(new Xoshiro(0), [3, 4]);
 * ```
 */
export function glorotUniform(options: GainOptions = {}): Initializer {
  return (rng, shape) => {
    const [fanIn, fanOut] = fans(shape);
    const bound = (options.gain ?? 1) * Math.sqrt(6 / (fanIn + fanOut));
    return tf.tensor(rng.uniformArray(size(shape), -bound, bound), [...shape], 'float32');
  };
}

/**
 * N(0, (gain·√(2/(fanIn+fanOut)))²).
 * @example
 * ```ts
 * import { glorotNormal, Xoshiro } from '@deqts/core-layers';
 * const w = glorotNormal()(new Xoshiro(0), [3, 4]);
 * ```
 */
export function glorotNormal(options: GainOptions = {}): Initializer {
  return (rng, shape) => {
    const [fanIn, fanOut] = fans(shape);
    const std = (options.gain ?? 1) * Math.sqrt(2 / (fanIn + fanOut));
    return tf.tensor(rng.normalArray(size(shape), 0, std), [...shape], 'float32');
  };
}

/**
 * U(±gain·√(3/fanIn)) (Lux's kaiming_uniform; default gain √2).
 * @example
 * ```ts
 * import { kaimingUniform, Xoshiro } from '@deqts/core-layers';
 * const w = kaimingUniform({ gain: 1 })(new Xoshiro(0), [3, 4]);
 * ```
 */
export function kaimingUniform(options: GainOptions = {}): Initializer {
  return (rng, shape) => {
    const [fanIn] = fans(shape);
    const bound = (options.gain ?? Math.SQRT2) * Math.sqrt(3 / fanIn);
    return tf.tensor(rng.uniformArray(size(shape), -bound, bound), [...shape], 'float32');
  };
}

/**
 * N(0, (gain/√fanIn)²) (Lux's kaiming_normal; default gain √2).
 * @example
 * ```ts
 * import { kaimingNormal, Xoshiro } from '@deqts/core-layers';
 * const w = kaimingNormal()(new Xoshiro(0), [3, 4]);
 * ```
 */
export function kaimingNormal(options: GainOptions = {}): Initializer {
  return (rng, shape) => {
    const [fanIn] = fans(shape);
    const std = (options.gain ?? Math.SQRT2) / Math.sqrt(fanIn);
    return tf.tensor(rng.normalArray(size(shape), 0, std), [...shape], 'float32');
  };
}

/**
 * Normal with the given mean and std, redrawn outside [lo, hi] (Lux defaults: std 0.01, ±2).
 * @example
 * ```ts
 * import { truncatedNormal, Xoshiro } from '@deqts/core-layers';
 * const w = truncatedNormal({ std: 0.02 })(new Xoshiro(0), [3, 4]);
 * ```
 */
export function truncatedNormal(
  options: { readonly mean?: number; readonly std?: number; readonly lo?: number; readonly hi?: number } = {},
): Initializer {
  const { mean = 0, std = 0.01, lo = -2, hi = 2 } = options;
  return (rng, shape) => {
    const out = new Float32Array(size(shape));
    for (let i = 0; i < out.length; i++) {
      let v: number;
      do v = mean + std * rng.normal();
      while (v < lo || v > hi);
      out[i] = v;
    }
    return tf.tensor(out, [...shape], 'float32');
  };
}

/**
 * A (semi-)orthogonal matrix scaled by gain, from the QR of a Gaussian matrix (modified
 * Gram–Schmidt in float64); shapes of rank > 2 are flattened to [prod(leading), last].
 * @example
 * ```ts
 * import { orthogonal, Xoshiro } from '@deqts/core-layers';
 * const q = orthogonal()(new Xoshiro(0), [4, 4]); // q·qᵀ = I
 * ```
 */
export function orthogonal(options: GainOptions = {}): Initializer {
  return (rng, shape) => {
    const gain = options.gain ?? 1;
    const rows = shape.length <= 1 ? 1 : size(shape.slice(0, -1));
    const cols = shape.length === 0 ? 1 : shape[shape.length - 1];
    const transposed = rows < cols;
    const [n, m] = transposed ? [cols, rows] : [rows, cols]; // n ≥ m: orthonormal columns
    const a = Array.from({ length: m }, () => Float64Array.from({ length: n }, () => rng.normal()));
    for (let j = 0; j < m; j++) {
      for (let k = 0; k < j; k++) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += a[j][i] * a[k][i];
        for (let i = 0; i < n; i++) a[j][i] -= dot * a[k][i];
      }
      let norm = 0;
      for (let i = 0; i < n; i++) norm += a[j][i] * a[j][i];
      norm = Math.sqrt(norm);
      for (let i = 0; i < n; i++) a[j][i] /= norm;
    }
    const out = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) out[r * cols + c] = gain * (transposed ? a[r][c] : a[c][r]);
    }
    return tf.tensor(out, [...shape], 'float32');
  };
}

/**
 * All zeros.
 * @example
 * ```ts
 * import { zeros, Xoshiro } from '@deqts/core-layers';
 * const b = zeros()(new Xoshiro(0), [4]);
 * ```
 */
export function zeros(): Initializer {
  return (_rng, shape) => tf.zeros([...shape], 'float32');
}

/**
 * All ones.
 * @example
 * ```ts
 * import { ones, Xoshiro } from '@deqts/core-layers';
 * const g = ones()(new Xoshiro(0), [4]);
 * ```
 */
export function ones(): Initializer {
  return (_rng, shape) => tf.ones([...shape], 'float32');
}

/**
 * U(±bound), e.g. Lux's default bias U(±1/√fanIn).
 * @example
 * ```ts
 * import { uniformInit, Xoshiro } from '@deqts/core-layers';
 * const b = uniformInit(0.5)(new Xoshiro(0), [4]);
 * ```
 */
export function uniformInit(bound: number): Initializer {
  return (rng, shape) => tf.tensor(rng.uniformArray(size(shape), -bound, bound), [...shape], 'float32');
}
