import { z } from 'zod';
import { OptionError, parseOptions } from '@deqts/core-layers';

/** One curve of a {@link linePlotSvg}: `y[i]` at `x[i]` (x defaults to 0, 1, 2, …). */
export type PlotSeries = {
  readonly name: string;
  readonly y: readonly number[] | Float32Array | Float64Array;
  readonly x?: readonly number[] | Float32Array | Float64Array;
  /** CSS colour; default from a ten-colour palette. */
  readonly color?: string;
  /** Draw the line dashed. Default false. */
  readonly dashed?: boolean;
};

/** Options of {@link linePlotSvg}. */
export type LinePlotOptions = {
  readonly series: readonly PlotSeries[];
  readonly title?: string;
  readonly xLabel?: string;
  readonly yLabel?: string;
  /** Logarithmic y axis (non-positive values are left out). Default false. */
  readonly logY?: boolean;
  /** Width and height in pixels. Default 640 × 400. */
  readonly width?: number;
  readonly height?: number;
  /** Draw a dot at each point. Default: only when no series has more than 40 points. */
  readonly markers?: boolean;
  /** Fix the y range instead of fitting the data. */
  readonly yMin?: number;
  readonly yMax?: number;
};

const numbers = z.custom<ArrayLike<number>>((v) => Array.isArray(v) || v instanceof Float32Array || v instanceof Float64Array, 'must be an array of numbers');
const PlotOptions = z.strictObject({
  series: z.array(z.strictObject({ name: z.string(), y: numbers, x: numbers.optional(), color: z.string().optional(), dashed: z.boolean().default(false) })),
  title: z.string().default(''),
  xLabel: z.string().default(''),
  yLabel: z.string().default(''),
  logY: z.boolean().default(false),
  width: z.number().int().min(200).default(640),
  height: z.number().int().min(150).default(400),
  markers: z.boolean().optional(),
  yMin: z.number().optional(),
  yMax: z.number().optional(),
});

const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

/**
 * Escapes text for SVG/XML content and attributes.
 *
 * @example
 * ```ts
 * import { escapeXml } from '@deqts/train';
 * escapeXml('a < b & c'); // 'a &lt; b &amp; c'
 * ```
 */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string);
}

/**
 * About `count` round tick values (steps of 1, 2, 2.5 or 5 × 10^k) inside [low, high].
 *
 * @example
 * ```ts
 * import { niceTicks } from '@deqts/train';
 * niceTicks(3, 97); // [20, 40, 60, 80]
 * ```
 */
export function niceTicks(low: number, high: number, count = 6): number[] {
  if (!(high > low)) return [low];
  const raw = (high - low) / Math.max(1, count - 1);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude;
  const ticks: number[] = [];
  for (let v = Math.ceil(low / step - 1e-9) * step; v <= high + step * 1e-9; v += step) ticks.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return ticks;
}

function logTicks(low: number, high: number): number[] {
  const first = Math.floor(Math.log10(low));
  const last = Math.ceil(Math.log10(high));
  const decades = last - first;
  const multiples = decades <= 1 ? [1, 2, 5] : decades <= 2 ? [1, 3] : [1];
  const stride = Math.max(1, Math.ceil(decades / 8));
  const ticks: number[] = [];
  for (let e = first; e <= last; e += stride) for (const m of multiples) ticks.push(Number(`${m}e${e}`));
  return ticks.filter((t) => t >= low * (1 - 1e-9) && t <= high * (1 + 1e-9));
}

function formatTick(value: number): string {
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e5 || magnitude < 1e-3) {
    const [mantissa, exponent] = Number(value.toPrecision(3)).toExponential().split('e');
    const m = Number(mantissa);
    return `${m === 1 ? '' : `${m}×`}1e${Number(exponent)}`;
  }
  return String(Number(value.toPrecision(6)));
}

type Extent = { low: number; high: number };

function extentOf(values: number[]): Extent | null {
  if (values.length === 0) return null;
  let low = Infinity;
  let high = -Infinity;
  for (const v of values) {
    if (v < low) low = v;
    if (v > high) high = v;
  }
  return { low, high };
}

