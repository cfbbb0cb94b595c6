// Draws the run: the metric table, the three SVG charts and the decision boundary.
import { drawBoundary } from './charts/boundary.js';
import { nfeHistogramSvg } from './charts/histogram.js';
import { residualChartSvg } from './charts/residual.js';
import { trainingChartSvg } from './charts/training.js';
import { TARGET_ACCURACY, type RunHistory } from './history.js';

const byId = (id: string): HTMLElement => {
  const found = document.getElementById(id);
  if (!found) throw new Error(`playground: the page has no #${id}`);
  return found;
};

const format = (value: number | undefined, digits = 4): string => (value === undefined || !Number.isFinite(value) ? '–' : value.toPrecision(digits));

function renderMetrics(history: RunHistory): void {
  const last = history.last;
  const test = history.evals[history.evals.length - 1];
  const set = (id: string, text: string) => (byId(id).textContent = text);
  set('metric-step', last ? String(last.step) : '–');
  set('metric-time', last ? `${last.seconds.toFixed(1)} s` : '–');
  set('metric-loss', format(last?.loss));
  set('metric-accuracy', last ? `${(100 * last.accuracy).toFixed(1)} %` : '–');
  set('metric-test-accuracy', test ? `${(100 * test.testAccuracy).toFixed(1)} %` : '–');
  set('metric-nfe', last ? String(last.nfe) : '–');
  set('metric-status', last?.status ?? '–');
  set('metric-solver', last?.solver ?? '–');
  set('metric-tensors', last ? String(last.numTensors) : '–');
  const reached = history.reachedTarget;
  set('metric-target', reached ? `${reached.seconds.toFixed(1)} s (step ${reached.step})` : `not yet (${100 * TARGET_ACCURACY} % test accuracy)`);
}

/** Redraws everything from the history. */
export function render(history: RunHistory): void {
  renderMetrics(history);
  byId('loss-chart').innerHTML = trainingChartSvg(history);
  byId('residual-chart').innerHTML = residualChartSvg(history);
  byId('nfe-chart').innerHTML = nfeHistogramSvg(history);
  const canvas = byId('boundary') as HTMLCanvasElement;
  canvas.parentElement?.toggleAttribute('hidden', history.boundary === null);
  drawBoundary(canvas, history);
}

/** Shows a library error (its class name and message) to the person; `null` clears it. */
export function showError(error: { name: string; message: string } | null): void {
  const box = byId('error');
  box.hidden = error === null;
  box.textContent = error ? `${error.name}: ${error.message}` : '';
}

/** The status line under the buttons. */
export function showState(text: string): void {
  byId('state').textContent = text;
}
