import * as tf from '@tensorflow/tfjs-core';
import { canRunWasmKernels } from '@deqts/core-layers';
import { z } from 'zod';
import type { TerminationOptions } from '../termination.js';
import { asColumn, rowDot, rowDotColumn, selectRunning, unpackRows } from '../internal/batch.js';
import { BROYDEN_STATS_COLUMNS, broydenStats, broydenUpdate, lowRankProduct } from '../internal/fused/broyden-kernels.js';
import { hostChecks } from '../internal/host-checks.js';
import { solverSwitches } from '../internal/switches.js';
import { backtrackingSearch } from '../internal/line-search.js';
import { NonlinearAlgorithm, parseAlgorithmOptions, type NonlinearContext, type NonlinearMethod, type StepInput, type StepOutput } from './base.js';

const commonFields = {
  damping: z.number().gt(0).lte(2).default(1),
  lineSearch: z.enum(['none', 'backtracking']).default('none'),
  maxBacktracks: z.number().int().nonnegative().max(30).default(4),
};

/**
 * Options of {@link Broyden}: its own, plus every {@link TerminationOptions} field.
 *
 * @example
 * ```ts
 * import type { BroydenOptions } from '@deqts/solvers';
 * const opts: BroydenOptions = { lineSearch: 'backtracking', maxBacktracks: 3, abstol: 1e-4 };
 * ```
 */
export type BroydenOptions = TerminationOptions & {
  /** Step length λ along the quasi-Newton direction (the first trial with a line search). Default 1. */
  readonly damping?: number;
  /** `'none'` (default) or `'backtracking'`: per-sample halving until the residual decreases. */
  readonly lineSearch?: 'none' | 'backtracking';
  /** Most halvings per iteration with `lineSearch: 'backtracking'`. Default 4. */
  readonly maxBacktracks?: number;
};

/**
 * Options of {@link LimitedMemoryBroyden}: Broyden's, plus `memory`.
 *
 * @example
 * ```ts
 * import type { LimitedMemoryBroydenOptions } from '@deqts/solvers';
 * const opts: LimitedMemoryBroydenOptions = { memory: 27, maxiters: 32 };
 * ```
 */
export type LimitedMemoryBroydenOptions = BroydenOptions & {
  /** Rank-one updates kept; the oldest is dropped when full. Default 10 (NonlinearSolve's). */
  readonly memory?: number;
};

type BroydenSettings = {
  readonly damping: number;
  readonly lineSearch: 'none' | 'backtracking';
  readonly maxBacktracks: number;
  readonly memory: number;
};

/**
 * "Good" Broyden's method on g(u) = f(u) − u, per sample, matrix-free.
 *
 * The inverse-Jacobian approximation of F = u − f(u) starts at the identity (so the first step is
 * a plain fixed-point step) and is kept as a product of rank-one factors
 * H = (I + aₖdₖᵀ/‖dₖ‖²)···(I + a₁d₁ᵀ/‖d₁‖²): each iteration stores two vectors per sample and
 * applies H with k inner products and k vector updates; one f-evaluation per iteration (plus
 * line-search trials). An update whose denominator is numerically zero is skipped for that sample.
 * Memory grows with the iterations (at most `maxiters` pairs); use {@link LimitedMemoryBroyden}
 * to bound it.
 *
 * ## Options
 * `damping` (1), `lineSearch` ('none'), `maxBacktracks` (4), and the termination options.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { Broyden, solveSteadyState } from '@deqts/solvers';
 * const sol = solveSteadyState((u) => tf.cos(u), tf.zeros([4, 2]), new Broyden({ abstol: 1e-6 }));
 * console.log(sol.status, sol.perSample.iterations);
 * ```
 */
export class Broyden extends NonlinearAlgorithm<BroydenSettings> {
  readonly name: string = 'Broyden';

  constructor(options: BroydenOptions = {}) {
    const { own, termination } = parseAlgorithmOptions(commonFields, options, 'Broyden');
    super({ ...own, memory: Infinity }, termination);
  }

