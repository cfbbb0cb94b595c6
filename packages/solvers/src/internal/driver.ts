import * as tf from '@tensorflow/tfjs-core';
import type { NonlinearAlgorithm, NonlinearMethod, StepInput, StepOutput } from '../algorithms/base.js';
import type { TerminationSettings } from '../termination.js';
import type { FixedPointMap, SolveResult } from '../types.js';
import { checkColumns, flatMap, flattenBatch, readColumns, replace, unpackCheck, uploadMask } from './batch.js';
import { ConvergenceMonitor, type CheckDecision } from './monitor.js';

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
  let state: LoopState | null = null;
  let active: tf.Tensor2D | null = null;
  let output: { u: tf.Tensor; residual: tf.Tensor } | null = null;
  tf.tidy(() => {
    try {
      const u = flattenBatch(u0);
      const fu = evaluate(u);
      const r = tf.sub(fu, u) as tf.Tensor2D;
      state = { u, fu, r, bestU: tf.clone(u), bestR: tf.clone(r) };
      for (const t of Object.values(state)) tf.keep(t);
      const first = readColumns(checkColumns(state.r, state.fu, settings));
      const iterationOf = (k: number): Int32Array => new Int32Array(batch).fill(k);
      let decision = monitor.check(unpackCheck(first, settings), iterationOf(0), nfe);
      applyDecision(state, decision);
      method = algorithm.createMethod({ batch, size, evaluate, settings });
      let activeHost = monitor.runningFlags();
      active = tf.keep(uploadMask(activeHost, size));
      const created: NonlinearMethod = method;
      tf.tidy(() => created.init(inputOf(state!, active!, activeHost)));
      for (let k = 1; k <= settings.maxiters && decision.anyRunning; k++) {
        const current = created;
        const next = keepStep(() => current.step(inputOf(state!, active!, activeHost)));
        state.u = replace(state.u, next.u);
        state.fu = replace(state.fu, next.fu);
        state.r = replace(state.r, next.r);
        const isCheck = k % settings.checkEvery === 0 || k === settings.maxiters;
        const values = tf.tidy(() => readColumns([...(isCheck ? checkColumns(state!.r, state!.fu, settings) : []), ...next.reads]));
        for (const t of next.reads) t.dispose();
        const ownCount = values.length - next.reads.length;
        if (next.reads.length > 0) current.receive?.(values.slice(ownCount));
        if (!isCheck) continue;
        decision = monitor.check(unpackCheck(values.slice(0, ownCount), settings), iterationOf(k), nfe);
        applyDecision(state, decision);
        if (decision.stoppedNow.some((s) => s === 1)) {
          activeHost = monitor.runningFlags();
          active = replace(active, tf.keep(uploadMask(activeHost, size)));
        }
      }
      monitor.finish(iterationOf(settings.maxiters));
      output = {
        u: tf.keep(tf.reshape(state.bestU, shape)),
        residual: tf.keep(tf.reshape(state.bestR, shape)),
      };
    } finally {
      (method as NonlinearMethod | null)?.dispose();
      for (const t of Object.values((state as LoopState | null) ?? {})) (t as tf.Tensor).dispose();
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

/** Runs a step inside a tidy, keeping its outputs (and the new residual) alive. */
function keepStep(step: () => StepOutput): { u: tf.Tensor2D; fu: tf.Tensor2D; r: tf.Tensor2D; reads: readonly tf.Tensor[] } {
  let result: { u: tf.Tensor2D; fu: tf.Tensor2D; r: tf.Tensor2D; reads: readonly tf.Tensor[] } | null = null;
  tf.tidy(() => {
    const out = step();
    const r = tf.sub(out.fu, out.u) as tf.Tensor2D;
    const reads = out.reads ?? [];
    for (const t of [out.u, out.fu, r, ...reads]) tf.keep(t);
    result = { u: out.u, fu: out.fu, r, reads };
  });
  return result!;
}

function inputOf(state: LoopState, active: tf.Tensor2D, activeHost: Uint8Array): StepInput {
  return { u: state.u, fu: state.fu, r: state.r, active, activeHost };
}

/** Moves current iterates into the best slots, and resets failed samples to their best. */
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
