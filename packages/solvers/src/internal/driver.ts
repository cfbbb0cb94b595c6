import * as tf from '@tensorflow/tfjs-core';
import type { NonlinearAlgorithm, NonlinearMethod, StepInput, StepOutput } from '../algorithms/base.js';
import type { TerminationSettings } from '../termination.js';
import type { FixedPointMap, SolveResult } from '../types.js';
import { checkColumns, flatMap, flattenBatch, readColumns, readColumnsTidy, replace, selectRows, unpackCheck, uploadMask } from './batch.js';
import { ConvergenceMonitor, type CheckDecision } from './monitor.js';
import { solverSwitches } from './switches.js';

/** Mutable loop state of a solve: every tensor here is owned (kept) and disposed on replacement. */
type LoopState = { u: tf.Tensor2D; fu: tf.Tensor2D; r: tf.Tensor2D; bestU: tf.Tensor2D; bestR: tf.Tensor2D };

/**
 * Runs a root-finding algorithm on a batch (internal; the public entry is solveSteadyState).
 * Per sample: its own convergence test, freezing once it stops, best-iterate tracking, and
 * NaN/divergence/stall guards. The loop never throws on numerical trouble; only an f that throws
 * (or returns a wrong shape) propagates, and then every tensor made so far is freed.
 */
export function runNonlinear(
  f: FixedPointMap,
  u0: tf.Tensor,
  algorithm: NonlinearAlgorithm,
  settings: TerminationSettings,
  recordTrace: boolean,
): SolveResult {
  const shape = u0.shape;
  const batch = shape[0];
  const size = u0.size / batch;
  const map = flatMap(f, shape, algorithm.name);
  let nfe = 0;
  const evaluate = (u: tf.Tensor2D): tf.Tensor2D => {
    nfe += 1;
    return map(u);
  };
  const monitor = new ConvergenceMonitor(batch, settings, recordTrace);
  let method: NonlinearMethod | null = null;
  let best: BestTracker | null = null;
  let legacy: LoopState | null = null;
  let active: tf.Tensor2D | null = null;
  let output: { u: tf.Tensor; residual: tf.Tensor } | null = null;
  tf.tidy(() => {
    try {
      const u = flattenBatch(u0);
      const fu = evaluate(u);
      const r = tf.sub(fu, u) as tf.Tensor2D;
      let state: { u: tf.Tensor2D; fu: tf.Tensor2D; r: tf.Tensor2D };
      let apply: (decision: CheckDecision, iterated: Uint8Array) => void;
      if (solverSwitches.lazyBest) {
        const tracker = new BestTracker(batch, u, fu, r);
        best = tracker;
        state = tracker.state;
        apply = (decision, iterated) => tracker.apply(decision, iterated);
      } else {
        const s: LoopState = { u, fu, r, bestU: tf.clone(u), bestR: tf.clone(r) };
        for (const t of Object.values(s)) tf.keep(t);
        legacy = s;
        state = s;
        apply = (decision) => applyDecision(s, decision);
      }
      const first = readColumns(checkColumns(state.r, state.fu, settings));
      const iterationOf = (k: number): Int32Array => new Int32Array(batch).fill(k);
      let decision = monitor.check(unpackCheck(first, settings), iterationOf(0), nfe);
      apply(decision, new Uint8Array(batch));
      method = algorithm.createMethod({ batch, size, evaluate, settings });
      let activeHost = monitor.runningFlags();
      active = tf.keep(uploadMask(activeHost, size));
      const created: NonlinearMethod = method;
      tf.tidy(() => created.init(inputOf(state, active!, activeHost)));
      // Rows iterated since the last check (frozen rows come back unchanged).
      const iterated = new Uint8Array(batch);
      for (let k = 1; k <= settings.maxiters && decision.anyRunning; k++) {
        const current = created;
        const next = keepStep(() => current.step(inputOf(state, active!, activeHost)));
        for (let b = 0; b < batch; b++) iterated[b] |= activeHost[b];
        if (best) (best as BestTracker).setState(next.u, next.fu, next.r);
        else {
          state.u = replace(state.u, next.u);
          state.fu = replace(state.fu, next.fu);
          state.r = replace(state.r, next.r);
        }
        const isCheck = k % settings.checkEvery === 0 || k === settings.maxiters;
        // One read of what is still on the device: the check's columns unless the method already
        // has them on the host (`checks`), then the method's own `reads`.
        const deviceCheck = isCheck && !next.checks;
        const device = deviceCheck || next.reads.length > 0 ? readColumnsTidy(() => [...(deviceCheck ? checkColumns(state.r, state.fu, settings) : []), ...next.reads]) : [];
        for (const t of next.reads) t.dispose();
        const readCount = next.reads.reduce((a, t) => a + (t.rank === 1 ? 1 : t.size / batch), 0);
        const received = [...device.slice(device.length - readCount), ...(next.hostReads ?? [])];
        if (next.reads.length > 0 || next.hostReads) current.receive?.(received);
        if (!isCheck) continue;
        const checkValues = next.checks ?? device.slice(0, device.length - readCount);
        decision = monitor.check(unpackCheck(checkValues, settings), iterationOf(k), nfe);
        apply(decision, iterated);
        iterated.fill(0);
        if (decision.stoppedNow.some((s) => s === 1)) {
          activeHost = monitor.runningFlags();
          active = replace(active, tf.keep(uploadMask(activeHost, size)));
        }
      }
      monitor.finish(iterationOf(settings.maxiters));
      const [bestU, bestR] = best ? (best as BestTracker).result() : [(legacy as LoopState | null)!.bestU, (legacy as LoopState | null)!.bestR];
      output = {
        u: tf.keep(tf.reshape(bestU, shape)),
        residual: tf.keep(tf.reshape(bestR, shape)),
      };
    } finally {
      (method as NonlinearMethod | null)?.dispose();
      (best as BestTracker | null)?.dispose();
      for (const t of Object.values((legacy as LoopState | null) ?? {})) (t as tf.Tensor).dispose();
      (active as tf.Tensor2D | null)?.dispose();
    }
  });
  const done = output as unknown as { u: tf.Tensor; residual: tf.Tensor };
  const summary = monitor.summary();
  return {
    u: done.u,
    residual: done.residual,
    nfe,
    iterations: Math.max(0, ...Array.from(summary.perSample.iterations)),
    status: summary.status,
    perSample: summary.perSample,
    algorithm: algorithm.name,
    ...(summary.trace ? { trace: summary.trace } : {}),
  };
}