  /** @internal */
  createMethod(ctx: NonlinearContext): NonlinearMethod {
    return new BroydenMethod(ctx, this.options);
  }
}

/**
 * Limited-memory good Broyden: {@link Broyden} keeping only the last `memory` rank-one factors
 * (the oldest is dropped), so memory is bounded at 2·memory state-sized vectors per batch.
 *
 * ## Options
 * `memory` (default 10), and Broyden's options.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { LimitedMemoryBroyden, solveSteadyState } from '@deqts/solvers';
 * const sol = solveSteadyState((u) => tf.cos(u), tf.zeros([4, 2]), new LimitedMemoryBroyden({ memory: 4 }));
 * ```
 */
export class LimitedMemoryBroyden extends NonlinearAlgorithm<BroydenSettings> {
  readonly name: string = 'LimitedMemoryBroyden';

  constructor(options: LimitedMemoryBroydenOptions = {}) {
    const fields = { ...commonFields, memory: z.number().int().positive().max(1000).default(10) };
    const { own, termination } = parseAlgorithmOptions(fields, options, 'LimitedMemoryBroyden');
    super(own, termination);
  }

  /** @internal */
  createMethod(ctx: NonlinearContext): NonlinearMethod {
    return new BroydenMethod(ctx, this.options);
  }
}

/** Cosine threshold below which a Broyden update is skipped as numerically singular. */
const SKIP_COSINE = 1e-4;

class BroydenMethod implements NonlinearMethod {
  private readonly a: tf.Tensor2D[] = [];
  /** dⱼ/‖dⱼ‖² (a zero row for a zero dⱼ): pre-scaled, so applying a factor is one dot and one axpy. */
  private readonly dScaled: tf.Tensor2D[] = [];
  private direction: tf.Tensor2D | null = null;

  constructor(
    private readonly ctx: NonlinearContext,
    private readonly settings: BroydenSettings,
  ) {}

  init({ r }: StepInput): void {
    this.direction = tf.keep(tf.clone(r)); // H₀ = I: the fixed-point step
  }

  /** z = H x, applying the stored factors oldest first. */
  private applyInverse(x: tf.Tensor2D): tf.Tensor2D {
    if (this.dScaled.length > 0 && solverSwitches.fusedBroyden && canRunWasmKernels()) return lowRankProduct(x, this.dScaled, this.a);
    let z: tf.Tensor2D = x;
    for (let j = 0; j < this.dScaled.length; j++) {
      z = tf.add(z, tf.mul(this.a[j], rowDotColumn(this.dScaled[j], z))) as tf.Tensor2D;
    }
    return z;
  }

