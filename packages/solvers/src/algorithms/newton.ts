import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { TerminationOptions, TerminationSettings } from '../termination.js';
import { selectRunning } from '../internal/batch.js';
import { makeJvp, type JvpMode } from '../internal/jvp.js';
import { backtrackingSearch } from '../internal/line-search.js';
import { batchedGmres } from '../linear/krylov.js';
import { NonlinearAlgorithm, parseAlgorithmOptions, type NonlinearContext, type NonlinearMethod, type StepInput, type StepOutput } from './base.js';

const fields = {
  jvp: z.enum(['finiteDifference', 'centralDifference', 'autodiff']).default('finiteDifference'),
  krylovDim: z.number().int().positive().max(500).default(20),
  forcing: z.union([z.literal('eisenstatWalker'), z.number().gt(0).lt(1)]).default('eisenstatWalker'),
  damping: z.number().gt(0).lte(2).default(1),
  lineSearch: z.enum(['none', 'backtracking']).default('none'),
  maxBacktracks: z.number().int().nonnegative().max(30).default(4),
};

/**
 * Options of {@link NewtonRaphson}: its own, plus every {@link TerminationOptions} field.
 *
 * @example
 * ```ts
 * import type { NewtonRaphsonOptions } from '@deqts/solvers';
 * const exact: NewtonRaphsonOptions = { jvp: 'autodiff', forcing: 1e-4, krylovDim: 30 };
 * ```
 */
export type NewtonRaphsonOptions = TerminationOptions & {
  /** How Jacobian-vector products are formed; see below. Default `'finiteDifference'`. */
  readonly jvp?: JvpMode;
  /** Most GMRES steps (JVPs) per Newton iteration. Default 20. */
  readonly krylovDim?: number;
  /** GMRES relative tolerance η: a number in (0, 1), or `'eisenstatWalker'` (default, adaptive). */
  readonly forcing?: 'eisenstatWalker' | number;
  /** Newton step length λ (the first trial with a line search). Default 1. */
  readonly damping?: number;
  /** `'none'` (default) or `'backtracking'` (per-sample halving until ‖f(u) − u‖ decreases). */
  readonly lineSearch?: 'none' | 'backtracking';
  /** Most halvings per iteration with `lineSearch: 'backtracking'`. Default 4. */
  readonly maxBacktracks?: number;
};

type NewtonSettings = {
  readonly jvp: JvpMode;
  readonly krylovDim: number;
  readonly forcing: 'eisenstatWalker' | number;
  readonly damping: number;
  readonly lineSearch: 'none' | 'backtracking';
  readonly maxBacktracks: number;
};

/**
 * Inexact Newton–Krylov on g(u) = f(u) − u, per sample: each iteration solves J_g δ = −g with
 * matrix-free batched GMRES (J_g v = J_f v − v) to a per-sample relative tolerance η, then steps
 * u ← u + λδ. Converges quadratically near a root when the products are exact and η → 0 like ‖g‖.
 *
 * ## How J_f·v is formed (`jvp`)
 * - `'finiteDifference'` (default): (f(u + hv) − f(u))/h with f(u) reused, so one f-evaluation
 *   per product. Per sample h = √ε·max(RMS(u), 1)/RMS(v), ε = 2⁻²³, which balances truncation
 *   against float32 round-off: products are accurate to a few 1e-4 relative (measured 2–4e-4 on
 *   a tanh layer), so once ‖g‖ is small Newton contracts by about that factor per step instead
 *   of squaring — ample for DEQ tolerances.
 * - `'centralDifference'`: (f(u + hv) − f(u − hv))/2h with h = ε^⅓·max(RMS(u), 1)/RMS(v):
 *   about 2e-5 relative, two f-evaluations per product.
 * - `'autodiff'`: the double-VJP trick with tfjs reverse mode: Jᵀw = ∇ₓ⟨f(x), w⟩ is linear in w,
 *   so J v = ∇_w ⟨Jᵀw, v⟩ — exact up to float32 round-off (~1e-7 relative), costs about 3–4
 *   f-evaluations of work per product (counted as one in `nfe`); f must be twice differentiable
 *   with tfjs ops.
 *
 * ## Forcing
 * `'eisenstatWalker'` (choice 2, per sample): η₀ = 0.1, ηₖ = 0.9(‖gₖ‖/‖gₖ₋₁‖)², safeguarded,
 * in [1e-6, 0.9], and not below what the termination tolerance needs (no oversolving).
 *
 * ## Options
 * `jvp`, `krylovDim` (20), `forcing`, `damping` (1), `lineSearch` ('none'), `maxBacktracks` (4),
 * and the termination options.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { NewtonRaphson, solveSteadyState } from '@deqts/solvers';
 * const sol = solveSteadyState((u) => tf.cos(u), tf.zeros([3, 2]), new NewtonRaphson({ jvp: 'autodiff', abstol: 1e-6 }));
 * console.log(sol.perSample.iterations); // 4 Newton iterations each
 * ```
 */
