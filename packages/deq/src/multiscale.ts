import * as tf from '@tensorflow/tfjs-core';
import {
  BranchLayer, callChild, Chain, defineLayer, OptionError, Parallel, ShapeError,
  type AnyLayer, type Layer, type Params, type States,
} from '@deqts/core-layers';
import type { SteadyStateAlgorithm } from '@deqts/solvers';
import { makeDeq, type DeqParams, type DeqStates } from './deq.js';
import type { DeqOptionsInput } from './options.js';

/** The shape of each scale, without the batch axis (e.g. `[[32, 32, 24], [16, 16, 24]]` NHWC). */
export type Scales = ReadonlyArray<readonly number[]>;

const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

function validateScales(owner: string, scales: Scales, count: number): void {
  if (!Array.isArray(scales) || scales.length !== count || scales.some((s) => !Array.isArray(s) || s.some((d) => !Number.isInteger(d) || d <= 0))) {
    throw new OptionError(`${owner}: argument 'scales' must list ${count} shapes of positive integers (one per main layer), got ${JSON.stringify(scales)}`);
  }
}

/**
 * Splits a flat multiscale state `[batch, Σ size(scale)]` into one tensor per scale, shaped
 * `[batch, ...scale]` (row-major, the inverse of {@link flattenScales}).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { splitScales } from '@deqts/deq';
 * const [a, b] = splitScales(tf.zeros([3, 7]), [[4], [3]]); // [3, 4], [3, 3]
 * ```
 */
export function splitScales(u: tf.Tensor, scales: Scales): tf.Tensor[] {
  const sizes = scales.map(sizeOf);
  const total = sizes.reduce((a, b) => a + b, 0);
  if (u.rank !== 2 || u.shape[1] !== total) {
    throw new ShapeError(`multiscale state must have shape [batch, ${total}], got [${u.shape.join(', ')}]`);
  }
  const pieces = sizes.length === 1 ? [u] : tf.split(u, sizes, 1);
  return pieces.map((p, i) => tf.reshape(p, [u.shape[0], ...scales[i]]));
}

/**
 * Flattens per-scale tensors `[batch, ...scale_i]` into one `[batch, Σ size(scale_i)]` tensor.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { flattenScales } from '@deqts/deq';
 * flattenScales([tf.zeros([3, 2, 2, 1]), tf.zeros([3, 1])]).shape; // [3, 5]
 * ```
 */
export function flattenScales(parts: readonly tf.Tensor[]): tf.Tensor {
  const flat = parts.map((p) => tf.reshape(p, [p.shape[0], -1]));
  return flat.length === 1 ? flat[0] : tf.concat(flat, 1);
}

const sumAll = (...ts: tf.Tensor[]): tf.Tensor => (ts.length === 1 ? ts[0] : tf.addN(ts));

/**
 * The multiscale map f([u, x]) of an MDEQ: u (flat) is split into scales; `mainLayers[0]` gets
 * `[u_1, x]`, `mainLayers[i]` gets `u_i`; then output scale j = Σ_i `mapping[i][j](y_i)`; then the
 * optional post-fuse layers; the result is flattened back. As DeepEquilibriumNetworks.jl's
 * `MultiScaleInputLayer`.
 *
 * @example
 * ```ts
 * // built by MultiScaleDeepEquilibriumNetwork; see its example
 * ```
 */
export function MultiScaleInputLayer(
  mainLayers: readonly AnyLayer[],
  mappingLayers: ReadonlyArray<readonly AnyLayer[]>,
  postFuseLayers: readonly AnyLayer[] | null,
  scales: Scales,
): Layer<[tf.Tensor, tf.Tensor], tf.Tensor, Params, States> {
  const n = mainLayers.length;
  if (mappingLayers.length !== n || mappingLayers.some((row) => row.length !== n)) {
    throw new OptionError(`MultiScaleDeepEquilibriumNetwork: 'mappingLayers' must be a ${n}×${n} matrix of layers (mapping[i][j] maps scale i to scale j)`);
  }
  if (postFuseLayers && postFuseLayers.length !== n) {
    throw new OptionError(`MultiScaleDeepEquilibriumNetwork: 'postFuseLayers' must have ${n} layers or be null`);
  }
  const fuse = BranchLayer(...Array.from({ length: n }, (_, j) => Parallel(sumAll, ...mappingLayers.map((row) => row[j]))));
  const stages: AnyLayer[] = [Parallel(null, ...mainLayers), fuse];
  if (postFuseLayers) stages.push(Parallel(null, ...postFuseLayers));
  const body = Chain(...stages) as unknown as AnyLayer;
  return defineLayer<[tf.Tensor, tf.Tensor], tf.Tensor, Params, States>({
    name: 'MultiScaleInputLayer',
    description: `MultiScaleInputLayer(scales=${JSON.stringify(scales)})`,
    children: { model: body },
    stateKeys: ['model'],
    initialParameters: (rng) => ({ model: body.initialParameters(rng.split()) }),
    initialStates: (rng) => ({ model: body.initialStates(rng.split()) }),
    forward: ([u, x], ps, st) => {
      const parts = splitScales(u, scales);
      const [outs, s] = callChild<unknown, tf.Tensor[]>('model', body, [[parts[0], x], ...parts.slice(1)], ps, st);
      return [flattenScales(outs), { model: s }];
    },
  });
}

/** Options of the multiscale DEQs: the DEQ options (the `init` is given by the constructor). */
export type MultiScaleOptions = DeqOptionsInput;

function totalSize(scales: Scales): number {
  return scales.map(sizeOf).reduce((a, b) => a + b, 0);
}

