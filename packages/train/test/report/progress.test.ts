import { expect, it } from 'vitest';
import { ProgressBar, formatDuration } from '../../src/index.js';

function fakeStream(isTTY: boolean) {
  const chunks: string[] = [];
  return { chunks, stream: { isTTY, columns: 200, write: (s: string) => chunks.push(s) } };
}

it('formats durations', () => {
  expect(formatDuration(5)).toBe('0:05');
  expect(formatDuration(75)).toBe('1:15');
  expect(formatDuration(3725)).toBe('1:02:05');
  expect(formatDuration(Infinity)).toBe('?');
});

it('on a terminal: one redrawn line with bar, count, rate, ETA and fields', () => {
  let now = 0;
  const { chunks, stream } = fakeStream(true);
  const bar = new ProgressBar({ label: 'epoch 1/3', total: 100, stream, now: () => now, width: 10 });
  now = 2000;
  bar.update(50, { loss: 0.41234, acc: 0.9, nfe: 12 });
  expect(chunks).toHaveLength(1);
  expect(chunks[0].startsWith('\r')).toBe(true);
  expect(chunks[0]).toContain('epoch 1/3 [#####-----] 50/100 50% 25 it/s ETA 0:02 loss=0.4123 acc=0.9 nfe=12');
  now = 2050; // within minIntervalMs: no redraw
  bar.tick(1);
  expect(chunks).toHaveLength(1);
  now = 4000;
  bar.update(100, { loss: 0.2 });
  bar.finish();
  expect(chunks[chunks.length - 1]).toMatch(/\[##########\] 100\/100 100% 25 it\/s in 0:04 loss=0.2 acc=0.9 nfe=12\x1b\[K\n$/);
  bar.finish();
  bar.tick();
  expect(chunks.at(-1)).toContain('in 0:04');
});

it('without a terminal: plain lines every 10 % (or every plainIntervalMs) and a final line', () => {
  let now = 0;
  const { chunks, stream } = fakeStream(false);
  const bar = new ProgressBar({ label: 'train', total: 50, stream, now: () => now, plainIntervalMs: 60_000 });
  for (let i = 0; i < 50; i++) {
    now += 100;
    bar.tick(1, { loss: 1 / (i + 1) });
  }
  bar.finish();
  expect(chunks.every((c) => c.endsWith('\n') && !c.includes('\r'))).toBe(true);
  expect(chunks).toHaveLength(11); // at 5, 10, …, 50, plus the final line
  expect(chunks[0]).toMatch(/^train \[#+-+\] 5\/50 10% 10 it\/s ETA 0:05 loss=0.2\n$/);
  const slow = fakeStream(false);
  now = 0;
  const timed = new ProgressBar({ total: 0, stream: slow.stream, now: () => now, plainIntervalMs: 1000 });
  now = 500;
  timed.tick();
  now = 1500;
  timed.tick();
  expect(slow.chunks).toEqual(['2 1.333 it/s\n']);
  expect(() => new ProgressBar({ total: 10, colour: 'red' } as never)).toThrow(/unknown option 'colour'/);
});

it('writes to process.stderr by default, and without a process (a browser) asks for a stream', () => {
  expect(() => new ProgressBar({ total: 1 })).not.toThrow();
  const saved = Object.getOwnPropertyDescriptor(globalThis, 'process') as PropertyDescriptor;
  Object.defineProperty(globalThis, 'process', { value: undefined, configurable: true, writable: true });
  let error: unknown;
  try {
    new ProgressBar({ total: 1 });
  } catch (e) {
    error = e;
  } finally {
    Object.defineProperty(globalThis, 'process', saved);
  }
  expect(String(error)).toMatch(/OptionError: ProgressBar: option 'stream' is required here/);
  const { chunks, stream } = fakeStream(false);
  new ProgressBar({ total: 1, stream }).finish();
  expect(chunks).toHaveLength(1);
});
