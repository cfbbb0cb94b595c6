import * as tf from '@tensorflow/tfjs-core';
import { canRunWasmKernels } from '@deqts/core-layers';
import { z } from 'zod';
import type { TerminationOptions } from '../termination.js';
import { rowDotColumn, selectRunning, unpackRows, uploadColumn } from '../internal/batch.js';
import { andersonMix, andersonPost, POST_EXTRA_COLUMNS } from '../internal/fused/anderson-kernels.js';
import { hostChecks } from '../internal/host-checks.js';
import { solverSwitches } from '../internal/switches.js';
import { solveRegularizedSpd, SpdWorkspace } from '../internal/small-solve.js';
import { NonlinearAlgorithm, parseAlgorithmOptions, type NonlinearContext, type NonlinearMethod, type StepInput, type StepOutput } from './base.js';

const fields = {
  memory: z.number().int().positive().max(64).default(5),
  damping: z.number().gt(0).lte(2).default(1),
  regularization: z.number().nonnegative().lt(1).default(1e-6),
};

/**
 * Options of {@link Anderson}: its own, plus every {@link TerminationOptions} field.
 *
 * @example
 * ```ts
 * import type { AndersonOptions } from '@deqts/solvers';
 * const opts: AndersonOptions = { memory: 6, damping: 0.8, regularization: 1e-5 };
 * ```
 */
export type AndersonOptions = TerminationOptions & {
  /** Number m of past residual differences mixed. Default 5. */
  readonly memory?: number;
  /** Mixing (damping) parameter β in (0, 2]. Default 1. */
  readonly damping?: number;
  /** Tikhonov λ, relative to the largest diagonal entry of the m×m Gram matrix. Default 1e-6. */
  readonly regularization?: number;
};

type AndersonSettings = { readonly memory: number; readonly damping: number; readonly regularization: number };

/**
 * Anderson acceleration (type II, Walker–Ni form) of the fixed-point iteration, per sample.
 *
 * With gₖ = f(uₖ) − uₖ and the last m differences ΔG = [gᵢ₊₁ − gᵢ], ΔU = [uᵢ₊₁ − uᵢ], each sample
 * solves the regularised least-squares problem min_γ ‖gₖ − ΔG γ‖² + λ·s‖γ‖² (s = largest diagonal
 * of ΔGᵀΔG) and steps uₖ₊₁ = uₖ + β gₖ − (ΔU + β ΔG) γ. One f-evaluation per iteration.
 *
 * The m×m Gram matrix is accumulated on the host in float64 (one small read per iteration, batched
 * with the convergence check) and solved there by Cholesky. A singular system (repeated or
 * zero differences, e.g. the same iterate twice in history) is handled by the regulariser and,
 * failing that, by a plain damped step for that sample — it never throws. TorchDEQ's float32
 * `torch.solve` crashes on exactly this (see FACTS.md).
 *
 * ## Options
 * `memory` m (default 5), `damping` β (default 1), `regularization` λ (default 1e-6), and the
 * termination options.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { Anderson, solveSteadyState } from '@deqts/solvers';
 * const sol = solveSteadyState((u) => tf.cos(u), tf.zeros([2, 3]), new Anderson({ memory: 3, abstol: 1e-6 }));
 * console.log(sol.status, sol.nfe); // 'success', about 8
 * ```
 */
export class Anderson extends NonlinearAlgorithm<AndersonSettings> {
  readonly name = 'Anderson';

  constructor(options: AndersonOptions = {}) {
    const { own, termination } = parseAlgorithmOptions(fields, options, 'Anderson');
    super(own, termination);
  }

  /** @internal */
  createMethod(ctx: NonlinearContext): NonlinearMethod {
    return new AndersonMethod(ctx, this.options);
  }
}

class AndersonMethod implements NonlinearMethod {
  private readonly dG: tf.Tensor2D[] = [];
  private readonly mixed: tf.Tensor2D[] = []; // ΔU + β ΔG
  /** Per sample: row-major Gram of the stored ΔG columns (capacity m×m) and c = ΔGᵀ g. */
  private readonly gram: Float64Array[];
  private readonly proj: Float64Array[];
  /** γⱼ per sample for the next step's mixing (host; uploaded by the step). */
  private gamma: Float32Array[] = [];
  private dropped = false;
  private readonly work: SpdWorkspace;

  constructor(
    private readonly ctx: NonlinearContext,
    private readonly settings: AndersonSettings,
  ) {
    const m = settings.memory;
    this.gram = Array.from({ length: ctx.batch }, () => new Float64Array(m * m));
    this.proj = Array.from({ length: ctx.batch }, () => new Float64Array(m));
    this.work = new SpdWorkspace(m);
  }

  init(): void {}

