/**
 * The benchmark configs A–E of shared/FACTS.md ("The reference to beat") as DEQ.ts models; used by
 * deq-configs.ts (the benchmark) and ab-step.ts (A/B timing of one optimisation).
 */
import * as tf from '@tensorflow/tfjs-core';
import { AdaptiveMeanPool, Chain, Conv, Dense, FlattenLayer, GroupNorm, NoOpLayer, Parallel, uniformInit, WrappedFunction, type AnyLayer } from '@deqts/core-layers';
import { Anderson, Broyden, type SteadyStateAlgorithm } from '@deqts/solvers';
import { DeepEquilibriumNetwork, type DeqOptionsInput } from '@deqts/deq';

/** A config of FACTS.md. */
export type ConfigName = 'A' | 'B' | 'C' | 'D' | 'E';

/** TorchDEQ's "1e-3 relative, at most 30 iterations". */
const solveOptions: DeqOptionsInput = {
  reltol: 1e-3,
  abstol: 1e-3,
  maxiters: 30,
  solverOptions: { terminationMode: 'relNorm', norm: 'l2' },
};

const add = (a: tf.Tensor, b: tf.Tensor) => tf.add(a, b);

/**
 * PyTorch's default initialisation of nn.Linear and nn.Conv2d, which the TorchDEQ reference runs
 * used: weights kaiming_uniform(a = √5), i.e. U(±1/√fan_in), and biases U(±1/√fan_in) (our
 * default bias init already). DEQ.ts's own default follows Lux (kaiming_uniform with gain 1:
 * U(±√3/√fan_in), 1.73× wider), which makes f less contractive: the benchmark must use the
 * reference's.
 */
const torchInit = (fanIn: number) => ({ initWeight: uniformInit(1 / Math.sqrt(fanIn)) });

/** The implicit backward's linear solver: GMRES (default) or the fixed-point (Neumann) iteration. */
export type AdjointMethod = 'gmres' | 'fixedPoint';

/**
 * The DEQ options of a config. The implicit backward solves (I − Jᵀ)λ = g to the same 1e-3
 * relative tolerance within 30 iterations (TorchDEQ's b_tol / b_max_iter of the reference runs).
 */
const options = (gradient: 'implicit' | 'jfb', adjoint: AdjointMethod): DeqOptionsInput => ({
  ...solveOptions,
  gradient,
  adjoint: { method: adjoint, tol: 1e-3, maxiters: 30 },
});

export function mlpDeq(solver: SteadyStateAlgorithm, gradient: 'implicit' | 'jfb', adjoint: AdjointMethod = 'gmres'): AnyLayer {
  const f = Chain(Parallel(add, Dense(128, 128, { useBias: false, ...torchInit(128) }), NoOpLayer()), WrappedFunction((z: tf.Tensor) => tf.tanh(z), 'tanh'));
  return Chain(FlattenLayer(), Dense(784, 128, torchInit(784)), DeepEquilibriumNetwork(f, solver, options(gradient, adjoint)), Dense(128, 10, torchInit(128)));
}

export function convDeq(adjoint: AdjointMethod = 'gmres'): AnyLayer {
  const f = Chain(
    Parallel(add, Chain(Conv([3, 3], 16, 16, { padding: 1, ...torchInit(16 * 9) }), GroupNorm(16, 4)), NoOpLayer()),
    WrappedFunction((z: tf.Tensor) => tf.tanh(z), 'tanh'),
  );
  return Chain(
    Conv([3, 3], 1, 16, { padding: 1, ...torchInit(9) }),
    DeepEquilibriumNetwork(f, new Anderson(), options('implicit', adjoint)),
    AdaptiveMeanPool([4, 4]),
    FlattenLayer(),
    Dense(256, 10, torchInit(256)),
  );
}

export function build(c: ConfigName, adjoint: AdjointMethod = 'gmres'): { model: AnyLayer; fixedDepth: number } {
  switch (c) {
    case 'A':
      return { model: mlpDeq(new Anderson(), 'implicit', adjoint), fixedDepth: 0 };
    case 'B':
      return { model: mlpDeq(new Broyden(), 'implicit', adjoint), fixedDepth: 0 };
    case 'C':
      return { model: mlpDeq(new Anderson(), 'jfb'), fixedDepth: 0 };
    case 'E':
      return { model: mlpDeq(new Anderson(), 'implicit'), fixedDepth: 5 };
    case 'D':
      return { model: convDeq(adjoint), fixedDepth: 0 };
  }
}