type Slot = 'u' | 'fu' | 'r' | 'bestU' | 'bestR' | 'checkedU' | 'checkedR';

/**
 * The loop state and each sample's best iterate, tracked lazily. The returned ("best") iterate
 * of a sample is either its state at the last check (`atCheck[b] = 1`: the common case, as the
 * residual usually keeps improving) or a row of `bestU`/`bestR`. A row is copied into `bestU`
 * only when a check finds that the sample moved on without improving, so a solve whose samples
 * improve at every check never selects rows (the eager version did two `where` ops and a mask
 * upload per check). Tensors may sit in several slots at once; one is disposed when it leaves
 * its last slot.
 */
class BestTracker {
  private readonly slots: Record<Slot, tf.Tensor2D>;
  /** 1: the sample's best is its row of `checkedU`/`checkedR` (its state at the last check). */
  private readonly atCheck: Uint8Array;

  constructor(
    private readonly batch: number,
    u: tf.Tensor2D,
    fu: tf.Tensor2D,
    r: tf.Tensor2D,
  ) {
    for (const t of [u, fu, r]) tf.keep(t);
    this.slots = { u, fu, r, bestU: u, bestR: r, checkedU: u, checkedR: r };
    this.atCheck = new Uint8Array(batch).fill(1);
  }

  get state(): { u: tf.Tensor2D; fu: tf.Tensor2D; r: tf.Tensor2D } {
    const slots = this.slots;
    return {
      get u() {
        return slots.u;
      },
      get fu() {
        return slots.fu;
      },
      get r() {
        return slots.r;
      },
      set u(_t) {
        throw new Error('BestTracker: use setState');
      },
      set fu(_t) {
        throw new Error('BestTracker: use setState');
      },
      set r(_t) {
        throw new Error('BestTracker: use setState');
      },
    };
  }

  private set(slot: Slot, t: tf.Tensor2D): void {
    const old = this.slots[slot];
    this.slots[slot] = t;
    if (old !== t && !Object.values(this.slots).includes(old) && !old.isDisposed) old.dispose();
  }

  /** The new iterate of a step (kept tensors). */
  setState(u: tf.Tensor2D, fu: tf.Tensor2D, r: tf.Tensor2D): void {
    this.set('u', u);
    this.set('fu', fu);
    this.set('r', r);
  }

