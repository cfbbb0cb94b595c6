import { z } from 'zod';
import { OptionError, parseOptions } from '@deqts/core-layers';
import { AdamsStepper } from './adams.js';
import type { ControllerSettings } from './controller.js';
import { rungeKuttaStepper, type FlatRhs, type OdeStepper } from './stepper.js';
import { EULER, RK4 as RK4_TABLEAU, TSIT5, type Tableau } from './tableaus.js';

/**
 * Options shared by every ODE algorithm.
 *
 * @example
 * ```ts
 * import { RK4, type OdeCommonOptions } from '@deqts/solvers';
 * const opts: OdeCommonOptions = { dt: 0.05 };
 * const rk4 = new RK4(opts);
 * ```
 */
export type OdeCommonOptions = {
  /** Step size: the fixed step (required for Euler/RK4 and with `adaptive: false`), else the first step. */
  readonly dt?: number;
  /** Step attempts allowed per sample (accepted + rejected). Default: 10000 in solveOde, the termination's maxiters (32) in solveSteadyState. */
  readonly maxiters?: number;
};

/**
 * Options of the adaptive methods {@link Tsit5} and {@link VCABM3}.
 *
 * @example
 * ```ts
 * import { Tsit5, type AdaptiveOdeOptions } from '@deqts/solvers';
 * const loose: AdaptiveOdeOptions = { abstol: 1e-2, reltol: 5e-2, qmax: 5 };
 * const fixed: AdaptiveOdeOptions = { adaptive: false, dt: 0.1 };
 * const a = new Tsit5(loose), b = new Tsit5(fixed);
 * ```
 */
export type AdaptiveOdeOptions = OdeCommonOptions & {
  /** Error-controlled steps (default true); `false` steps with the fixed `dt`. */
  readonly adaptive?: boolean;
  /** Local-error absolute tolerance. Default: 1e-6 in solveOde; a tenth of the termination abstol in solveSteadyState. */
  readonly abstol?: number;
  /** Local-error relative tolerance. Default: 1e-3 in solveOde; a tenth of the termination reltol in solveSteadyState. */
  readonly reltol?: number;
  /** Smallest step before a sample stops as 'stalled' (or 'nonfinite' after NaN errors). Default 1e-10. */
  readonly dtmin?: number;
  /** Largest step. Default unbounded. */
  readonly dtmax?: number;
  /** PI controller gain on the current error. Default 7/(10·order) (OrdinaryDiffEq's). */
  readonly beta1?: number;
  /** PI controller gain on the previous error. Default 2/(5·order). */
  readonly beta2?: number;
  /** Smallest step ratio per step. Default 0.2. */
  readonly qmin?: number;
  /** Largest step ratio per step. Default 10. */
  readonly qmax?: number;
  /** Safety factor γ on the proposed step. Default 0.9. */
  readonly safety?: number;
};

/**
 * Resolved options of an ODE algorithm, as `algorithm.options` exposes them (read-only).
 *
 * @example
 * ```ts
 * import { VCABM3 } from '@deqts/solvers';
 * const { controller, adaptive } = new VCABM3().options;
 * controller.beta1; // 7/30
 * ```
 */
export type OdeAlgorithmSettings = {
  readonly adaptive: boolean;
  readonly dt: number | null;
  readonly maxiters: number | null;
  readonly abstol: number | null;
  readonly reltol: number | null;
  readonly controller: ControllerSettings;
};

const positive = z.number().positive();
const commonFields = { dt: positive.optional(), maxiters: z.number().int().positive().optional() };
const adaptiveFields = z.strictObject({
  ...commonFields,
  adaptive: z.boolean().default(true),
  abstol: z.number().nonnegative().optional(),
  reltol: z.number().nonnegative().optional(),
  dtmin: positive.default(1e-10),
  dtmax: positive.optional(),
  beta1: z.number().nonnegative().optional(),
  beta2: z.number().nonnegative().optional(),
  qmin: z.number().gt(0).lte(1).default(0.2),
  qmax: z.number().gte(1).default(10),
  safety: z.number().gt(0).lte(1).default(0.9),
});
const fixedFields = z.strictObject(commonFields);

/**
 * Base of the ODE algorithms: immutable values carrying validated options. In
 * {@link solveSteadyState} they integrate du/dt = f(u) − u until the steady-state test holds
 * (the "continuous DEQ"); {@link solveOde} integrates over a time span.
 *
 * @example
 * ```ts
 * import { OdeAlgorithm, Tsit5 } from '@deqts/solvers';
 * const alg = new Tsit5();
 * alg instanceof OdeAlgorithm; // true; alg.kind === 'ode', alg.order === 5
 * ```
 */
export abstract class OdeAlgorithm {
  readonly kind = 'ode' as const;
  /** The algorithm's name, e.g. `'Tsit5'`. */
  abstract readonly name: string;
  /** Classical order of the method. */
  abstract readonly order: number;
  /** Options with defaults filled in. */
  readonly options: Readonly<OdeAlgorithmSettings>;

  protected constructor(options: OdeAlgorithmSettings) {
    this.options = Object.freeze({ ...options, controller: Object.freeze({ ...options.controller }) });
  }

  /** @internal Creates the per-run stepper. */
  abstract createStepper(rhs: FlatRhs, batch: number): OdeStepper;

  /** A readable description, e.g. `Tsit5({"adaptive":true,…})`. */
  toString(): string {
    return `${this.name}(${JSON.stringify(this.options, finiteOrName)})`;
  }
}

