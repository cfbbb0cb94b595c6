import { Anderson, Broyden, FixedPointIteration, LimitedMemoryBroyden, NewtonRaphson, Tsit5, VCABM3, type SteadyStateAlgorithm } from '@deqts/solvers';
import type { SOLVER_NAMES } from './config.js';

/**
 * Builds the solver named on the command line. ODE solvers step with local-error tolerances equal
 * to the steady-state tolerance, as DeepEquilibriumNetworks.jl passes one abstol/reltol to both
 * (the paper's "Tsit5 with relative tolerance 0.005"); @deqts/solvers' own default is a tenth.
 */
export function solverByName(name: (typeof SOLVER_NAMES)[number], tolerance?: number): SteadyStateAlgorithm {
  const local = tolerance === undefined ? {} : { abstol: tolerance, reltol: tolerance };
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
