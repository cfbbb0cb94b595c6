/**
 * @deqts/deq: Deep Equilibrium layers (DEQ, Skip DEQ, Skip Reg DEQ, multiscale variants, neural
 * ODE baseline) with implicit, JFB and phantom gradients. This file is the package's whole
 * public surface.
 *
 * @packageDocumentation
 * @module @deqts/deq
 */
export * from './solution.js';
export type { DeqGradient, DeqOptions, DeqOptionsInput } from './options.js';
export { solveAdjoint, type AdjointOptions } from './adjoint.js';
export * from './tape-guard.js';
export * from './implicit.js';
export * from './jacobian.js';
export { DeepEquilibriumNetwork, SkipDeepEquilibriumNetwork, type DeepEquilibriumNetworkOptions, type DeqInit, type DeqParams, type DeqStates } from './deq.js';
export * from './multiscale.js';
export * from './neural-ode.js';
