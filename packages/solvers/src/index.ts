/**
 * @deqts/solvers: batched root finders and ODE integrators for deep equilibrium models.
 * This file is the package's whole public surface.
 *
 * @packageDocumentation
 * @module @deqts/solvers
 */
export * from './types.js';
export type { TerminationMode, ResidualNorm, TerminationOptions } from './termination.js';

// Root finders
export { NonlinearAlgorithm } from './algorithms/base.js';
export * from './algorithms/newton.js';
export type { JvpMode } from './internal/jvp.js';
export * from './algorithms/broyden.js';
export * from './algorithms/anderson.js';
export * from './algorithms/fixed-point.js';

// ODE integrators
export * from './ode/algorithms.js';
export * from './ode/solve-ode.js';

// Entry points
export * from './solve-steady-state.js';
export * from './linear/gmres.js';
export * from './linear/orthogonalize.js';
