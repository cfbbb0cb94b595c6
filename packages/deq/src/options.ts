import { z } from 'zod';
import { AdjointOptionsSchema } from './adjoint.js';

/** The gradient a DEQ layer gives its inputs and parameters. */
export type DeqGradient = 'implicit' | 'jfb' | 'phantom';

/** zod schema of the DEQ options (validated by every DEQ constructor; unknown keys are errors). */
export const DeqOptionsSchema = z.strictObject({
  abstol: z.number().positive().default(1e-3),
  reltol: z.number().positive().default(1e-3),
  maxiters: z.number().int().positive().default(32),
  /** Extra options passed to solveSteadyState (termination mode, norms, checkEvery, …). */
  solverOptions: z.record(z.string(), z.unknown()).default({}),
  jacobianRegularization: z.boolean().default(false),
  gradient: z.enum(['implicit', 'jfb', 'phantom']).default('implicit'),
  adjoint: AdjointOptionsSchema.default({ method: 'gmres', maxiters: 32, tol: 1e-5, restart: 20 }),
  phantomSteps: z.number().int().positive().default(5),
  phantomDamping: z.number().positive().max(1).default(0.5),
});

/** Parsed DEQ options (defaults filled in). */
export type DeqOptions = z.output<typeof DeqOptionsSchema>;

/**
 * Options of {@link DeepEquilibriumNetwork}. Defaults follow DeepEquilibriumNetworks.jl v2:
 * abstol = reltol = 1e-3, maxiters = 32 (∞-norm termination in the solver).
 */
export type DeqOptionsInput = z.input<typeof DeqOptionsSchema>;
