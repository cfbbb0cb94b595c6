import { Anderson, Broyden, FixedPointIteration, LimitedMemoryBroyden, NewtonRaphson, Tsit5, VCABM3, type SteadyStateAlgorithm } from '@deqts/solvers';
import type { SOLVER_NAMES } from './config.js';

/**
 * Builds the solver named on the command line. ODE solvers keep @deqts/solvers' local-error
 * tolerances (a tenth of the steady-state test's: with equal ones, as DEQ.jl passes them, Tsit5
 * rides its stability boundary and an untrained MNIST DEQ batch hits the 100-step cap) and start
 * with dt = 0.5 instead of the tiny automatic first step (measured on a 256-image batch at
 * tolerance 5e-3: NFE 134 → 91, all samples converged).
 */
export function solverByName(name: (typeof SOLVER_NAMES)[number]): SteadyStateAlgorithm {
  const local = { dt: 0.5 };
  switch (name) {
    case 'tsit5':
      return new Tsit5(local);
    case 'vcabm3':
      return new VCABM3(local);
    case 'broyden':
      return new Broyden();
    case 'lbroyden':
      return new LimitedMemoryBroyden();
    case 'newton':
      return new NewtonRaphson();
    case 'anderson':
      return new Anderson();
    case 'fixedpoint':
      return new FixedPointIteration();
  }
}

/** True for the ODE (continuous DEQ) solvers. */
export const isContinuous = (name: (typeof SOLVER_NAMES)[number]): boolean => name === 'tsit5' || name === 'vcabm3';
