import type { SolveStatus, TraceEntry } from '../types.js';
import { meetsTolerance, type CheckValues, type TerminationSettings } from '../termination.js';

/** What a check decided for each sample, as host flags (length B). */
export type CheckDecision = {
  /** Samples whose current iterate becomes their returned ("best") iterate. */
  readonly takeCurrent: Uint8Array;
  /** Samples that stopped at this check for a failure whose state should be reset to the best. */
  readonly restoreBest: Uint8Array;
  /** Samples that stopped at this check (any reason). */
  readonly stoppedNow: Uint8Array;
  /** Whether any sample is still running after this check. */
  readonly anyRunning: boolean;
};

const SEVERITY: readonly SolveStatus[] = ['nonfinite', 'diverged', 'stalled', 'maxiters'];

/**
 * Host-side bookkeeping of a batched solve: per-sample convergence tests, best residuals,
 * divergence and stall guards, iteration counts and the optional trace. Holds no tensors.
 */
export class ConvergenceMonitor {
  readonly batch: number;
  private readonly settings: TerminationSettings;
  private readonly running: Uint8Array;
  private readonly status: (SolveStatus | null)[];
  private readonly iterations: Int32Array;
  private readonly initialNorm: Float64Array;
  private readonly bestNorm: Float64Array;
  private readonly returnedNorm: Float32Array;
  private readonly lastNorm: Float32Array;
  private readonly stallRing: Float64Array[];
  private readonly stallCount: Int32Array;
  private readonly traceEntries: TraceEntry[] | null;

  constructor(batch: number, settings: TerminationSettings, recordTrace: boolean) {
    this.batch = batch;
    this.settings = settings;
    this.running = new Uint8Array(batch).fill(1);
    this.status = new Array<SolveStatus | null>(batch).fill(null);
    this.iterations = new Int32Array(batch);
    this.initialNorm = new Float64Array(batch).fill(NaN);
    this.bestNorm = new Float64Array(batch).fill(Infinity);
    this.returnedNorm = new Float32Array(batch).fill(NaN);
    this.lastNorm = new Float32Array(batch).fill(NaN);
    this.stallRing = [];
    this.stallCount = new Int32Array(batch);
    this.traceEntries = recordTrace ? [] : null;
  }

  /** Whether sample `b` is still being iterated. */
  isRunning(b: number): boolean {
    return this.running[b] === 1;
  }

  /** Running flags (1 = still iterated), a copy. */
  runningFlags(): Uint8Array {
    return this.running.slice();
  }

  /** Whether any sample is still running. */
  anyRunning(): boolean {
    return this.running.some((r) => r === 1);
  }

  /**
   * Records one check. `values[b]` holds sample b's check quantities at its current iterate;
   * `observed[b]` false means sample b has no new iterate (an ODE step it rejected): only its
   * budget is checked. `iteration[b]` is the sample's own iteration count.
   */
  check(values: readonly CheckValues[], iteration: ArrayLike<number>, nfe: number, observed?: ArrayLike<boolean | number>): CheckDecision {
    const s = this.settings;
    const takeCurrent = new Uint8Array(this.batch);
    const restoreBest = new Uint8Array(this.batch);
    const stoppedNow = new Uint8Array(this.batch);
    for (let b = 0; b < this.batch; b++) {
      if (!this.running[b]) continue;
      const k = iteration[b];
      const seen = observed === undefined || Boolean(observed[b]);
      if (seen) {
        const v = values[b];
        const norm = v.norm;
        this.lastNorm[b] = norm;
        if (!Number.isFinite(norm)) {
          this.stop(b, 'nonfinite', k, stoppedNow);
          restoreBest[b] = 1;
          continue;
        }
        if (Number.isNaN(this.initialNorm[b])) this.initialNorm[b] = norm;
        const improved = norm < this.bestNorm[b];
        if (improved) {
          this.bestNorm[b] = norm;
          takeCurrent[b] = 1;
          this.returnedNorm[b] = norm;
        }
        if (meetsTolerance(s, v)) {
          if (s.terminationMode !== 'safeBest' && !improved) {
            takeCurrent[b] = 1;
            this.returnedNorm[b] = norm;
          }
          this.stop(b, 'success', k, stoppedNow);
          continue;
        }
        if (norm > s.divergenceThreshold * Math.max(this.initialNorm[b], Number.MIN_VALUE)) {
          this.stop(b, 'diverged', k, stoppedNow);
          restoreBest[b] = 1;
          continue;
        }
        if (this.isStalled(b)) {
          this.stop(b, 'stalled', k, stoppedNow);
          restoreBest[b] = 1;
          continue;
        }
      }
      if (k >= s.maxiters) this.stop(b, 'maxiters', k, stoppedNow);
    }
    if (this.traceEntries) {
      const current = iteration.length > 0 ? Math.max(...Array.from(iteration)) : 0;
      this.traceEntries.push({ iteration: current, nfe, residualNorm: this.lastNorm.slice() });
    }
    return { takeCurrent, restoreBest, stoppedNow, anyRunning: this.anyRunning() };
  }

  /** Records sample b's best residual in its stall window; true when it made no progress over it. */
  private isStalled(b: number): boolean {
    const window = this.settings.stallWindow;
    if (window === 0) return false;
    const ring = (this.stallRing[b] ??= new Float64Array(window + 1));
    const count = this.stallCount[b];
    ring[count % (window + 1)] = this.bestNorm[b];
    this.stallCount[b] = count + 1;
    if (count < window) return false;
    const windowAgo = ring[(count + 1) % (window + 1)];
    return this.bestNorm[b] > (1 - this.settings.stallTolerance) * windowAgo;
  }

  /** Stops sample `b` from outside a check (e.g. an ODE step size underflow). */
  stopSample(b: number, status: SolveStatus, iteration: number): void {
    if (this.running[b]) this.stop(b, status, iteration, null);
  }

  private stop(b: number, status: SolveStatus, iteration: number, stoppedNow: Uint8Array | null): void {
    this.running[b] = 0;
    this.status[b] = status;
    this.iterations[b] = iteration;
    if (stoppedNow) stoppedNow[b] = 1;
  }

  /** Marks every still-running sample as out of budget (the loop ended). */
  finish(iteration: ArrayLike<number>): void {
    for (let b = 0; b < this.batch; b++) if (this.running[b]) this.stop(b, 'maxiters', iteration[b], null);
  }

  /** Per-sample results, and the batch status. */
  summary(): { perSample: { residualNorm: Float32Array; iterations: Int32Array; converged: Uint8Array; status: SolveStatus[] }; status: SolveStatus; trace?: TraceEntry[] } {
    const status = this.status.map((st) => st ?? 'maxiters');
    const converged = Uint8Array.from(status, (st) => (st === 'success' ? 1 : 0));
    let batchStatus: SolveStatus = 'success';
    for (const level of SEVERITY) {
      if (status.includes(level)) {
        batchStatus = level;
        break;
      }
    }
    return {
      perSample: { residualNorm: this.returnedNorm.slice(), iterations: this.iterations.slice(), converged, status },
      status: batchStatus,
      ...(this.traceEntries ? { trace: this.traceEntries } : {}),
    };
  }
}
