import { Anderson, Broyden, FixedPointIteration, LimitedMemoryBroyden, NewtonRaphson, Tsit5, VCABM3, type SteadyStateAlgorithm } from '@deqts/solvers';
import type { SOLVER_NAMES } from './config.js';

/** Builds the solver named on the command line. */
export function solverByName(name: (typeof SOLVER_NAMES)[number]): SteadyStateAlgorithm {
  switch (name) {
    case 'tsit5':
      return new Tsit5();
    case 'vcabm3':
      return new VCABM3();
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