/**
 * Draws line series as a standalone SVG document (a string; no dependency): title, axes with
 * round ticks and grid lines, axis labels, and a legend. The y axis can be logarithmic (for
 * residual traces and losses); non-finite values, and non-positive ones on a log axis, break the
 * line instead of distorting the plot. Write the string to a `.svg` file.
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * import { linePlotSvg } from '@deqts/train';
 * const svg = linePlotSvg({
 *   title: 'Training loss', xLabel: 'epoch', yLabel: 'loss', logY: true,
 *   series: [{ name: 'Skip DEQ', x: [1, 2, 3], y: [0.9, 0.4, 0.2] }, { name: 'DEQ', y: [1.1, 0.6, 0.3] }],
 * });
 * writeFileSync('loss.svg', svg);
 * ```
 */
export function linePlotSvg(options: LinePlotOptions): string {
  const o = parseOptions(PlotOptions, options, 'linePlotSvg');
  const { width, height, logY } = o;
  const series = o.series.map((s, i) => {
    const y = Array.from(s.y);
    const x = s.x ? Array.from(s.x) : y.map((_, j) => j);
    if (x.length !== y.length) throw new OptionError(`linePlotSvg: series '${s.name}' has ${x.length} x values and ${y.length} y values`);
    const usable = (j: number) => Number.isFinite(x[j]) && Number.isFinite(y[j]) && (!logY || y[j] > 0);
    return { name: s.name, x, y, usable, color: s.color ?? PALETTE[i % PALETTE.length], dashed: s.dashed };
  });
  const xs: number[] = [];
  const ys: number[] = [];
  for (const s of series) s.x.forEach((xv, j) => s.usable(j) && (xs.push(xv), ys.push(s.y[j])));

  const margin = { left: 72, right: 20, top: o.title ? 40 : 18, bottom: o.xLabel ? 52 : 36 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="white"/>`,
  );
  if (o.title) parts.push(`<text x="${width / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(o.title)}</text>`);

  let xExtent = extentOf(xs) ?? { low: 0, high: 1 };
  if (xExtent.high === xExtent.low) xExtent = { low: xExtent.low - 0.5, high: xExtent.high + 0.5 };
  let yExtent = extentOf(ys) ?? (logY ? { low: 0.1, high: 10 } : { low: 0, high: 1 });
  if (o.yMin !== undefined) yExtent = { ...yExtent, low: o.yMin };
  if (o.yMax !== undefined) yExtent = { ...yExtent, high: o.yMax };
  if (yExtent.high <= yExtent.low) {
    yExtent = logY ? { low: yExtent.low / 2, high: yExtent.low * 2 } : { low: yExtent.low - 0.5, high: yExtent.low + 0.5 };
  }
  if (logY && yExtent.low <= 0) throw new OptionError("linePlotSvg: with 'logY', 'yMin' must be positive");

  const xTicks = niceTicks(xExtent.low, xExtent.high);
  let yTicks: number[];
  if (logY) {
    yTicks = logTicks(yExtent.low, yExtent.high);
  } else {
    yTicks = niceTicks(yExtent.low, yExtent.high);
    // Widen the fitted range to the enclosing round ticks, unless the user fixed it.
    const step = yTicks.length > 1 ? yTicks[1] - yTicks[0] : 1;
    if (o.yMin === undefined && yTicks[0] > yExtent.low) yTicks.unshift(yTicks[0] - step);
    if (o.yMax === undefined && yTicks[yTicks.length - 1] < yExtent.high) yTicks.push(yTicks[yTicks.length - 1] + step);
    if (o.yMin === undefined) yExtent = { ...yExtent, low: Math.min(yExtent.low, yTicks[0]) };
    if (o.yMax === undefined) yExtent = { ...yExtent, high: Math.max(yExtent.high, yTicks[yTicks.length - 1]) };
  }
  // Data are drawn inside an inset of the frame, so points on the range's edges stay visible.
  const inset = 8;
  const toY = (v: number): number => {
    const t = logY
      ? (Math.log10(v) - Math.log10(yExtent.low)) / (Math.log10(yExtent.high) - Math.log10(yExtent.low))
      : (v - yExtent.low) / (yExtent.high - yExtent.low);
    return margin.top + inset + (plotH - 2 * inset) * (1 - t);
  };
  const toX = (v: number): number => margin.left + inset + ((plotW - 2 * inset) * (v - xExtent.low)) / (xExtent.high - xExtent.low);
  const r = (v: number) => Math.round(v * 100) / 100;

  // Grid and ticks.
  for (const t of yTicks) {
    const y = r(toY(t));
    parts.push(`<line x1="${margin.left}" y1="${y}" x2="${margin.left + plotW}" y2="${y}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${margin.left - 6}" y="${y + 4}" text-anchor="end">${escapeXml(formatTick(t))}</text>`);
  }
  for (const t of xTicks) {
    const x = r(toX(t));
    parts.push(`<line x1="${x}" y1="${margin.top}" x2="${x}" y2="${margin.top + plotH}" stroke="#f0f0f0"/>`);
    parts.push(`<line x1="${x}" y1="${margin.top + plotH}" x2="${x}" y2="${margin.top + plotH + 5}" stroke="black"/>`);
    parts.push(`<text x="${x}" y="${margin.top + plotH + 18}" text-anchor="middle">${escapeXml(formatTick(t))}</text>`);
  }
  parts.push(`<rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}" fill="none" stroke="black"/>`);
  if (o.xLabel) parts.push(`<text x="${margin.left + plotW / 2}" y="${height - 12}" text-anchor="middle">${escapeXml(o.xLabel)}</text>`);
  if (o.yLabel) {
    const cy = margin.top + plotH / 2;
    parts.push(`<text x="16" y="${cy}" text-anchor="middle" transform="rotate(-90 16 ${cy})">${escapeXml(o.yLabel)}</text>`);
  }

  // Series, clipped to the plot area.
  const markers = o.markers ?? series.every((s) => s.y.length <= 40);
  parts.push(`<clipPath id="plot-area"><rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}"/></clipPath>`);
  parts.push('<g clip-path="url(#plot-area)">');
  for (const s of series) {
    let d = '';
    let penDown = false;
    s.x.forEach((xv, j) => {
      if (!s.usable(j)) {
        penDown = false;
        return;
      }
      d += `${penDown ? 'L' : 'M'}${r(toX(xv))} ${r(toY(s.y[j]))} `;
      penDown = true;
    });
    if (d) {
      parts.push(
        `<path d="${d.trim()}" fill="none" stroke="${escapeXml(s.color)}" stroke-width="1.8"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
      );
    }
    if (markers) {
      s.x.forEach((xv, j) => {
        if (s.usable(j)) parts.push(`<circle cx="${r(toX(xv))}" cy="${r(toY(s.y[j]))}" r="2.5" fill="${escapeXml(s.color)}"/>`);
      });
    }
  }
  parts.push('</g>');
  if (xs.length === 0) {
    parts.push(`<text x="${margin.left + plotW / 2}" y="${margin.top + plotH / 2}" text-anchor="middle" fill="#888">no data</text>`);
  }

  // Legend, inside the plot area, in the corner that hides the fewest points.
  if (series.length > 0) {
    const rowH = 16;
    const legendW = 28 + 7 * Math.max(...series.map((s) => s.name.length));
    const legendH = rowH * series.length + 8;
    const points: [number, number][] = [];
    for (const s of series) s.x.forEach((xv, j) => s.usable(j) && points.push([toX(xv), toY(s.y[j])]));
    const corners: [number, number][] = [
      [margin.left + plotW - legendW - 8, margin.top + 8],
      [margin.left + plotW - legendW - 8, margin.top + plotH - legendH - 8],
      [margin.left + 8, margin.top + 8],
      [margin.left + 8, margin.top + plotH - legendH - 8],
    ];
    const hidden = (cx: number, cy: number) =>
      points.filter(([px, py]) => px >= cx - 4 && px <= cx + legendW + 4 && py >= cy - 4 && py <= cy + legendH + 4).length;
    const [legendX, legendY] = corners.reduce((best, c) => (hidden(c[0], c[1]) < hidden(best[0], best[1]) ? c : best));
    parts.push(
      `<rect x="${legendX}" y="${legendY}" width="${legendW}" height="${legendH}" fill="white" fill-opacity="0.85" stroke="#bbb"/>`,
    );
    series.forEach((s, i) => {
      const y = legendY + 4 + rowH * i + rowH / 2;
      parts.push(
        `<line x1="${legendX + 6}" y1="${y}" x2="${legendX + 22}" y2="${y}" stroke="${escapeXml(s.color)}" stroke-width="2"${s.dashed ? ' stroke-dasharray="4 3"' : ''}/>`,
        `<text x="${legendX + 26}" y="${y + 4}">${escapeXml(s.name)}</text>`,
      );
    });
  }
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
