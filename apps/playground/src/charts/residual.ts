import { linePlotSvg } from '@deqts/train';
import type { RunHistory } from '../history.js';

/**
 * The latest training batch's residual norm ‖f(z) − z‖ at every convergence check of the solver
 * (log scale): the largest, median and smallest over the batch's samples.
 */
export function residualChartSvg(history: RunHistory): string {
  const solve = history.solve;
  const iteration = solve ? [...solve.trace.iteration] : [];
  return linePlotSvg({
    width: 520,
    height: 300,
    title: solve ? `Residual per iteration (step ${solve.step}, ${solve.solver})` : 'Residual per iteration',
    xLabel: 'solver iteration (ODE: step attempt)',
    yLabel: 'residual norm',
    logY: true,
    series: [
      { name: 'max over batch', x: iteration, y: solve ? [...solve.trace.max] : [] },
      { name: 'median', x: iteration, y: solve ? [...solve.trace.median] : [] },
      { name: 'min', x: iteration, y: solve ? [...solve.trace.min] : [] },
    ],
  });
}
