import * as tf from '@tensorflow/tfjs-core';
import {
  OptionError, AdaptiveMeanPool, glorotUniform, Chain, Conv, Dense, FlattenLayer, GlobalMeanPool, GroupNorm, NoOpLayer, Parallel, Upsample, WrappedFunction,
  type AnyLayer,
} from '@deqts/core-layers';
import { DeepEquilibriumNetwork, MultiScaleDeepEquilibriumNetwork, MultiScaleNeuralODE, MultiScaleSkipDeepEquilibriumNetwork, type DeqOptionsInput } from '@deqts/deq';
import { OdeAlgorithm, type SteadyStateAlgorithm } from '@deqts/solvers';

/** Which DEQ variant of the paper. */
export type DeqVariant = 'vanilla' | 'skip' | 'skipreg';

/** What a model builder needs. */
export type ModelSpec = {
  readonly variant: DeqVariant;
  readonly solver: SteadyStateAlgorithm;
  readonly deqOptions: DeqOptionsInput;
};

const add = (a: tf.Tensor, b: tf.Tensor): tf.Tensor => tf.add(a, b);

/**
 * The paper-era code (2022) used Lux 0.4 / Flux, whose Dense default initialiser was Glorot
 * uniform (Lux 1.x switched to Kaiming uniform). With Kaiming's relu gain the DEQ map's spectral
 * radius starts near 1.4 and du/dt = f(u) − u has no stable steady state, so the paper models
 * here use Glorot uniform as the paper did.
 */
const paperDense = (i: number, o: number, options: { activation?: 'relu'; useBias?: boolean } = {}) =>
  Dense(i, o, { ...options, initWeight: glorotUniform() });

function odeSolver(solver: SteadyStateAlgorithm): OdeAlgorithm {
  if (!(solver instanceof OdeAlgorithm)) throw new OptionError('the neural ODE baseline needs an ODE solver (--solver tsit5 or vcabm3)');
  return solver;
}

function deqWithVariant(f: AnyLayer, init: AnyLayer, spec: ModelSpec): AnyLayer {
  if (spec.variant === 'vanilla') return DeepEquilibriumNetwork(f, spec.solver, spec.deqOptions);
  if (spec.variant === 'skip') return DeepEquilibriumNetwork(f, spec.solver, { ...spec.deqOptions, init });
  return DeepEquilibriumNetwork(f, spec.solver, { ...spec.deqOptions, init: null });
}

/**
 * The paper's MNIST fully connected model (Pal et al. 2022; the v1 script `mnist_fc.jl`):
 * Dense(784 → 128, relu) → DEQ with f(z, x) = relu(W z) + relu(U x) (128 → 128, no biases)
 * → Dense(128 → 10). The Skip DEQ's explicit guess is Dense(128 → 128, relu).
 * The DEQ is the chain's `layer_3` (after the flatten).
 *
 * @example
 * ```ts
 * import { Tsit5 } from '@deqts/solvers';
 * import { mnistDenseModel } from '@deqts/train';
 * const model = mnistDenseModel({ variant: 'skipreg', solver: new Tsit5(), deqOptions: { reltol: 5e-3, abstol: 5e-3 } });
 * ```
 */
export function mnistDenseModel(spec: ModelSpec): AnyLayer {
  const f = Parallel(add, paperDense(128, 128, { activation: 'relu', useBias: false }), paperDense(128, 128, { activation: 'relu', useBias: false }));
  return Chain(FlattenLayer(), paperDense(784, 128, { activation: 'relu' }), deqWithVariant(f, paperDense(128, 128, { activation: 'relu' }), spec), paperDense(128, 10));
}

/**
 * A convolutional MNIST DEQ (FACTS.md config D, in NHWC): injection Conv(1 → 16, 3×3, pad 1);
 * f(z, u) = tanh(GroupNorm(4, 16)(Conv(16 → 16, 3×3, pad 1)(z)) + u); head AdaptiveMeanPool 4×4
 * → Dense(256 → 10). The Skip guess is Conv(16 → 16, 3×3, pad 1, tanh) of the injection.
 *
 * @example
 * ```ts
 * import { Broyden } from '@deqts/solvers';
 * import { mnistConvModel } from '@deqts/train';
 * const model = mnistConvModel({ variant: 'vanilla', solver: new Broyden(), deqOptions: {} });
 * ```
 */
export function mnistConvModel(spec: ModelSpec): AnyLayer {
  const f = Chain(
    Parallel(add, Chain(Conv([3, 3], 16, 16, { padding: 1 }), GroupNorm(16, 4)), NoOpLayer()),
    WrappedFunction((t: tf.Tensor) => tf.tanh(t), 'tanh'),
  );
  const init = Conv([3, 3], 16, 16, { padding: 1, activation: 'tanh' });
  return Chain(Conv([3, 3], 1, 16, { padding: 1 }), deqWithVariant(f, init, spec), AdaptiveMeanPool([4, 4]), FlattenLayer(), Dense(256, 10));
}