  step(input: StepInput): StepOutput {
    return solverSwitches.fusedAnderson && canRunWasmKernels() ? this.fusedStep(input) : this.opStep(input);
  }

  /** The step as tfjs ops (every backend). */
  private opStep({ u, r, active, activeHost }: StepInput): StepOutput {
    const beta = this.settings.damping;
    let candidate = beta === 1 ? tf.add(u, r) : tf.add(u, tf.mul(r, beta));
    this.gamma.forEach((g, j) => {
      candidate = tf.sub(candidate, tf.mul(this.mixed[j], uploadColumn(g)));
    });
    const next = selectRunning(active, activeHost, candidate as tf.Tensor2D, u);
    const fu = this.ctx.evaluate(next);
    const rNext = tf.sub(fu, next) as tf.Tensor2D;
    const dG = tf.keep(tf.sub(rNext, r) as tf.Tensor2D);
    const mixedNew = tf.keep(tf.add(tf.sub(next, u), beta === 1 ? dG : tf.mul(dG, beta)) as tf.Tensor2D);
    this.remember(dG, mixedNew);
    // Inner products of the new difference with every stored one (itself last), then ⟨g_next, ΔG_new⟩.
    // [B, 1] blocks (keepDims): they join the host read without a reshape op each.
    const reads = [...this.dG.map((d) => rowDotColumn(dG, d)), rowDotColumn(rNext, dG)];
    return { u: next, fu, r: rNext, reads };
  }

  /** The same step with the vector work in two fused wasm kernels (see internal/fused). */
  private fusedStep({ u, r, activeHost }: StepInput): StepOutput {
    const beta = this.settings.damping;
    const batch = this.ctx.batch;
    const gamma = new Float32Array(this.gamma.length * batch);
    this.gamma.forEach((g, j) => gamma.set(g, j * batch));
    const next = andersonMix(u, r, this.mixed, gamma, activeHost, beta);
    const fu = this.ctx.evaluate(next);
    // The differences that stay in memory after this step, oldest first (the new one is appended).
    const kept = this.dG.slice(this.dG.length === this.settings.memory ? 1 : 0);
    const k = kept.length;
    const [rNext, dG, mixedNew, stats] = andersonPost(next, fu, r, u, kept, beta);
    tf.keep(dG);
    tf.keep(mixedNew);
    this.remember(dG, mixedNew);
    const columns = unpackRows(stats.dataSync() as Float32Array, batch, k + POST_EXTRA_COLUMNS);
    // Gram entries with the kept differences, ⟨ΔG, ΔG⟩, ⟨r', ΔG⟩: what opStep reads.
    const hostReads = columns.slice(0, k + 2);
    const [rr, ff, maxR, maxF] = columns.slice(k + 2);
    return { u: next, fu, r: rNext, hostReads, checks: hostChecks(this.ctx.settings, this.ctx.size, rr, ff, maxR, maxF) };
  }

  /** Appends a difference pair to the history, dropping the oldest beyond `memory`. */
  private remember(dG: tf.Tensor2D, mixedNew: tf.Tensor2D): void {
    this.dG.push(dG);
    this.mixed.push(mixedNew);
    this.dropped = this.dG.length > this.settings.memory;
    if (this.dropped) {
      this.dG.shift()!.dispose();
      this.mixed.shift()!.dispose();
    }
  }

  receive(values: readonly Float32Array[]): void {
    const m = this.settings.memory;
    const k = this.dG.length;
    const lambda = this.settings.regularization;
    const gammaHost = Array.from({ length: k }, () => new Float32Array(this.ctx.batch));
    for (let b = 0; b < this.ctx.batch; b++) {
      const gram = this.gram[b];
      const proj = this.proj[b];
      if (this.dropped) {
        for (let i = 0; i < k - 1; i++) {
          for (let j = 0; j < k - 1; j++) gram[i * m + j] = gram[(i + 1) * m + (j + 1)];
          proj[i] = proj[i + 1];
        }
      }
      const last = k - 1;
      for (let j = 0; j < k; j++) {
        const v = values[j][b];
        gram[last * m + j] = v;
        gram[j * m + last] = v;
      }
      // c_j = ⟨g_next, ΔG_j⟩ = ⟨g_prev, ΔG_j⟩ + ⟨ΔG_new, ΔG_j⟩ for the older columns.
      for (let j = 0; j < last; j++) proj[j] += gram[last * m + j];
      proj[last] = values[k][b];
      const gamma = solveRegularizedSpd(gram, m, proj, k, lambda, this.work);
      if (gamma) for (let j = 0; j < k; j++) gammaHost[j][b] = gamma[j];
    }
    this.gamma = gammaHost;
  }

  dispose(): void {
    for (const t of [...this.dG, ...this.mixed]) t.dispose();
    this.dG.length = 0;
    this.mixed.length = 0;
    this.gamma = [];
  }
}