  step({ u, r, active, activeHost }: StepInput): StepOutput {
    const d = this.direction!;
    const { damping, lineSearch, maxBacktracks } = this.settings;
    let next: tf.Tensor2D;
    let fu: tf.Tensor2D;
    let lambda: tf.Tensor2D | number = damping;
    if (lineSearch === 'backtracking') {
      const found = backtrackingSearch(this.ctx.evaluate, u, r, d, active, activeHost, damping, maxBacktracks);
      next = found.u;
      fu = found.fu;
      lambda = found.step;
    } else {
      next = selectRunning(active, activeHost, tf.add(u, damping === 1 ? d : tf.mul(d, damping)) as tf.Tensor2D, u);
      fu = this.ctx.evaluate(next);
    }
    const rNext = tf.sub(fu, next) as tf.Tensor2D;
    const z = this.applyInverse(rNext); // z = −H F(u₊), F = u − f(u)
    if (typeof lambda === 'number' && solverSwitches.fusedBroyden && canRunWasmKernels()) return this.fusedUpdate(d, z, next, fu, rNext, lambda);
    const dd = rowDot(d, d);
    const dz = rowDot(d, z);
    const hy = tf.sub(d, z); // H y
    const sHy = tf.sub(dd, dz);
    const hyNorm = tf.sqrt(rowDot(hy, hy));
    const usable = tf.logicalAnd(tf.greater(tf.abs(sHy), tf.mul(tf.mul(tf.sqrt(dd), hyNorm), SKIP_COSINE)), tf.isFinite(sHy));
    const invDd = tf.where(tf.greater(dd, 0), tf.div(1, dd), tf.zerosLike(dd));
    // a = (z − (1 − λ)d) / (1 − dᵀz/‖d‖²), or 0 (skip the update) for unusable samples; the
    // choice is made on the [B] coefficients so no row mask has to be broadcast.
    const scale = tf.where(usable, tf.div(dd, sHy), tf.zerosLike(sHy));
    const residualPart = typeof lambda === 'number' && lambda === 1 ? z : tf.sub(z, tf.mul(d, tf.sub(1, lambda)));
    const aNew = tf.mul(residualPart, asColumn(scale)) as tf.Tensor2D;
    const nextDirection = tf.add(z, tf.mul(aNew, asColumn(tf.mul(dz, invDd)))) as tf.Tensor2D;
    this.remember(aNew, tf.mul(d, asColumn(invDd)) as tf.Tensor2D, nextDirection, d);
    return { u: next, fu, r: rNext };
  }

  /** Stores the new factor (dropping the oldest beyond `memory`) and the next step, and frees the old step. */
  private remember(aNew: tf.Tensor2D, dScaled: tf.Tensor2D, nextDirection: tf.Tensor2D, d: tf.Tensor2D): void {
    this.a.push(tf.keep(aNew));
    this.dScaled.push(tf.keep(dScaled));
    if (this.a.length > this.settings.memory) {
      this.a.shift()!.dispose();
      this.dScaled.shift()!.dispose();
    }
    this.direction = tf.keep(nextDirection);
    d.dispose();
  }

  /**
   * The same update with the per-sample scalars on the host (float64) and the vector work in two
   * fused wasm kernels: one pass for the row statistics, one for a, the next step and d/‖d‖².
   */
  private fusedUpdate(d: tf.Tensor2D, z: tf.Tensor2D, next: tf.Tensor2D, fu: tf.Tensor2D, rNext: tf.Tensor2D, lambda: number): StepOutput {
    const batch = this.ctx.batch;
    const [dd, dz, hh, rr, ff, maxR, maxF] = unpackRows(broydenStats(d, z, rNext, fu).dataSync() as Float32Array, batch, BROYDEN_STATS_COLUMNS);
    const coefficients = new Float32Array(5 * batch);
    for (let b = 0; b < batch; b++) {
      const sHy = dd[b] - dz[b];
      const usable = Math.abs(sHy) > Math.sqrt(dd[b]) * Math.sqrt(hh[b]) * SKIP_COSINE && Number.isFinite(sHy);
      const invDd = dd[b] > 0 ? 1 / dd[b] : 0;
      const scale = usable ? dd[b] / sHy : 0;
      const c = dz[b] * invDd;
      // a = (z − (1 − λ)d)·scale; next step = z + a·c; d/‖d‖².
      coefficients[b] = scale;
      coefficients[batch + b] = -(1 - lambda) * scale;
      coefficients[2 * batch + b] = 1 + scale * c;
      coefficients[3 * batch + b] = -(1 - lambda) * scale * c;
      coefficients[4 * batch + b] = invDd;
    }
    const [aNew, nextDirection, dScaled] = broydenUpdate(z, d, coefficients);
    this.remember(aNew, dScaled, nextDirection, d);
    return { u: next, fu, r: rNext, checks: hostChecks(this.ctx.settings, this.ctx.size, rr, ff, maxR, maxF) };
  }

  dispose(): void {
    for (const t of [...this.a, ...this.dScaled]) t.dispose();
    this.direction?.dispose();
    this.a.length = 0;
    this.dScaled.length = 0;
    this.direction = null;
  }
}
