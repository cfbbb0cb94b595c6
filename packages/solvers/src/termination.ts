import { z } from 'zod';
import { OptionError } from '@deqts/core-layers';

/**
 * The termination test, per sample. With r = f(u) − u and ‖·‖ the chosen {@link ResidualNorm}:
 *
 * - `'abs'`: every element |rᵢ| ≤ abstol (NonlinearSolve's AbsTerminationMode).
 * - `'rel'`: every element |rᵢ| ≤ reltol·|f(u)ᵢ| (RelTerminationMode; elements of f(u) near 0
 *   make it hard to meet — prefer `'relNorm'`).
 * - `'absNorm'` (default, as DEQ.jl v2): ‖r‖ ≤ abstol.
 * - `'relNorm'`: ‖r‖ ≤ reltol·‖f(u)‖ (TorchDEQ's `'rel'` is this with an unnormalised 2-norm).
 * - `'norm'`: ‖r‖ ≤ max(abstol, reltol·‖f(u)‖) (NonlinearSolve's NormTerminationMode).
 * - `'safeBest'`: the `'norm'` test, and every sample returns the lowest-residual iterate seen at
 *   any check, converged or not (DEQ.jl's `*_deq_best`, NonlinearSolve's `*SafeBest`).
 *
 * In every mode a sample that does not converge returns its lowest-residual finite iterate.
 *
 * @example
 * ```ts
 * import { Broyden, type TerminationMode } from '@deqts/solvers';
 * const mode: TerminationMode = 'relNorm';
 * const alg = new Broyden({ terminationMode: mode, reltol: 1e-4 });
 * ```
 */
export type TerminationMode = 'abs' | 'rel' | 'norm' | 'absNorm' | 'relNorm' | 'safeBest';

/**
 * Per-sample norm of the residual, normalised so that a tolerance means the same at any tensor
 * size: `'inf'` = max |rᵢ| (default, as DEQ.jl v2), `'l2'` = RMS = ‖r‖₂/√n.
 *
 * @example
 * ```ts
 * import { Anderson } from '@deqts/solvers';
 * const alg = new Anderson({ norm: 'l2' });
 * ```
 */
export type ResidualNorm = 'inf' | 'l2';

/**
 * Options every steady-state solve understands. They can be given to a root-finding algorithm's
 * constructor (`new Broyden({ maxiters: 50 })`) or to {@link solveSteadyState} (which wins).
 * For ODE algorithms, `abstol`/`reltol` in the constructor are the integrator's local-error
 * tolerances; the steady-state test takes its tolerances from solveSteadyState's options.
 *
 * @example
 * ```ts
 * import type { TerminationOptions } from '@deqts/solvers';
 * const strict: TerminationOptions = { abstol: 1e-5, reltol: 1e-5, maxiters: 100, norm: 'l2' };
 * ```
 */
export type TerminationOptions = {
  /** Absolute tolerance. Default 1e-3. */
  readonly abstol?: number;
  /** Relative tolerance. Default 1e-3. */
  readonly reltol?: number;
  /** Iteration budget (ODE: step attempts per sample). Default 32 (DEQ.jl v2). */
  readonly maxiters?: number;
  /** Which test; see {@link TerminationMode}. Default `'absNorm'`. */
  readonly terminationMode?: TerminationMode;
  /** Residual norm; see {@link ResidualNorm}. Default `'inf'`. */
  readonly norm?: ResidualNorm;
  /**
   * Run the convergence test (one small device-to-host read) every this many iterations. Default 1.
   * On cpu/wasm a check costs microseconds; raise it on GPU backends, where each read waits for
   * the device. Adaptive ODE methods read every step anyway and ignore it.
   */
  readonly checkEvery?: number;
  /** A sample whose residual exceeds this × its initial residual is stopped as 'diverged'. Default 1e6. */
  readonly divergenceThreshold?: number;
  /** Stop a sample as 'stalled' after this many checks without progress; 0 = never. Default 0. */
  readonly stallWindow?: number;
  /** Progress over the stall window means the best residual fell by this fraction. Default 0.01. */
  readonly stallTolerance?: number;
};

/** Termination options with every default filled in. */
export type TerminationSettings = { readonly [K in keyof TerminationOptions]-?: NonNullable<TerminationOptions[K]> };