function adaptiveSettings(owner: string, order: number, options: unknown): OdeAlgorithmSettings {
  const o = parseOptions(adaptiveFields, options ?? {}, owner);
  if (!o.adaptive && o.dt === undefined) throw new OptionError(`${owner}: option 'dt' is required when 'adaptive' is false (the fixed step size)`);
  if (o.dtmax !== undefined && o.dtmax < o.dtmin) throw new OptionError(`${owner}: option 'dtmax' (${o.dtmax}) must be ≥ 'dtmin' (${o.dtmin})`);
  return {
    adaptive: o.adaptive,
    dt: o.dt ?? null,
    maxiters: o.maxiters ?? null,
    abstol: o.abstol ?? null,
    reltol: o.reltol ?? null,
    controller: {
      beta1: o.beta1 ?? 7 / (10 * order),
      beta2: o.beta2 ?? 2 / (5 * order),
      qmin: o.qmin,
      qmax: o.qmax,
      safety: o.safety,
      dtmin: o.dtmin,
      dtmax: o.dtmax ?? Infinity,
    },
  };
}

function fixedSettings(owner: string, options: unknown): OdeAlgorithmSettings {
  const o = parseOptions(fixedFields, options ?? {}, owner);
  if (o.dt === undefined) throw new OptionError(`${owner}: option 'dt' is required (${owner} is a fixed-step method), e.g. new ${owner}({ dt: 0.1 })`);
  return {
    adaptive: false,
    dt: o.dt,
    maxiters: o.maxiters ?? null,
    abstol: null,
    reltol: null,
    controller: { beta1: 0, beta2: 0, qmin: 0.2, qmax: 10, safety: 0.9, dtmin: 0, dtmax: Infinity },
  };
}

/**
 * Tsitouras 5(4): explicit Runge–Kutta of order 5 with an embedded order-4 error estimate, FSAL
 * (6 f-evaluations per step), PI step-size control per sample. The default choice for smooth,
 * non-stiff dynamics and for continuous DEQs. `adaptive: false` steps with the fixed `dt`.
 *
 * ## Options
 * `adaptive` (true), `dt`, `abstol`/`reltol` (local error), `dtmin` (1e-10), `dtmax`, `beta1`
 * (0.14), `beta2` (0.08), `qmin` (0.2), `qmax` (10), `safety` (0.9), `maxiters`.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { Tsit5, solveOde } from '@deqts/solvers';
 * const sol = solveOde((u) => tf.neg(u), tf.ones([2, 1]), [0, 1], new Tsit5(), { abstol: 1e-8, reltol: 1e-8 });
 * sol.u.print(); // ≈ e⁻¹ = 0.3679
 * ```
 */
export class Tsit5 extends OdeAlgorithm {
  readonly name = 'Tsit5';
  readonly order = 5;

  constructor(options: AdaptiveOdeOptions = {}) {
    super(adaptiveSettings('Tsit5', 5, options));
  }

  /** @internal */
  createStepper(rhs: FlatRhs): OdeStepper {
    return rungeKuttaStepper(TSIT5, rhs);
  }
}

/**
 * Variable-coefficient Adams–Bashforth–Moulton of order 3 (PECE; 2 f-evaluations per step),
 * adaptive with a per-sample PI controller; the coefficients follow each sample's own step
 * history. Cheaper per step than Tsit5 when f is expensive and tolerances are loose — the
 * paper's continuous-DEQ solver family. The first two steps use Bogacki–Shampine 3(2).
 *
 * ## Options
 * As {@link Tsit5} (`beta1` default 7/30, `beta2` 2/15).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { VCABM3, solveSteadyState } from '@deqts/solvers';
 * const sol = solveSteadyState((u) => tf.tanh(tf.add(tf.mul(u, 0.5), 1)), tf.zeros([4, 3]), new VCABM3(), { maxiters: 100 });
 * ```
 */
export class VCABM3 extends OdeAlgorithm {
  readonly name = 'VCABM3';
  readonly order = 3;

  constructor(options: AdaptiveOdeOptions = {}) {
    super(adaptiveSettings('VCABM3', 3, options));
  }

  /** @internal */
  createStepper(rhs: FlatRhs, batch: number): OdeStepper {
    return new AdamsStepper(rhs, batch);
  }
}

abstract class FixedStepAlgorithm extends OdeAlgorithm {
  protected abstract readonly tableau: Tableau;

  /** @internal */
  createStepper(rhs: FlatRhs): OdeStepper {
    return rungeKuttaStepper(this.tableau, rhs);
  }
}

/**
 * Explicit Euler with a fixed step `dt` (required). On du/dt = f(u) − u, `dt: 1` is exactly the
 * fixed-point iteration and `dt < 1` its damped form.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { Euler, solveOde } from '@deqts/solvers';
 * const sol = solveOde((u) => tf.neg(u), tf.ones([1, 1]), [0, 1], new Euler({ dt: 0.01 }));
 * ```
 */
export class Euler extends FixedStepAlgorithm {
  readonly name = 'Euler';
  readonly order = 1;
  protected readonly tableau = EULER;

  constructor(options: OdeCommonOptions = {}) {
    super(fixedSettings('Euler', options));
  }
}

/**
 * The classical 4th-order Runge–Kutta method with a fixed step `dt` (required); 4 f-evaluations
 * per step. Differentiable through (every operation is a tfjs op; no host reads in solveOde).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { RK4, solveOde } from '@deqts/solvers';
 * const sol = solveOde((u) => tf.neg(u), tf.ones([1, 1]), [0, 1], new RK4({ dt: 0.1 }));
 * ```
 */
export class RK4 extends FixedStepAlgorithm {
  readonly name = 'RK4';
  readonly order = 4;
  protected readonly tableau = RK4_TABLEAU;

  constructor(options: OdeCommonOptions = {}) {
    super(fixedSettings('RK4', options));
  }
}

/** JSON replacer keeping Infinity readable ("Infinity" instead of null). */
function finiteOrName(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;
}