export class NewtonRaphson extends NonlinearAlgorithm<NewtonSettings> {
  readonly name = 'NewtonRaphson';

  constructor(options: NewtonRaphsonOptions = {}) {
    const { own, termination } = parseAlgorithmOptions(fields, options, 'NewtonRaphson');
    super(own as NewtonSettings, termination);
  }

  /** @internal */
  createMethod(ctx: NonlinearContext): NonlinearMethod {
    return new NewtonMethod(ctx, this.options);
  }
}

const ETA_INITIAL = 0.1;
const ETA_MAX = 0.9;
const ETA_MIN = 1e-6;
const GAMMA = 0.9;

class NewtonMethod implements NonlinearMethod {
  private readonly previousNorm: Float64Array;
  private readonly previousEta: Float64Array;
  private readonly stopNorm2: number;

  constructor(
    private readonly ctx: NonlinearContext,
    private readonly settings: NewtonSettings,
  ) {
    this.previousNorm = new Float64Array(ctx.batch).fill(NaN);
    this.previousEta = new Float64Array(ctx.batch).fill(ETA_INITIAL);
    this.stopNorm2 = stopTolerance2(ctx.settings, ctx.size);
  }

  init(): void {}

  /** Per-sample GMRES tolerances (absolute, 2-norm) from the current ‖g‖₂. */
  private tolerances(norms: Float64Array, activeHost: Uint8Array): Float64Array {
    const out = new Float64Array(norms.length);
    for (let b = 0; b < norms.length; b++) {
      const norm = norms[b];
      let eta: number;
      if (typeof this.settings.forcing === 'number') {
        eta = this.settings.forcing;
      } else if (Number.isNaN(this.previousNorm[b])) {
        eta = ETA_INITIAL;
      } else {
        eta = GAMMA * (norm / this.previousNorm[b]) ** 2;
        const safeguard = GAMMA * this.previousEta[b] ** 2;
        if (safeguard > 0.1) eta = Math.max(eta, safeguard);
        eta = Math.min(ETA_MAX, Math.max(eta, ETA_MIN, norm > 0 ? (0.5 * this.stopNorm2) / norm : 0));
        if (!Number.isFinite(eta)) eta = ETA_INITIAL;
      }
      if (activeHost[b]) {
        this.previousNorm[b] = norm;
        this.previousEta[b] = eta;
      }
      out[b] = eta * norm;
    }
    return out;
  }

  step({ u, fu, r, active, activeHost }: StepInput): StepOutput {
    const { jvp: mode, krylovDim, damping, lineSearch, maxBacktracks } = this.settings;
    const jvp = makeJvp(mode, this.ctx.evaluate, u, fu);
    const rhs = tf.where(active, tf.neg(r), tf.zerosLike(r)) as tf.Tensor2D;
    const solved = batchedGmres((v) => tf.sub(jvp(v), v) as tf.Tensor2D, rhs, null, {
      tolerance: (norms) => this.tolerances(norms, activeHost),
      restart: krylovDim,
      maxiters: krylovDim,
      trueResidual: false,
    });
    const direction = tf.clone(solved.x);
    solved.x.dispose();
    if (lineSearch === 'backtracking') {
      const found = backtrackingSearch(this.ctx.evaluate, u, r, direction, active, activeHost, damping, maxBacktracks);
      return { u: found.u, fu: found.fu };
    }
    const next = selectRunning(active, activeHost, tf.add(u, damping === 1 ? direction : tf.mul(direction, damping)) as tf.Tensor2D, u);
    return { u: next, fu: this.ctx.evaluate(next) };
  }

  dispose(): void {}
}

/** The termination's absolute tolerance as a 2-norm bound (conservative for the ∞-norm). */
function stopTolerance2(settings: TerminationSettings, size: number): number {
  return settings.norm === 'l2' ? settings.abstol * Math.sqrt(size) : settings.abstol;
}
