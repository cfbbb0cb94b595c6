import { escapeXml, niceTicks } from '@deqts/train';
import type { RunHistory } from '../history.js';

const WIDTH = 520;
const HEIGHT = 300;
const MARGIN = { left: 56, right: 16, top: 40, bottom: 48 };

/** Counts of each value 0 … max. */
export function countValues(values: readonly number[]): number[] {
  const max = values.reduce((a, b) => Math.max(a, b), 0);
  const counts = new Array<number>(max + 1).fill(0);
  for (const v of values) counts[v]++;
  return counts;
}

/** Histogram of the latest batch's per-sample solver iterations (each costs one f call for root finders). */
export function nfeHistogramSvg(history: RunHistory): string {
  const iterations = history.solve?.iterations ?? [];
  const counts = countValues(iterations);
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const top = Math.max(1, ...counts);
  const yTicks = niceTicks(0, top, 5).filter((t) => t <= top);
  const barW = plotW / Math.max(counts.length, 1);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(`Iterations per sample (step ${history.solve?.step ?? 0})`)}</text>`,
  ];
  for (const t of yTicks) {
    const y = MARGIN.top + plotH * (1 - t / top);
    parts.push(`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y}" y2="${y}" stroke="#e5e5e5"/>`, `<text x="${MARGIN.left - 6}" y="${y + 4}" text-anchor="end">${t}</text>`);
  }
  counts.forEach((count, value) => {
    if (count === 0) return;
    const h = (plotH * count) / top;
    parts.push(`<rect class="bar" x="${MARGIN.left + value * barW + 1}" y="${MARGIN.top + plotH - h}" width="${Math.max(barW - 2, 1)}" height="${h}" fill="#1f77b4"><title>${count} samples: ${value} iterations</title></rect>`);
  });
  const labelEvery = Math.ceil(counts.length / 12);
  counts.forEach((_, value) => {
    if (value % labelEvery === 0) parts.push(`<text x="${MARGIN.left + (value + 0.5) * barW}" y="${MARGIN.top + plotH + 16}" text-anchor="middle">${value}</text>`);
  });
  parts.push(
    `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${MARGIN.top + plotH}" y2="${MARGIN.top + plotH}" stroke="black"/>`,
    `<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 10}" text-anchor="middle">iterations until the sample converged (or maxiters)</text>`,
    `<text transform="translate(14 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">samples</text>`,
    '</svg>',
  );
  return parts.join('');
}