  /** Applies a check's decision; `iterated[b]` = sample b was stepped since the previous check. */
  apply(decision: CheckDecision, iterated: Uint8Array): void {
    const { takeCurrent, restoreBest } = decision;
    // Samples whose best was their state at the previous check, that moved on and did not improve:
    // their best row must be saved before that state is released.
    const save = new Uint8Array(this.batch);
    let anySave = false;
    for (let b = 0; b < this.batch; b++) {
      if (this.atCheck[b] && iterated[b] && !takeCurrent[b]) {
        save[b] = 1;
        anySave = true;
        this.atCheck[b] = 0;
      }
    }
    if (anySave) {
      this.set('bestU', tf.keep(selectRows(save, this.slots.checkedU, this.slots.bestU)));
      this.set('bestR', tf.keep(selectRows(save, this.slots.checkedR, this.slots.bestR)));
    }
    for (let b = 0; b < this.batch; b++) if (takeCurrent[b]) this.atCheck[b] = 1;
    // Failed samples go back to their best (a no-op where the best is the current state).
    const restore = new Uint8Array(this.batch);
    let anyRestore = false;
    for (let b = 0; b < this.batch; b++) {
      if (restoreBest[b] && !this.atCheck[b]) {
        restore[b] = 1;
        anyRestore = true;
        this.atCheck[b] = 1;
      }
    }
    if (anyRestore) {
      const u = tf.keep(selectRows(restore, this.slots.bestU, this.slots.u));
      const r = tf.keep(selectRows(restore, this.slots.bestR, this.slots.r));
      this.setState(u, tf.keep(tf.add(u, r)), r);
    }
    this.set('checkedU', this.slots.u);
    this.set('checkedR', this.slots.r);
  }

  /** Each sample's best iterate and residual (owned by the tracker until disposed). */
  result(): [tf.Tensor2D, tf.Tensor2D] {
    if (this.atCheck.every((v) => v === 1)) return [this.slots.checkedU, this.slots.checkedR];
    const u = tf.keep(selectRows(this.atCheck, this.slots.checkedU, this.slots.bestU));
    const r = tf.keep(selectRows(this.atCheck, this.slots.checkedR, this.slots.bestR));
    this.set('bestU', u);
    this.set('bestR', r);
    return [u, r];
  }

  dispose(): void {
    for (const t of new Set(Object.values(this.slots))) if (!t.isDisposed) t.dispose();
  }
}

/** Runs a step inside a tidy, keeping its outputs (and the new residual) alive. */
type KeptStep = { u: tf.Tensor2D; fu: tf.Tensor2D; r: tf.Tensor2D; reads: readonly tf.Tensor[]; hostReads?: readonly Float32Array[]; checks?: readonly Float32Array[] };

function keepStep(step: () => StepOutput): KeptStep {
  let result: KeptStep | null = null;
  // Host arrays leave through a closure, not the tidy's result (tidy would walk them element by element).
  tf.tidy(() => {
    const out = step();
    const r = out.r ?? (tf.sub(out.fu, out.u) as tf.Tensor2D);
    const reads = out.reads ?? [];
    for (const t of [out.u, out.fu, r, ...reads]) tf.keep(t);
    result = { u: out.u, fu: out.fu, r, reads, hostReads: out.hostReads, checks: out.checks };
  });
  return result!;
}

function inputOf(state: { u: tf.Tensor2D; fu: tf.Tensor2D; r: tf.Tensor2D }, active: tf.Tensor2D, activeHost: Uint8Array): StepInput {
  return { u: state.u, fu: state.fu, r: state.r, active, activeHost };
}

/** Moves current iterates into the best slots, and resets failed samples to their best (eager version, solverSwitches.lazyBest off). */
function applyDecision(state: LoopState, decision: CheckDecision): void {
  if (decision.takeCurrent.some((v) => v === 1)) {
    const take = uploadMask(decision.takeCurrent, state.u.shape[1]);
    state.bestU = replace(state.bestU, tf.keep(tf.where(take, state.u, state.bestU)));
    state.bestR = replace(state.bestR, tf.keep(tf.where(take, state.r, state.bestR)));
    take.dispose();
  }
  if (decision.restoreBest.some((v) => v === 1)) {
    const restore = uploadMask(decision.restoreBest, state.u.shape[1]);
    state.u = replace(state.u, tf.keep(tf.where(restore, state.bestU, state.u)));
    state.r = replace(state.r, tf.keep(tf.where(restore, state.bestR, state.r)));
    state.fu = replace(state.fu, tf.keep(tf.add(state.u, state.r)));
    restore.dispose();
  }
}
