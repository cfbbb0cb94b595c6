// The training worker: owns the tfjs engine and the session, trains in slices of ~100 ms and
// reports to the page after each slice, so Stop, Resume and solver changes apply between steps.
import * as tf from '@tensorflow/tfjs-core';
import { fetchMnistSubset } from '../data/mnist.js';
import { toyProblem } from '../data/toy.js';
import type { FromWorker, RunConfig, StepReport, ToWorker } from '../protocol.js';
import { probeBackends, useBackend } from './backend.js';
import { Session, type SessionData } from './session.js';

const SLICE_MS = 100;
/** Test accuracy (and the 2D decision boundary) every this many seconds of training. */
const EVAL_EVERY_S: Record<RunConfig['dataset'], number> = { spiral: 0.5, moons: 0.5, mnist: 3 };
const BOUNDARY_SIZE = 48;

const post = (message: FromWorker): void => self.postMessage(message);

function postError(error: unknown): void {
  const e = error instanceof Error ? error : new Error(String(error));
  post({ type: 'error', name: e.name, message: e.message });
}

/** Resolves after pending messages are handled (a MessageChannel round trip is not throttled like setTimeout). */
function yieldToMessages(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(null);
  });
}

let session: Session | null = null;
let running = false;
let looping = false;
let trainingMs = 0;
let lastEvalMs = 0;

async function loadData(config: RunConfig): Promise<SessionData> {
  if (config.dataset === 'mnist') return { ...(await fetchMnistSubset(config.dataUrl)), extent: null };
  return toyProblem(config.dataset, config.seed);
}

function evaluate(s: Session): void {
  const start = performance.now();
  const testAccuracy = s.evaluate();
  const probabilities = s.boundary(BOUNDARY_SIZE);
  trainingMs += performance.now() - start;
  lastEvalMs = trainingMs;
  post({ type: 'eval', step: s.step, seconds: trainingMs / 1000, testAccuracy });
  if (probabilities && s.data.extent) {
    const { train, extent } = s.data;
    post({ type: 'boundary', step: s.step, probabilities, size: BOUNDARY_SIZE, extent, points: train.x.slice(0, 2 * 400), labels: train.y.slice(0, 400) });
  }
}

async function loop(): Promise<void> {
  if (looping) return;
  looping = true;
  try {
    while (running && session) {
      const s = session;
      const reports: StepReport[] = [];
      const sliceStart = performance.now();
      while (running && session === s && performance.now() - sliceStart < SLICE_MS) {
        const stepStart = performance.now();
        const report = s.trainStep();
        trainingMs += performance.now() - stepStart;
        reports.push({ ...report, seconds: trainingMs / 1000 });
      }
      if (reports.length > 0) post({ type: 'steps', reports });
      if (s.solve) post({ type: 'solve', step: s.step, ...s.solve });
      if (trainingMs - lastEvalMs >= EVAL_EVERY_S[s.config.dataset] * 1000) evaluate(s);
      await yieldToMessages();
    }
  } catch (error) {
    running = false;
    postError(error);
    post({ type: 'state', state: 'stopped' });
  } finally {
    looping = false;
  }
}

async function start(config: RunConfig): Promise<void> {
  running = false;
  session?.dispose();
  session = null;
  post({ type: 'state', state: 'loading' });
  const backend = await useBackend(config.backend);
  const data = await loadData(config);
  session = new Session(config, data);
  trainingMs = 0;
  lastEvalMs = 0;
  running = true;
  post({ type: 'state', state: 'training', backend, message: `tensors after setup: ${tf.memory().numTensors}` });
  void loop();
}

async function handle(message: ToWorker): Promise<void> {
  switch (message.type) {
    case 'probe':
      post({ type: 'backends', ...(await probeBackends()) });
      return;
    case 'start':
      await start(message.config);
      return;
    case 'stop':
      running = false;
      if (session) evaluate(session);
      post({ type: 'state', state: 'stopped' });
      return;
    case 'resume':
      if (!session) return;
      running = true;
      post({ type: 'state', state: 'training', backend: tf.getBackend() });
      void loop();
      return;
    case 'solver':
      if (!session) return;
      session.changeSolver(message.settings);
      post({ type: 'applied', settings: message.settings });
      return;
  }
}

// Handle messages one at a time, in order; an error goes to the page instead of killing the worker.
let queue: Promise<void> = Promise.resolve();
self.addEventListener('message', (event: MessageEvent<ToWorker>) => {
  queue = queue.then(() => handle(event.data)).catch((error: unknown) => {
    postError(error);
    if (!running) post({ type: 'state', state: session ? 'stopped' : 'idle' });
  });
});
