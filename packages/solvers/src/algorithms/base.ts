import type * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { parseOptions } from '@deqts/core-layers';
import { pickTermination, terminationFields, type TerminationOptions, type TerminationSettings } from '../termination.js';

/** What a root-finding method sees of the problem (internal). */
export type NonlinearContext = {
  /** Batch size B and per-sample size n of the flattened state [B, n]. */
  readonly batch: number;
  readonly size: number;
  /** Evaluates the fixed-point map on a [B, n] state; counts one function evaluation. */
  readonly evaluate: (u: tf.Tensor2D) => tf.Tensor2D;
  readonly settings: TerminationSettings;
};

/** The state handed to a method's step: current iterate, f(u), residual f(u) − u, running rows. */
export type StepInput = {
  readonly u: tf.Tensor2D;
  readonly fu: tf.Tensor2D;
  readonly r: tf.Tensor2D;
  /** [B, 1] bool: rows still iterated. Frozen rows must come back unchanged. */
  readonly active: tf.Tensor2D;
  /** The same flags on the host (1 = running). */
  readonly activeHost: Uint8Array;
};

/** A method's step result: the next iterate and f of it; `reads` are [B] columns or [B, c] blocks of columns it wants on the host. */
export type StepOutput = {
  readonly u: tf.Tensor2D;
  readonly fu: tf.Tensor2D;
  /** f(u) − u, when the method computed it anyway (the driver forms it otherwise). */
  readonly r?: tf.Tensor2D;
  readonly reads?: readonly tf.Tensor[];
  /** Values for `receive` the method already has on the host (instead of `reads`). */
  readonly hostReads?: readonly Float32Array[];
  /**
   * The convergence check's per-sample quantities for the new state, already on the host, in the
   * order the driver's own check computes them (norm of r, then the reference norm of f(u) and
   * max |r| where the termination mode needs them); the driver computes them when absent.
   */
  readonly checks?: readonly Float32Array[];
};

/**
 * One run of a root-finding method (internal). `step` is called inside a tf.tidy: the method
 * must tf.keep every tensor it retains across steps and dispose it when it is replaced.
 */
export interface NonlinearMethod {
  init(state: StepInput): void;
  step(state: StepInput): StepOutput;
  /** Receives the host values of the previous step's `reads`, in order. */
  receive?(values: readonly Float32Array[]): void;
  dispose(): void;
}

/**
 * Base of the root-finding algorithms: an immutable value carrying validated options.
 * `kind` tells the DEQ layers (and {@link solveSteadyState}) how to run it.
 *
 * @example
 * ```ts
 * import { Broyden, NonlinearAlgorithm } from '@deqts/solvers';
 * const alg = new Broyden({ maxiters: 50 });
 * alg instanceof NonlinearAlgorithm; // true; alg.kind === 'nonlinear'
 * alg.termination.maxiters;          // 50
 * alg.options.lineSearch;            // 'none'
 * ```
 */
export abstract class NonlinearAlgorithm<Options extends object = object> {
  readonly kind = 'nonlinear' as const;
  /** The algorithm's name, e.g. `'Broyden'`. */
  abstract readonly name: string;
  /** The algorithm's own options with defaults filled in. */
  readonly options: Readonly<Options>;
  /** Termination options given to the constructor (solve options override them). */
  readonly termination: Readonly<TerminationOptions>;

  protected constructor(options: Readonly<Options>, termination: TerminationOptions) {
    this.options = Object.freeze({ ...options });
    this.termination = Object.freeze({ ...termination });
  }

  /** @internal Creates the method's per-solve state. */
  abstract createMethod(ctx: NonlinearContext): NonlinearMethod;

  /** A readable description, e.g. `Anderson({"memory":5,"damping":1,…})`. */
  toString(): string {
    return `${this.name}(${JSON.stringify({ ...this.options, ...this.termination }, finiteOrName)})`;
  }
}

/**
 * Parses an algorithm's options: its own fields (with defaults) plus the termination fields.
 * Unknown keys and invalid values throw an OptionError naming them.
 */
export function parseAlgorithmOptions<Shape extends z.ZodRawShape>(
  own: Shape,
  value: unknown,
  owner: string,
): { own: z.output<z.ZodObject<Shape>>; termination: TerminationOptions } {
  const schema = z.strictObject({ ...terminationFields, ...own });
  const parsed = parseOptions(schema, value ?? {}, owner) as Record<string, unknown>;
  const termination = pickTermination(parsed);
  const ownValues: Record<string, unknown> = {};
  for (const key of Object.keys(own)) ownValues[key] = parsed[key];
  return { own: ownValues as z.output<z.ZodObject<Shape>>, termination };
}

/** JSON replacer keeping Infinity readable ("Infinity" instead of null). */
function finiteOrName(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;
}