/** A residual block of the MDEQ family: conv3x3 C→eC, GroupNorm, relu, conv3x3 eC→C, GroupNorm (+ injection). */
function residualBlock(channels: number, expansion: number, groups: number): AnyLayer {
  const hidden = channels * expansion;
  return Chain(
    Conv([3, 3], channels, hidden, { padding: 1 }),
    GroupNorm(hidden, groups, { activation: 'relu' }),
    Conv([3, 3], hidden, channels, { padding: 1 }),
    GroupNorm(channels, groups),
  );
}

/**
 * MDEQ-small for CIFAR-10 (research/deqjl.md §6.2, cifar10/tiny.yml): 2 branches of 24 channels at
 * 32×32 and 16×16, expansion 5, residual blocks with GroupNorm, stride-2 conv down-mapping,
 * 1×1 conv + nearest upsampling up-mapping, a GlobalMeanPool head over both scales.
 * `variant: 'node'` gives the neural ODE baseline on the same map.
 *
 * @example
 * ```ts
 * import { Tsit5 } from '@deqts/solvers';
 * import { cifarSmallModel } from '@deqts/train';
 * const model = cifarSmallModel({ variant: 'vanilla', solver: new Tsit5(), deqOptions: { reltol: 0.05, abstol: 0.05 } });
 * ```
 */
export function cifarSmallModel(spec: ModelSpec | (Omit<ModelSpec, 'variant'> & { variant: 'node' })): AnyLayer {
  const c = 24;
  const groups = 4;
  const scales = [[32, 32, c], [16, 16, c]];
  const main = [
    Parallel(add, residualBlock(c, 5, groups), NoOpLayer()),
    residualBlock(c, 5, groups),
  ];
  const mapping = [
    [NoOpLayer(), Chain(Conv([3, 3], c, c, { padding: 1, stride: 2 }), GroupNorm(c, groups))],
    [Chain(Conv([1, 1], c, c), GroupNorm(c, groups), Upsample({ scale: 2, mode: 'nearest' })), NoOpLayer()],
  ];
  const post = [Chain(Conv([1, 1], c, c), GroupNorm(c, groups)), Chain(Conv([1, 1], c, c), GroupNorm(c, groups))];
  const injection = Chain(Conv([3, 3], 3, c, { padding: 1 }), GroupNorm(c, groups, { activation: 'relu' }));
  let deq: AnyLayer;
  if (spec.variant === 'node') deq = MultiScaleNeuralODE(main, mapping, post, odeSolver(spec.solver), scales, spec.deqOptions);
  else if (spec.variant === 'vanilla') deq = MultiScaleDeepEquilibriumNetwork(main, mapping, post, spec.solver, scales, spec.deqOptions);
  else if (spec.variant === 'skip') {
    const inits = [residualBlock(c, 1, groups), Chain(Conv([3, 3], c, c, { padding: 1, stride: 2 }), GroupNorm(c, groups))];
    deq = MultiScaleSkipDeepEquilibriumNetwork(main, mapping, post, inits, spec.solver, scales, spec.deqOptions);
  } else deq = MultiScaleSkipDeepEquilibriumNetwork(main, mapping, post, spec.solver, scales, spec.deqOptions);
  const head = Chain(
    Parallel((a: tf.Tensor, b: tf.Tensor) => tf.concat([a, b], 1), Chain(GlobalMeanPool(), FlattenLayer()), Chain(GlobalMeanPool(), FlattenLayer())),
    Dense(2 * c, 10),
  );
  return Chain(injection, deq, head);
}

/**
 * The neural ODE baseline on the MNIST dense model: du/dt = f(u, x) − u integrated over [0, 1]
 * (the same f as {@link mnistDenseModel}), gradients by backpropagation through the solver steps.
 *
 * @example
 * ```ts
 * import { Tsit5 } from '@deqts/solvers';
 * import { mnistNeuralOdeModel } from '@deqts/train';
 * const model = mnistNeuralOdeModel({ solver: new Tsit5(), deqOptions: { reltol: 5e-3, abstol: 5e-3 } });
 * ```
 */
export function mnistNeuralOdeModel(spec: Omit<ModelSpec, 'variant'>): AnyLayer {
  const f = Parallel(add, paperDense(128, 128, { activation: 'relu', useBias: false }), paperDense(128, 128, { activation: 'relu', useBias: false }));
  const node = MultiScaleNeuralODE([f], [[NoOpLayer()]], null, odeSolver(spec.solver), [[128]], spec.deqOptions);
  return Chain(FlattenLayer(), paperDense(784, 128, { activation: 'relu' }), node, WrappedFunction((ys: tf.Tensor[]) => ys[0], 'first'), paperDense(128, 10));
}
