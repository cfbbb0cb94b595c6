import { z } from 'zod';

/** The experiments the runner knows. */
export const EXPERIMENTS = ['mnist-dense', 'mnist-conv', 'cifar10-small', 'neural-ode'] as const;
/** The solvers the runner can build by name. */
export const SOLVER_NAMES = ['tsit5', 'vcabm3', 'broyden', 'lbroyden', 'newton', 'anderson', 'fixedpoint'] as const;

/** zod schema of the runner's options (CLI flags in camelCase). */
export const ExperimentOptionsSchema = z.strictObject({
  experiment: z.enum(EXPERIMENTS).default('mnist-dense'),
  profile: z.enum(['quick', 'paper']).default('quick'),
  variants: z.array(z.enum(['vanilla', 'skip', 'skipreg'])).min(1).optional(),
  jacobian: z.enum(['off', 'on', 'both']).optional(),
  solver: z.enum(SOLVER_NAMES).optional(),
  epochs: z.number().int().positive().optional(),
  batchSize: z.number().int().positive().optional(),
  trainSize: z.number().int().positive().optional(),
  testSize: z.number().int().positive().optional(),
  learningRate: z.number().positive().optional(),
  tolerance: z.number().positive().optional(),
  seed: z.number().int().nonnegative().default(0),
  out: z.string().min(1).optional(),
  cifarDir: z.string().min(1).optional(),
  backend: z.enum(['auto', 'wasm', 'cpu', 'tensorflow']).default('auto'),
});

/** Parsed runner options. */
export type ExperimentOptions = z.output<typeof ExperimentOptionsSchema>;

/** Everything that defines one run, after the profile's defaults are applied. */
export type ResolvedConfig = {
  readonly experiment: (typeof EXPERIMENTS)[number];
  readonly profile: 'quick' | 'paper';
  readonly variants: ReadonlyArray<'vanilla' | 'skip' | 'skipreg' | 'node'>;
  readonly jacobian: readonly boolean[];
  readonly solver: (typeof SOLVER_NAMES)[number];
  readonly epochs: number;
  readonly batchSize: number;
  readonly trainSize: number;
  readonly testSize: number;
  readonly learningRate: number;
  readonly optimizer: 'adam' | 'adamw';
  readonly weightDecay: number;
  readonly cosineTo: number | null;
  readonly tolerance: number;
  readonly maxiters: number;
  /** Steady-state test: 'relNorm' (‖f(z) − z‖₂ ≤ reltol·‖f(z)‖₂, the paper code's rel_deq_default) or 'absNorm' (‖·‖∞ ≤ abstol, DEQ.jl v2). */
  readonly termination: 'relNorm' | 'absNorm';
  readonly skipWeight: number;
  readonly jacobianWeight: number;
  readonly seed: number;
  readonly out: string;
  readonly cifarDir?: string;
  readonly backend: 'auto' | 'wasm' | 'cpu' | 'tensorflow';
};

type Defaults = Omit<ResolvedConfig, 'experiment' | 'profile' | 'seed' | 'out' | 'cifarDir' | 'backend'>;

/**
 * The paper's settings (Pal et al. 2022, research/deqjl.md §6) and the quick profile's reductions
 * of them (same models, fewer samples and epochs: under 10 minutes on 2 cores).
 */
export const PROFILES: Record<(typeof EXPERIMENTS)[number], { paper: Defaults; quick: Partial<Defaults> }> = {
  'mnist-dense': {
    paper: {
      variants: ['vanilla', 'skip', 'skipreg'], jacobian: [false, true], solver: 'tsit5', epochs: 25, batchSize: 32,
      trainSize: 60000, testSize: 10000, learningRate: 1e-3, optimizer: 'adam', weightDecay: 0, cosineTo: null,
      tolerance: 5e-3, maxiters: 100, termination: 'relNorm', skipWeight: 0.01, jacobianWeight: 1.0,
    },
    quick: { epochs: 2, trainSize: 6000, testSize: 2000, batchSize: 64 },
  },
  'mnist-conv': {
    paper: {
      variants: ['vanilla', 'skip', 'skipreg'], jacobian: [false], solver: 'broyden', epochs: 10, batchSize: 128,
      trainSize: 60000, testSize: 10000, learningRate: 1e-3, optimizer: 'adam', weightDecay: 0, cosineTo: null,
      tolerance: 1e-3, maxiters: 30, termination: 'relNorm', skipWeight: 0.01, jacobianWeight: 0,
    },
    quick: { epochs: 1, trainSize: 2000, testSize: 1000, batchSize: 64, variants: ['vanilla', 'skipreg'] },
  },
  'cifar10-small': {
    paper: {
      variants: ['vanilla', 'skip', 'skipreg', 'node'], jacobian: [false], solver: 'vcabm3', epochs: 52, batchSize: 128,
      trainSize: 50000, testSize: 10000, learningRate: 1e-3, optimizer: 'adamw', weightDecay: 2.5e-6, cosineTo: 1e-6,
      tolerance: 5e-2, maxiters: 18, termination: 'relNorm', skipWeight: 0.01, jacobianWeight: 0,
    },
    quick: { epochs: 1, trainSize: 512, testSize: 256, batchSize: 32, variants: ['vanilla', 'skipreg'] },
  },
  'neural-ode': {
    paper: {
      variants: ['node'], jacobian: [false], solver: 'tsit5', epochs: 25, batchSize: 32, trainSize: 60000, testSize: 10000,
      learningRate: 1e-3, optimizer: 'adam', weightDecay: 0, cosineTo: null, tolerance: 5e-3, maxiters: 200, termination: 'relNorm', skipWeight: 0,
      jacobianWeight: 0,
    },
    quick: { epochs: 2, trainSize: 4000, testSize: 1000, batchSize: 64 },
  },
};

/**
 * Applies the profile's defaults (the paper's settings, or the quick profile's reductions), then
 * the user's flags.
 *
 * @example
 * ```ts
 * import { resolveConfig } from '@deqts/train';
 * const config = resolveConfig({ experiment: 'mnist-dense', profile: 'paper', seed: 0, backend: 'auto' });
 * config.epochs; // 25
 * ```
 */
export function resolveConfig(options: ExperimentOptions): ResolvedConfig {
  const table = PROFILES[options.experiment];
  const base: Defaults = { ...table.paper, ...(options.profile === 'quick' ? table.quick : {}) };
  const jacobian = options.jacobian === undefined ? base.jacobian : options.jacobian === 'both' ? [false, true] : [options.jacobian === 'on'];
  return {
    ...base,
    experiment: options.experiment,
    profile: options.profile,
    variants: options.variants ?? base.variants,
    jacobian,
    solver: options.solver ?? base.solver,
    epochs: options.epochs ?? base.epochs,
    batchSize: options.batchSize ?? base.batchSize,
    trainSize: options.trainSize ?? base.trainSize,
    testSize: options.testSize ?? base.testSize,
    learningRate: options.learningRate ?? base.learningRate,
    tolerance: options.tolerance ?? base.tolerance,
    seed: options.seed,
    out: options.out ?? `runs/${options.experiment}-${options.profile}`,
    cifarDir: options.cifarDir,
    backend: options.backend,
  };
}
