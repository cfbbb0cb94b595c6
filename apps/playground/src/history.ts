// What the page has heard from the worker during the current run.
import type { FromWorker, StepReport } from './protocol.js';

type Message<T extends FromWorker['type']> = Extract<FromWorker, { type: T }>;

/** Test accuracy the page reports the time to (the target for the 2D problems). */
export const TARGET_ACCURACY = 0.95;

export class RunHistory {
  readonly steps: StepReport[] = [];
  readonly evals: { step: number; seconds: number; testAccuracy: number }[] = [];
  solve: Message<'solve'> | null = null;
  boundary: Message<'boundary'> | null = null;
  /** Training seconds and step when test accuracy first reached {@link TARGET_ACCURACY}. */
  reachedTarget: { seconds: number; step: number } | null = null;

  get last(): StepReport | null {
    return this.steps.length > 0 ? this.steps[this.steps.length - 1] : null;
  }

  /** Records a worker message; returns whether it changed what is drawn. */
  record(message: FromWorker): boolean {
    switch (message.type) {
      case 'steps':
        this.steps.push(...message.reports);
        return true;
      case 'solve':
        this.solve = message;
        return true;
      case 'eval':
        this.evals.push({ step: message.step, seconds: message.seconds, testAccuracy: message.testAccuracy });
        if (!this.reachedTarget && message.testAccuracy >= TARGET_ACCURACY) this.reachedTarget = { seconds: message.seconds, step: message.step };
        return true;
      case 'boundary':
        this.boundary = message;
        return true;
      default:
        return false;
    }
  }
}

/** Every `stride`-th value and the last, so long runs plot quickly. */
export function thin<T>(values: readonly T[], limit = 400): T[] {
  if (values.length <= limit) return [...values];
  const stride = Math.ceil(values.length / limit);
  const out = values.filter((_, i) => i % stride === 0);
  if ((values.length - 1) % stride !== 0) out.push(values[values.length - 1]);
  return out;
}

/** Exponential moving average (the batch loss is noisy). */
export function smooth(values: readonly number[], weight = 0.9): number[] {
  let current = values[0] ?? 0;
  return values.map((v) => (current = weight * current + (1 - weight) * v));
}
