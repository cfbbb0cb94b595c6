// The page: reads the settings, drives the training worker and draws what it reports.
import './style.css';
import { RunHistory } from './history.js';
import type { FromWorker, ToWorker } from './protocol.js';
import { applyDatasetDefaults, field, fillBackends, fillSolvers, readRunConfig, readSolverSettings } from './settings.js';
import { render, showError, showState } from './view.js';

const worker = new Worker(new URL('./worker/worker.ts', import.meta.url), { type: 'module' });
const send = (message: ToWorker): void => worker.postMessage(message);
const button = (id: string) => document.getElementById(id) as HTMLButtonElement;

let history = new RunHistory();
let state: 'probing' | 'idle' | 'loading' | 'training' | 'stopped' = 'probing';
let drawPending = false;

function scheduleDraw(): void {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(() => {
    drawPending = false;
    render(history);
  });
}

function setState(next: typeof state, detail = ''): void {
  state = next;
  button('start').disabled = next === 'probing' || next === 'loading';
  button('stop').disabled = next !== 'training';
  button('resume').disabled = next !== 'stopped';
  document.body.dataset.state = next;
  const labels = { probing: 'Checking which backends this browser offers…', idle: 'Ready.', loading: 'Loading…', training: 'Training…', stopped: 'Stopped.' };
  showState(`${labels[next]}${detail ? ` ${detail}` : ''}`);
}

worker.addEventListener('message', (event: MessageEvent<FromWorker>) => {
  const message = event.data;
  if (message.type === 'backends') {
    fillBackends(message.available, message.notes, message.unavailable);
    setState('idle');
  } else if (message.type === 'state') {
    setState(message.state, message.backend ? `(backend: ${message.backend})` : '');
  } else if (message.type === 'error') {
    showError(message);
  } else if (message.type === 'applied') {
    showError(null);
  } else if (history.record(message)) {
    scheduleDraw();
  }
});
worker.addEventListener('error', (event) => showError({ name: 'WorkerError', message: event.message || 'the training worker failed to load' }));

button('start').addEventListener('click', () => {
  showError(null);
  history = new RunHistory();
  render(history);
  send({ type: 'start', config: readRunConfig() });
});
button('stop').addEventListener('click', () => send({ type: 'stop' }));
button('resume').addEventListener('click', () => send({ type: 'resume' }));

// Solver, tolerances and DEQ variant apply to the running model at its next step.
for (const input of [field.model(), field.solver(), field.abstol(), field.reltol(), field.maxiters(), field.gradient()]) {
  input.addEventListener('change', () => {
    if (input === field.model()) fillSolvers();
    if (state === 'training' || state === 'stopped') send({ type: 'solver', settings: readSolverSettings() });
  });
}
field.dataset().addEventListener('change', applyDatasetDefaults);

window.addEventListener('error', (event) => showError({ name: event.error instanceof Error ? event.error.name : 'Error', message: event.message }));
window.addEventListener('unhandledrejection', (event) => showError({ name: 'Error', message: String(event.reason) }));

/** Read-only access for the end-to-end tests and the curious (open the console). */
Object.defineProperty(window, 'deqtsPlayground', { get: () => ({ history, state }) });

fillSolvers();
applyDatasetDefaults();
setState('probing');
render(history);
send({ type: 'probe' });
