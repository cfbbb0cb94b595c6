import * as tf from '@tensorflow/tfjs-core';
import { checkColumns, flatMap, flattenBatch, readColumnsTidy, replace, unpackCheck, uploadMask } from '../internal/batch.js';
import { ConvergenceMonitor, type CheckDecision } from '../internal/monitor.js';
import type { TerminationSettings } from '../termination.js';
import type { FixedPointMap, SolveResult } from '../types.js';
import type { OdeAlgorithm } from './algorithms.js';
import { BatchIntegrator } from './integrator.js';
import type { FlatRhs } from './stepper.js';

/**
 * Default local-error tolerances of a steady-state run, relative to the termination tolerances
 * (reltol only when the test is relative: with an absolute test, reltol·|u| would dominate the
 * error scale at |u| ~ 1 and let the integrator's own error exceed the residual target). Near a
 * steady state an explicit method's step grows until it rides its stability boundary, where the
 * stiffest mode is barely damped and kept at the size the error control allows; that mode's
 * residual must stay below the test, hence a tenth (observed with VCABM3 and Tsit5).
 */
const LOCAL_TOLERANCE_FACTOR = 0.1;

/** Whether the termination test involves reltol (then so does the local error control). */
function usesRelativeTest(settings: TerminationSettings): boolean {
  return settings.terminationMode !== 'abs' && settings.terminationMode !== 'absNorm';
}

/**
 * Integrates du/dt = f(u) − u from t = 0 until each sample's residual f(u) − u = du/dt meets the
 * termination test (SciML's DynamicSS), with per-sample steps, best-iterate tracking and the same
 * guards and statuses as the root finders. `maxTime` caps each sample's integration time
 * (reaching it counts as 'maxiters'). Internal; the public entry is solveSteadyState.
 */
export function runOdeSteadyState(
  f: FixedPointMap,
  u0: tf.Tensor,
  algorithm: OdeAlgorithm,
  settings: TerminationSettings,
  recordTrace: boolean,
  maxTime: number,
): SolveResult {
  const shape = u0.shape;
  const batch = shape[0];
  const map = flatMap(f, shape, algorithm.name);
  let nfe = 0;
  const rhs: FlatRhs = (u) => {
    nfe += 1;
    return tf.sub(map(u), u) as tf.Tensor2D;
  };
  const a = algorithm.options;
  const flat = flattenBatch(u0);
  const integrator = new BatchIntegrator(rhs, algorithm.createStepper(rhs, batch), flat, {
    adaptive: a.adaptive,
    dt: a.dt,
    abstol: a.abstol ?? LOCAL_TOLERANCE_FACTOR * settings.abstol,
    reltol: a.reltol ?? (usesRelativeTest(settings) ? LOCAL_TOLERANCE_FACTOR * settings.reltol : 0),
    controller: a.controller,
    maxiters: Infinity, // the monitor owns the budget
    t0: 0,
    t1: maxTime,
    needDerivative: true,
  });
  flat.dispose();
  const monitor = new ConvergenceMonitor(batch, settings, recordTrace);
  let bestU: tf.Tensor2D | null = null;
  let bestR: tf.Tensor2D | null = null;
  let output: { u: tf.Tensor; residual: tf.Tensor } | null = null;
  try {
    const r0 = integrator.derivative();
    bestU = tf.keep(tf.clone(integrator.u));
    bestR = tf.keep(tf.clone(r0));
    const first = readColumnsTidy(() => checkColumns(r0, tf.add(integrator.u, r0) as tf.Tensor2D, settings));
    let decision = monitor.check(unpackCheck(first, settings), integrator.attempts, nfe);
    const apply = (d: CheckDecision): void => {
      if (d.takeCurrent.some((v) => v === 1)) {
        const take = uploadMask(d.takeCurrent, integrator.u.shape[1]);
        bestU = replace(bestU, tf.keep(tf.where(take, integrator.u, bestU!) as tf.Tensor2D));
        bestR = replace(bestR, tf.keep(tf.where(take, integrator.derivative(), bestR!) as tf.Tensor2D));
        take.dispose();
      }
      if (d.restoreBest.some((v) => v === 1)) {
        const restore = uploadMask(d.restoreBest, integrator.u.shape[1]);
        integrator.replaceRows(restore, bestU!, bestR);
        restore.dispose();
      }
      d.stoppedNow.forEach((stopped, b) => {
        if (stopped) integrator.stop(b, 'success');
      });
    };
    apply(decision);
    for (let b = 0; b < batch; b++) if (!monitor.isRunning(b)) integrator.stop(b, 'success');
    integrator.chooseInitialSteps();
    while (integrator.anyRunning() && decision.anyRunning) {
      const attemptNumber = Math.max(...Array.from(integrator.attempts, (n, b) => (integrator.running[b] ? n : 0))) + 1;
      const isCheck = a.adaptive || attemptNumber % settings.checkEvery === 0 || attemptNumber >= settings.maxiters;
      const report = integrator.attempt(isCheck ? (uNew, kNew) => checkColumns(kNew!, tf.add(uNew, kNew!) as tf.Tensor2D, settings) : undefined);
      // Samples the integrator stopped by itself (step-size underflow, NaN errors, time cap).
      for (let b = 0; b < batch; b++) {
        if (!integrator.running[b] && monitor.isRunning(b)) {
          const st = integrator.status[b];
          monitor.stopSample(b, st === 'success' ? 'maxiters' : (st ?? 'maxiters'), integrator.attempts[b]);
        }
      }
      if (!isCheck) continue;
      const values = report.values.length > 0 ? unpackCheck(report.values, settings) : [];
      decision = monitor.check(values, integrator.attempts, nfe, report.accepted);
      apply(decision);
    }
    monitor.finish(integrator.attempts);
    output = { u: tf.reshape(bestU, shape), residual: tf.reshape(bestR!, shape) };
  } finally {
    integrator.dispose();
    bestU?.dispose();
    bestR?.dispose();
  }
  const summary = monitor.summary();
  return {
    u: output.u,
    residual: output.residual,
    nfe,
    iterations: Math.max(0, ...Array.from(summary.perSample.iterations)),
    status: summary.status,
    perSample: summary.perSample,
    algorithm: algorithm.name,
    ...(summary.trace ? { trace: summary.trace } : {}),
  };
}