function multiscale(
  name: string,
  mainLayers: readonly AnyLayer[],
  mappingLayers: ReadonlyArray<readonly AnyLayer[]>,
  postFuseLayers: readonly AnyLayer[] | null,
  init: AnyLayer | null | undefined,
  solver: SteadyStateAlgorithm,
  scales: Scales,
  options: MultiScaleOptions,
): Layer<tf.Tensor, tf.Tensor[], DeqParams, DeqStates> {
  validateScales(name, scales, mainLayers.length);
  const f = MultiScaleInputLayer(mainLayers, mappingLayers, postFuseLayers, scales);
  const total = totalSize(scales);
  return makeDeq<tf.Tensor[]>(
    name,
    f,
    solver,
    init === undefined ? options : { ...options, init },
    (x) => tf.zeros([x.shape[0], total]),
    (z) => splitScales(z, scales),
  );
}

/**
 * MultiScaleDeepEquilibriumNetwork(mainLayers, mappingLayers, postFuseLayers, solver, scales,
 * options): a multiscale DEQ (MDEQ). The state holds every scale at once (flat
 * `[batch, Σ size(scale)]`, zeros initially); the output is one tensor per scale,
 * `[batch, ...scales[i]]`. `mappingLayers[i][j]` maps scale i to scale j (NoOpLayer on the
 * diagonal); `postFuseLayers` (or null) run per scale after fusion.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { Dense, NoOpLayer, Parallel, setup, Xoshiro } from '@deqts/core-layers';
 * import { Broyden } from '@deqts/solvers';
 * import { MultiScaleDeepEquilibriumNetwork } from '@deqts/deq';
 * const add = (a: tf.Tensor, b: tf.Tensor) => tf.add(a, b);
 * const dims = [4, 3, 2, 1];
 * const main = [Parallel(add, Dense(4, 4), Dense(4, 4)), Dense(3, 3), Dense(2, 2), Dense(1, 1)];
 * const mapping = dims.map((di, i) => dims.map((dj, j) => (i === j ? NoOpLayer() : Dense(di, dj))));
 * const mdeq = MultiScaleDeepEquilibriumNetwork(main, mapping, null, new Broyden(), dims.map((d) => [d]));
 * const [ps, st] = setup(new Xoshiro(0), mdeq);
 * const [ys] = mdeq(tf.ones([3, 4]), ps, st); // shapes [3,4], [3,3], [3,2], [3,1]
 * ```
 */
export function MultiScaleDeepEquilibriumNetwork(
  mainLayers: readonly AnyLayer[],
  mappingLayers: ReadonlyArray<readonly AnyLayer[]>,
  postFuseLayers: readonly AnyLayer[] | null,
  solver: SteadyStateAlgorithm,
  scales: Scales,
  options: MultiScaleOptions = {},
): Layer<tf.Tensor, tf.Tensor[], DeqParams, DeqStates> {
  return multiscale('MultiScaleDeepEquilibriumNetwork', mainLayers, mappingLayers, postFuseLayers, undefined, solver, scales, options);
}

/**
 * MultiScaleSkipDeepEquilibriumNetwork(main, mapping, postFuse, initLayers, solver, scales,
 * options): Skip MDEQ, where `initLayers[i]` maps x to scale i (u0 = flatten of their outputs);
 * or MultiScaleSkipDeepEquilibriumNetwork(main, mapping, postFuse, solver, scales, options): Skip
 * Reg MDEQ (u0 = f(0, x)).
 *
 * @example
 * ```ts
 * // as MultiScaleDeepEquilibriumNetwork, with init layers Dense(4, d) for each scale d:
 * // MultiScaleSkipDeepEquilibriumNetwork(main, mapping, null, [Dense(4,4), Dense(4,3), Dense(4,2), Dense(4,1)], new Broyden(), scales)
 * ```
 */
export function MultiScaleSkipDeepEquilibriumNetwork(
  mainLayers: readonly AnyLayer[],
  mappingLayers: ReadonlyArray<readonly AnyLayer[]>,
  postFuseLayers: readonly AnyLayer[] | null,
  initOrSolver: readonly AnyLayer[] | SteadyStateAlgorithm,
  solverOrScales: SteadyStateAlgorithm | Scales,
  scalesOrOptions?: Scales | MultiScaleOptions,
  maybeOptions: MultiScaleOptions = {},
): Layer<tf.Tensor, tf.Tensor[], DeqParams, DeqStates> {
  const name = 'MultiScaleSkipDeepEquilibriumNetwork';
  if (Array.isArray(initOrSolver)) {
    const initLayers = initOrSolver as readonly AnyLayer[];
    const scales = scalesOrOptions as Scales;
    validateScales(name, scales, mainLayers.length);
    if (initLayers.length !== mainLayers.length) {
      throw new OptionError(`${name}: one init layer per scale is needed (${mainLayers.length}), got ${initLayers.length}`);
    }
    const branches = Parallel(null, ...initLayers);
    const init = Chain(branches, (() => {
      const flatten = defineLayer<tf.Tensor[], tf.Tensor, Record<string, never>, Record<string, never>>({
        name: 'FlattenScales',
        parameterShapes: {},
        stateKeys: [],
        initialParameters: () => ({}),
        initialStates: () => ({}),
        forward: (parts, _ps, st) => [flattenScales(parts), st],
      });
      return flatten;
    })());
    return multiscale(name, mainLayers, mappingLayers, postFuseLayers, init, solverOrScales as SteadyStateAlgorithm, scales, maybeOptions);
  }
  return multiscale(name, mainLayers, mappingLayers, postFuseLayers, null, initOrSolver as SteadyStateAlgorithm, solverOrScales as Scales, (scalesOrOptions ?? {}) as MultiScaleOptions);
}
