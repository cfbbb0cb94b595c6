import { linePlotSvg } from '@deqts/train';
import { smooth, thin, type RunHistory } from '../history.js';

const SIZE = { width: 520, height: 300 };

/** Loss (smoothed batch loss), batch accuracy and test accuracy against the step, as SVG. */
export function trainingChartSvg(history: RunHistory): string {
  const steps = history.steps;
  const smoothed = smooth(steps.map((s) => s.loss));
  const points = thin(steps.map((s, i) => ({ step: s.step, loss: smoothed[i], accuracy: s.accuracy })));
  const accuracy = smooth(points.map((p) => p.accuracy), 0.8);
  return linePlotSvg({
    ...SIZE,
    title: 'Loss and accuracy',
    xLabel: 'step',
    markers: false,
    series: [
      { name: 'loss (batch, smoothed)', x: points.map((p) => p.step), y: points.map((p) => p.loss) },
      { name: 'accuracy (batch)', x: points.map((p) => p.step), y: accuracy, dashed: true },
      { name: 'test accuracy', x: history.evals.map((e) => e.step), y: history.evals.map((e) => e.testAccuracy) },
    ],
  });
}
