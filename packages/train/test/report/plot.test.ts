import { expect, it } from 'vitest';
import { escapeXml, linePlotSvg, niceTicks } from '../../src/index.js';

/** The text content of every <text> element. */
const texts = (svg: string) => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);

it('niceTicks gives round steps covering the range', () => {
  expect(niceTicks(0, 1).map((v) => Number(v.toFixed(10)))).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
  expect(niceTicks(3, 97)).toEqual([20, 40, 60, 80]);
  expect(niceTicks(5, 5)).toEqual([5]);
});

it('draws a standalone SVG with title, axis labels, ticks, legend and one path per series', () => {
  const svg = linePlotSvg({
    title: 'Test accuracy',
    xLabel: 'epoch',
    yLabel: 'accuracy (%)',
    series: [
      { name: 'Skip DEQ', x: [1, 2, 3, 4], y: [90, 95, 97, 97.8] },
      { name: 'DEQ <vanilla>', x: [1, 2, 3, 4], y: [88, 94, 96, 97.5], dashed: true },
    ],
  });
  expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
  expect(svg.trim().endsWith('</svg>')).toBe(true);
  const labels = texts(svg);
  expect(labels).toContain('Test accuracy');
  expect(labels).toContain('epoch');
  expect(labels).toContain('accuracy (%)');
  expect(labels).toContain('Skip DEQ');
  expect(labels).toContain('DEQ &lt;vanilla&gt;');
  expect(labels).toEqual(expect.arrayContaining(['1', '2', '3', '4', '90', '98']));
  expect(svg.match(/<path /g)).toHaveLength(2);
  expect(svg).toContain('stroke-dasharray');
  expect(svg.match(/<circle /g)).toHaveLength(8);
  // Balanced tags: every opened element is closed or self-closed.
  const opened = (svg.match(/<(svg|g|text|clipPath)[ >]/g) ?? []).length;
  const closed = (svg.match(/<\/(svg|g|text|clipPath)>/g) ?? []).length;
  expect(opened).toBe(closed);
});

it('log scale: decade ticks, and non-positive or non-finite points break the line', () => {
  const svg = linePlotSvg({
    title: 'Residual',
    logY: true,
    series: [{ name: 'residual', y: [1, 0.1, 0.01, NaN, 1e-4, 0, 1e-6] }],
  });
  const labels = texts(svg);
  expect(labels).toEqual(expect.arrayContaining(['1', '0.1', '0.01', '1e-4', '1e-6']));
  const d = svg.match(/<path d="([^"]*)"/)?.[1] ?? '';
  expect(d.match(/M/g)).toHaveLength(3); // segments: [1, 0.1, 0.01], [1e-4], [1e-6]
  expect(d.match(/L/g)).toHaveLength(2);
});

it('handles empty data, single points and validates options', () => {
  expect(linePlotSvg({ series: [] })).toContain('no data');
  expect(linePlotSvg({ series: [{ name: 'one', y: [3] }] })).toContain('<circle');
  expect(() => linePlotSvg({ series: [{ name: 'bad', x: [1, 2], y: [1] }] })).toThrow(/2 x values and 1 y values/);
  expect(() => linePlotSvg({ series: [], colour: 'x' } as never)).toThrow(/unknown option 'colour'/);
  expect(escapeXml(`a&b"c'`)).toBe('a&amp;b&quot;c&apos;');
});
