// The settings form: what the person picked, read as the worker's RunConfig.
import type { BackendChoice, DatasetName, GradientName, ModelName, RunConfig, SolverName, SolverSettings } from './protocol.js';
import { MNIST_SUBSET_FILE } from './data/mnist.js';

const ROOT_FINDERS: readonly [SolverName, string][] = [
  ['broyden', 'Broyden'], ['anderson', 'Anderson acceleration'], ['lbroyden', 'Limited-memory Broyden'],
  ['newton', 'Newton–Krylov'], ['fixedpoint', 'Fixed-point iteration'],
];
const ODE_SOLVERS: readonly [SolverName, string][] = [['tsit5', 'Tsit5 (ODE steady state)'], ['vcabm3', 'VCABM3 (ODE steady state)']];

/** Per data set: learning rate and batch size that train it quickly. */
const DATASET_DEFAULTS: Record<DatasetName, { learningRate: number; batchSize: number }> = {
  spiral: { learningRate: 0.01, batchSize: 100 },
  moons: { learningRate: 0.01, batchSize: 100 },
  mnist: { learningRate: 0.002, batchSize: 64 },
};

const element = <T extends HTMLElement>(id: string): T => {
  const found = document.getElementById(id);
  if (!found) throw new Error(`playground: the page has no #${id}`);
  return found as T;
};

export const field = {
  dataset: () => element<HTMLSelectElement>('dataset'),
  model: () => element<HTMLSelectElement>('model'),
  solver: () => element<HTMLSelectElement>('solver'),
  abstol: () => element<HTMLInputElement>('abstol'),
  reltol: () => element<HTMLInputElement>('reltol'),
  maxiters: () => element<HTMLInputElement>('maxiters'),
  gradient: () => element<HTMLSelectElement>('gradient'),
  backend: () => element<HTMLSelectElement>('backend'),
  learningRate: () => element<HTMLInputElement>('learning-rate'),
  batchSize: () => element<HTMLInputElement>('batch-size'),
  seed: () => element<HTMLInputElement>('seed'),
};

/**
 * A continuous DEQ is solved only by ODE solvers; the discrete variants by any solver (an ODE
 * solver integrates du/dt = f(u) − u to the same fixed point). Keeps the choice when it stays valid.
 */
export function fillSolvers(): void {
  const select = field.solver();
  const continuous = field.model().value === 'continuous';
  const options = continuous ? ODE_SOLVERS : [...ROOT_FINDERS, ...ODE_SOLVERS];
  const previous = select.value;
  select.replaceChildren(...options.map(([value, label]) => new Option(label, value)));
  select.value = options.some(([value]) => value === previous) ? previous : options[0][0];
}

/** Sets the learning rate and batch size suited to the chosen data set. */
export function applyDatasetDefaults(): void {
  const defaults = DATASET_DEFAULTS[field.dataset().value as DatasetName];
  field.learningRate().value = String(defaults.learningRate);
  field.batchSize().value = String(defaults.batchSize);
}

/** Lists the backends the worker could initialise; the others are shown disabled with the reason. */
export function fillBackends(
  available: readonly BackendChoice[],
  notes: Readonly<Record<string, string>>,
  unavailable: Readonly<Record<string, string>>,
): void {
  const select = field.backend();
  const options = available.map((name) => {
    const option = new Option(notes[name] ? `${name} (${notes[name].split(':')[0]})` : name, name);
    if (notes[name]) option.title = notes[name];
    return option;
  });
  for (const [name, reason] of Object.entries(unavailable)) {
    const option = new Option(`${name} (unavailable)`, name);
    option.disabled = true;
    option.title = reason;
    options.push(option);
  }
  select.replaceChildren(...options);
  if (available.length > 0) select.value = available[0];
}

// Numbers are passed on as typed (NaN included): the library validates them and names the option.
const numberOf = (input: HTMLInputElement): number => (input.value.trim() === '' ? Number.NaN : Number(input.value));

/** The solver part of the form. */
export function readSolverSettings(): SolverSettings {
  return {
    model: field.model().value as ModelName,
    solver: field.solver().value as SolverName,
    abstol: numberOf(field.abstol()),
    reltol: numberOf(field.reltol()),
    maxiters: numberOf(field.maxiters()),
    gradient: field.gradient().value as GradientName,
  };
}

/** The whole form as a run configuration. */
export function readRunConfig(): RunConfig {
  return {
    ...readSolverSettings(),
    dataset: field.dataset().value as DatasetName,
    backend: field.backend().value as BackendChoice,
    learningRate: numberOf(field.learningRate()),
    batchSize: numberOf(field.batchSize()),
    seed: numberOf(field.seed()),
    dataUrl: new URL(MNIST_SUBSET_FILE, document.baseURI).href,
  };
}
