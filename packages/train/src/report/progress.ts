import { z } from 'zod';
import { OptionError, parseOptions } from '@deqts/core-layers';

/** Where a {@link ProgressBar} writes: `process.stderr` by default, or any object with `write`. */
export type ProgressStream = {
  write(chunk: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
};

/** Extra values shown after the bar, e.g. `{ loss: 0.41, acc: 0.93, nfe: 12.5 }`. */
export type ProgressFields = Readonly<Record<string, number | string>>;

const ProgressOptions = z.strictObject({
  total: z.number().int().nonnegative(),
  label: z.string().default(''),
  stream: z.custom<ProgressStream>((v) => typeof v === 'object' && v !== null && typeof (v as ProgressStream).write === 'function', 'must have a write method').optional(),
  width: z.number().int().positive().default(24),
  unit: z.string().default('it'),
  minIntervalMs: z.number().nonnegative().default(100),
  plainIntervalMs: z.number().nonnegative().default(10_000),
  plainFraction: z.number().gt(0).max(1).default(0.1),
  tty: z.boolean().optional(),
  now: z.custom<() => number>((v) => typeof v === 'function', 'must be a function').optional(),
});

/** Options of {@link ProgressBar}. */
export type ProgressBarOptions = {
  /** Number of items (batches) expected; 0 if unknown (no bar, no ETA). */
  readonly total: number;
  /** Text before the bar, e.g. 'epoch 3/10'. */
  readonly label?: string;
  /** Output stream. Default `process.stderr`; required where there is none (in a browser). */
  readonly stream?: ProgressStream;
  /** Characters of the bar. Default 24. */
  readonly width?: number;
  /** Unit of the rate. Default 'it' (items per second). */
  readonly unit?: string;
  /** Least time between redraws on a terminal. Default 100 ms. */
  readonly minIntervalMs?: number;
  /** Without a terminal, print a line at least this often… Default 10 s. */
  readonly plainIntervalMs?: number;
  /** …and whenever another this fraction of `total` is done. Default 0.1. */
  readonly plainFraction?: number;
  /** Force terminal (redrawn line) or plain (one line per report) output. Default: `stream.isTTY`. */
  readonly tty?: boolean;
  /** Clock in milliseconds (for tests). Default `performance.now`. */
  readonly now?: () => number;
};

/** `process.stderr` where there is one (Node); looked up on globalThis so that browsers can load this module. */
function defaultStream(): ProgressStream {
  const stderr = (globalThis as { process?: { stderr?: ProgressStream } }).process?.stderr;
  if (!stderr) {
    throw new OptionError("ProgressBar: option 'stream' is required here, as there is no process.stderr (a browser?); pass any object with write(text), e.g. one that appends to a <pre>");
  }
  return stderr;
}

/**
 * Formats seconds as `m:ss` or `h:mm:ss`.
 *
 * @example
 * ```ts
 * import { formatDuration } from '@deqts/train';
 * formatDuration(75); // '1:15'
 * ```
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}

function formatValue(value: number | string): string {
  if (typeof value === 'string') return value;
  if (Number.isInteger(value) && Math.abs(value) < 1e6) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude >= 1e4 || magnitude < 1e-3)) return value.toExponential(2);
  return Number(value.toPrecision(4)).toString();
}

/**
 * A progress bar for training loops, written to stderr: label, bar, `current/total`, rate, ETA and
 * extra fields (loss, accuracy, NFE…). On a terminal it redraws one line (at most every
 * `minIntervalMs`); elsewhere (CI logs, files) it prints plain lines every `plainFraction` of the
 * total or `plainIntervalMs`, whichever comes first, and a last line at `finish`.
 *
 * @example
 * ```ts
 * import { ProgressBar } from '@deqts/train';
 * const bar = new ProgressBar({ label: 'epoch 1/5', total: 469 });
 * for (let i = 0; i < 469; i++) bar.tick(1, { loss: 0.3, nfe: 12 });
 * bar.finish({ acc: 0.97 });
 * ```
 */
export class ProgressBar {
  private readonly options: ReturnType<typeof ProgressOptions.parse>;
  private readonly stream: ProgressStream;
  private readonly tty: boolean;
  private readonly now: () => number;
  private readonly start: number;
  private current = 0;
  private fields: Record<string, number | string> = {};
  private lastDraw = -Infinity;
  private lastPlainTime: number;
  private lastPlainCount = 0;
  private finished = false;

  constructor(options: ProgressBarOptions) {
    this.options = parseOptions(ProgressOptions, options, 'ProgressBar');
    this.stream = this.options.stream ?? defaultStream();
    this.tty = this.options.tty ?? Boolean(this.stream.isTTY);
    this.now = this.options.now ?? (() => performance.now());
    this.start = this.now();
    this.lastPlainTime = this.start;
  }

  /** Advances by `n` items and merges `fields` into the shown values. */
  tick(n = 1, fields: ProgressFields = {}): void {
    this.update(this.current + n, fields);
  }

  /** Sets the number of items done and merges `fields` into the shown values. */
  update(current: number, fields: ProgressFields = {}): void {
    if (this.finished) return;
    this.current = current;
    Object.assign(this.fields, fields);
    const time = this.now();
    if (this.tty) {
      if (time - this.lastDraw >= this.options.minIntervalMs) {
        this.lastDraw = time;
        this.stream.write(`\r${this.fit(this.render())}\x1b[K`);
      }
      return;
    }
    const step = Math.max(1, Math.ceil(this.options.total * this.options.plainFraction));
    const dueByCount = this.options.total > 0 && current - this.lastPlainCount >= step;
    if (dueByCount || time - this.lastPlainTime >= this.options.plainIntervalMs) {
      this.lastPlainTime = time;
      this.lastPlainCount = current;
      this.stream.write(`${this.render()}\n`);
    }
  }

  /** Draws the final state (merging `fields`) and ends the line. Later calls do nothing. */
  finish(fields: ProgressFields = {}): void {
    if (this.finished) return;
    Object.assign(this.fields, fields);
    this.finished = true;
    this.stream.write(this.tty ? `\r${this.fit(this.render())}\x1b[K\n` : `${this.render()}\n`);
  }

  /** Seconds since the bar was created. */
  elapsedSeconds(): number {
    return (this.now() - this.start) / 1000;
  }

  /** The current line, without terminal control characters. */
  render(): string {
    const { total, width, unit, label } = this.options;
    const elapsed = this.elapsedSeconds();
    const rate = elapsed > 0 ? this.current / elapsed : 0;
    const parts: string[] = [];
    if (label) parts.push(label);
    if (total > 0) {
      const fraction = Math.min(1, Math.max(0, this.current / total));
      const filled = Math.round(fraction * width);
      parts.push(`[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`, `${this.current}/${total}`, `${Math.floor(fraction * 100)}%`);
    } else {
      parts.push(`${this.current}`);
    }
    parts.push(`${formatValue(rate)} ${unit}/s`);
    if (this.finished) parts.push(`in ${formatDuration(elapsed)}`);
    else if (total > 0 && rate > 0) parts.push(`ETA ${formatDuration((total - this.current) / rate)}`);
    for (const [name, value] of Object.entries(this.fields)) parts.push(`${name}=${formatValue(value)}`);
    return parts.join(' ');
  }

  private fit(line: string): string {
    const columns = this.stream.columns;
    return columns && line.length >= columns ? line.slice(0, columns - 1) : line;
  }
}
