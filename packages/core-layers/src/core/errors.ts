/**
 * The one error hierarchy of DEQ.ts. Every error the library throws on purpose is a
 * {@link DeqtsError}; its `code` says which kind, and `layerPath` (when a layer raised it) says
 * where in the model tree it happened, e.g. `layer_2.model.layer_1`.
 *
 * @example
 * ```ts
 * import { Dense, setup, Xoshiro, ShapeError } from '@deqts/core-layers';
 * import * as tf from '@tensorflow/tfjs-core';
 * const d = Dense(3, 2);
 * const [ps, st] = setup(new Xoshiro(0), d);
 * try { d(tf.zeros([4, 5]), ps, st); } catch (e) { if (e instanceof ShapeError) console.log(e.message); }
 * ```
 */
export class DeqtsError extends Error {
  /** Machine-readable category: 'shape' | 'option' | 'state' | 'gradient' | 'checkpoint' | 'data' | … */
  readonly code: string;
  /** Path of the layer that raised the error, outermost first (empty when not raised by a layer). */
  readonly layerPath: readonly string[];
  /** The message without the path prefix. */
  readonly detail: string;

  constructor(code: string, detail: string, layerPath: readonly string[] = []) {
    super(DeqtsError.format(detail, layerPath));
    // subclasses spell their name out as a field (minifiers rename classes); this is the fallback
    this.name = new.target === DeqtsError ? 'DeqtsError' : new.target.name;
    this.code = code;
    this.detail = detail;
    this.layerPath = layerPath;
  }

  /** A copy of this error with `key` prepended to its layer path (used by containers). */
  withOuterPath(key: string): this {
    const Ctor = this.constructor as new (detail: string, layerPath: readonly string[]) => this;
    const copy = new Ctor(this.detail, [key, ...this.layerPath]);
    copy.stack = this.stack;
    return copy;
  }

  private static format(detail: string, layerPath: readonly string[]): string {
    return layerPath.length > 0 ? `[${layerPath.join('.')}] ${detail}` : detail;
  }
}

/**
 * An input or parameter has the wrong shape, rank or dtype. The message names the layer path,
 * the expected shape and the shape received.
 *
 * @example
 * ```ts
 * import { ShapeError } from '@deqts/core-layers';
 * const e = new ShapeError("Dense(3 => 2) expects input of shape [batch, 3], got [4, 5]", ['layer_1']);
 * console.log(e.message); // "[layer_1] Dense(3 => 2) expects input of shape [batch, 3], got [4, 5]"
 * ```
 */
export class ShapeError extends DeqtsError {
  /** The class name, spelled out so that minified bundles keep it. */
  override name = 'ShapeError';
  constructor(detail: string, layerPath: readonly string[] = []) {
    super('shape', detail, layerPath);
  }
}

/**
 * A user-facing options object is invalid: an unknown key, a wrong type or an out-of-range value.
 * Raised from zod's issues; the message names the option and what was expected.
 *
 * @example
 * ```ts
 * import { Dense, OptionError } from '@deqts/core-layers';
 * try { Dense(3, 2, { activaton: 'relu' } as never); } catch (e) { console.log((e as OptionError).message); }
 * ```
 */
export class OptionError extends DeqtsError {
  /** The class name, spelled out so that minified bundles keep it. */
  override name = 'OptionError';
  constructor(detail: string, layerPath: readonly string[] = []) {
    super('option', detail, layerPath);
  }
}

/**
 * A parameter or state tree does not match the layer it was passed to (missing or extra keys,
 * a state from another model, a stale state).
 *
 * @example
 * ```ts
 * import { StateStructureError } from '@deqts/core-layers';
 * const e = new StateStructureError('expected keys {weight, bias}, got {gamma}', ['layer_2']);
 * console.log(e.code); // 'state'
 * ```
 */
export class StateStructureError extends DeqtsError {
  /** The class name, spelled out so that minified bundles keep it. */
  override name = 'StateStructureError';
  constructor(detail: string, layerPath: readonly string[] = []) {
    super('state', detail, layerPath);
  }
}

/**
 * Automatic differentiation could not be carried out as asked (e.g. a non-scalar loss).
 *
 * @example
 * ```ts
 * import { GradientError } from '@deqts/core-layers';
 * console.log(new GradientError('loss must be a scalar, got shape [3]').code); // 'gradient'
 * ```
 */
export class GradientError extends DeqtsError {
  /** The class name, spelled out so that minified bundles keep it. */
  override name = 'GradientError';
  constructor(detail: string, layerPath: readonly string[] = []) {
    super('gradient', detail, layerPath);
  }
}

/**
 * The engine (tfjs backend) could not be initialised as asked.
 *
 * @example
 * ```ts
 * import { BackendError } from '@deqts/core-layers';
 * console.log(new BackendError("backend 'webgpu' is not available").code); // 'backend'
 * ```
 */
export class BackendError extends DeqtsError {
  /** The class name, spelled out so that minified bundles keep it. */
  override name = 'BackendError';
  constructor(detail: string, layerPath: readonly string[] = []) {
    super('backend', detail, layerPath);
  }
}