/** DEQ.jl v2's defaults for DEQ use. */
export const TERMINATION_DEFAULTS: TerminationSettings = Object.freeze({
  abstol: 1e-3,
  reltol: 1e-3,
  maxiters: 32,
  terminationMode: 'absNorm',
  norm: 'inf',
  checkEvery: 1,
  divergenceThreshold: 1e6,
  stallWindow: 0,
  stallTolerance: 0.01,
});

/** zod fields of {@link TerminationOptions}, for merging into algorithm schemas. */
export const terminationFields = {
  abstol: z.number().nonnegative().optional(),
  reltol: z.number().nonnegative().optional(),
  maxiters: z.number().int().nonnegative().optional(),
  terminationMode: z.enum(['abs', 'rel', 'norm', 'absNorm', 'relNorm', 'safeBest']).optional(),
  norm: z.enum(['inf', 'l2']).optional(),
  checkEvery: z.number().int().positive().optional(),
  divergenceThreshold: z.number().gt(1).optional(),
  stallWindow: z.number().int().nonnegative().optional(),
  stallTolerance: z.number().gt(0).lt(1).optional(),
} as const;

const TERMINATION_KEYS = Object.keys(terminationFields) as (keyof TerminationOptions)[];

/** Picks the termination options out of a parsed options object (dropping undefined ones). */
export function pickTermination(options: Readonly<Record<string, unknown>>): TerminationOptions {
  const out: Record<string, unknown> = {};
  for (const key of TERMINATION_KEYS) if (options[key] !== undefined) out[key] = options[key];
  return out as TerminationOptions;
}

/** Defaults, overridden by each later layer in turn (e.g. algorithm options, then solve options). */
export function resolveTermination(...layers: readonly (TerminationOptions | undefined)[]): TerminationSettings {
  const merged: Record<string, unknown> = { ...TERMINATION_DEFAULTS };
  for (const layer of layers) {
    if (!layer) continue;
    for (const key of TERMINATION_KEYS) if (layer[key] !== undefined) merged[key] = layer[key];
  }
  const settings = merged as TerminationSettings;
  if ((settings.terminationMode === 'relNorm' || settings.terminationMode === 'rel') && settings.reltol === 0) {
    throw new OptionError(`terminationMode '${settings.terminationMode}' with option 'reltol' = 0 can only be met by an exact root; set reltol > 0`);
  }
  return settings;
}

/** Which per-sample quantities the device must compute for a check, in this order. */
export type CheckQuantities = {
  /** Always: the residual norm in the chosen norm. */
  readonly norm: true;
  /** ‖f(u)‖ in the chosen norm (relative norm tests). */
  readonly reference: boolean;
  /** max |rᵢ| (elementwise absolute test, when the chosen norm is not already 'inf'). */
  readonly maxAbs: boolean;
  /** max (|rᵢ| − reltol·|f(u)ᵢ|) (elementwise relative test). */
  readonly relativeExcess: boolean;
};

/** The quantities the termination test of `settings` needs. */
export function checkQuantities(settings: TerminationSettings): CheckQuantities {
  const mode = settings.terminationMode;
  return {
    norm: true,
    reference: mode === 'relNorm' || mode === 'norm' || mode === 'safeBest',
    maxAbs: mode === 'abs' && settings.norm !== 'inf',
    relativeExcess: mode === 'rel',
  };
}

/** Values of the check quantities for one sample (`NaN` where not computed). */
export type CheckValues = { norm: number; reference: number; maxAbs: number; relativeExcess: number };

/** The termination test for one sample. */
export function meetsTolerance(settings: TerminationSettings, v: CheckValues): boolean {
  const { abstol, reltol } = settings;
  switch (settings.terminationMode) {
    case 'abs':
      return (settings.norm === 'inf' ? v.norm : v.maxAbs) <= abstol;
    case 'rel':
      return v.relativeExcess <= 0;
    case 'absNorm':
      return v.norm <= abstol;
    case 'relNorm':
      return v.norm <= reltol * v.reference;
    case 'norm':
    case 'safeBest':
      return v.norm <= Math.max(abstol, reltol * v.reference);
  }
}
