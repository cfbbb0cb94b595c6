/** The four 32-bit words of a {@link Xoshiro} generator; plain data, safe to serialise. */
export type XoshiroState = readonly [number, number, number, number];

function splitMix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

const rotl = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;

/**
 * A seeded, splittable pseudo-random generator (xoshiro128**), the only source of randomness in
 * DEQ.ts: parameter initialisers, dropout masks, Hutchinson probes and data shuffling all draw
 * from an explicit `Xoshiro`, never from `Math.random`. The same seed gives the same numbers on
 * every backend, because numbers are generated here in JavaScript, not by the backend.
 *
 * Like Julia's `Xoshiro`, a generator is a mutable stream; `split()` advances the parent and
 * returns an independent child stream, and `clone()` copies it without advancing. `nextSeed()`
 * yields an integer seed for tfjs's own random ops (`tf.randomUniform(shape, 0, 1, 'float32', seed)`).
 *
 * @example
 * ```ts
 * import { Xoshiro } from '@deqts/core-layers';
 * const rng = new Xoshiro(42);
 * const child = rng.split();
 * console.log(rng.uniform(), child.normal(), rng.nextSeed());
 * ```
 */
export class Xoshiro {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** @param seed an integer seed, or the four state words of another generator. */
  constructor(seed: number | XoshiroState = 0) {
    if (typeof seed === 'number') {
      if (!Number.isFinite(seed)) throw new RangeError(`Xoshiro: seed must be a finite number, got ${seed}`);
      const next = splitMix32(Math.trunc(seed) ^ Math.trunc(seed / 2 ** 32));
      this.s0 = next();
      this.s1 = next();
      this.s2 = next();
      this.s3 = next();
    } else {
      [this.s0, this.s1, this.s2, this.s3] = seed.map((w) => w >>> 0) as unknown as [number, number, number, number];
    }
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Next raw 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    this.s0 >>>= 0;
    this.s1 >>>= 0;
    return result;
  }

  /** Uniform float in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /**
   * Standard normal draw (Box–Muller). No spare value is cached, so the four state words are the
   * whole state and a checkpointed generator resumes exactly.
   */
  normal(): number {
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Uniform integer in [0, n). */
  integer(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** An integer seed for tfjs random ops; advances the stream. */
  nextSeed(): number {
    return this.nextUint32();
  }

  /** `n` uniform draws in [low, high) as a Float32Array. */
  uniformArray(n: number, low = 0, high = 1): Float32Array {
    const out = new Float32Array(n);
    const width = high - low;
    for (let i = 0; i < n; i++) out[i] = low + width * this.uniform();
    return out;
  }

  /** `n` normal draws with the given mean and standard deviation as a Float32Array. */
  normalArray(n: number, mean = 0, std = 1): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = mean + std * this.normal();
    return out;
  }

  /** A random permutation of 0..n-1 (Fisher–Yates). */
  permutation(n: number): Int32Array {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.integer(i + 1);
      const t = out[i];
      out[i] = out[j];
      out[j] = t;
    }
    return out;
  }

  /** Advances this stream and returns an independent child generator. */
  split(): Xoshiro {
    const seedWords = splitMix32(this.nextUint32() ^ Math.imul(this.nextUint32(), 0x9e3779b1));
    return new Xoshiro([seedWords(), seedWords(), seedWords(), seedWords()]);
  }

  /** `n` independent children (advances this stream n times). */
  splitN(n: number): Xoshiro[] {
    return Array.from({ length: n }, () => this.split());
  }

  /** A copy with the same state; drawing from the copy leaves this one untouched. */
  clone(): Xoshiro {
    return new Xoshiro(this.state());
  }

  /** The generator's state words (for checkpoints). */
  state(): XoshiroState {
    return [this.s0, this.s1, this.s2, this.s3];
  }

  /** JSON form: `{ xoshiro: [w0, w1, w2, w3] }`. */
  toJSON(): { xoshiro: XoshiroState } {
    return { xoshiro: this.state() };
  }
}
