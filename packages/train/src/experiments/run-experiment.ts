import { initBackend, OptionError } from '@deqts/core-layers';
import type { Dataset } from '../data/dataset.js';
import { subset } from '../data/dataset.js';
import { loadMnist } from '../data/mnist.js';
import { loadCifar10 } from '../data/cifar.js';
import type { ResolvedConfig } from './config.js';
import { cifarSmallModel, mnistConvModel, mnistDenseModel, mnistNeuralOdeModel, type DeqVariant } from './models.js';
import { writeReport } from './report.js';
import { solverByName } from './solvers.js';
import { trainOne, type ModelFactory, type RunResult } from './train-one.js';

function loadData(config: ResolvedConfig): { train: Dataset; test: Dataset } {
  if (config.experiment === 'cifar10-small') {
    if (!config.cifarDir) {
      throw new OptionError("deqts-experiment: the cifar10-small experiment needs --cifar-dir DIR, a folder with the CIFAR-10 binary batches (data_batch_1.bin … test_batch.bin)");
    }
    const data = loadCifar10(config.cifarDir);
    return { train: subset(data.train, Math.min(config.trainSize, data.train.size)), test: subset(data.test, Math.min(config.testSize, data.test.size)) };
  }
  return loadMnist({ limitTrain: config.trainSize, limitTest: config.testSize });
}

function modelFactory(config: ResolvedConfig): ModelFactory {
  return (variant, jacobian, trace) => {
    const deqOptions = {
      abstol: config.tolerance,
      reltol: config.tolerance,
      maxiters: config.maxiters,
      jacobianRegularization: jacobian,
      solverOptions: { terminationMode: config.termination, norm: config.termination === 'relNorm' ? 'l2' : 'inf', ...(trace ? { trace: true } : {}) },
    };
    const solver = solverByName(config.solver);
    switch (config.experiment) {
      case 'mnist-dense':
        return mnistDenseModel({ variant: variant as DeqVariant, solver, deqOptions });
      case 'mnist-conv':
        return mnistConvModel({ variant: variant as DeqVariant, solver, deqOptions });
      case 'cifar10-small':
        return cifarSmallModel({ variant: variant as DeqVariant | 'node', solver, deqOptions: { ...deqOptions, jacobianRegularization: undefined } } as never);
      case 'neural-ode':
        return mnistNeuralOdeModel({ solver, deqOptions: { abstol: config.tolerance, reltol: config.tolerance, maxiters: config.maxiters } });
    }
  };
}

/**
 * Runs an experiment end to end: loads the data, trains every requested variant (± Jacobian
 * regularisation), and writes the paper-shaped results table (Markdown, JSON) and SVG plots.
 *
 * @example
 * ```ts
 * import { resolveConfig, runExperiment } from '@deqts/train';
 * await runExperiment(resolveConfig({ experiment: 'mnist-dense', profile: 'quick', seed: 0, backend: 'auto' }));
 * ```
 */
export async function runExperiment(config: ResolvedConfig): Promise<{ rows: RunResult[]; files: string[]; backend: string }> {
  const backend = await initBackend(config.backend);
  const data = loadData(config);
  const makeModel = modelFactory(config);
  const rows: RunResult[] = [];
  const variants = config.experiment === 'neural-ode' ? ['node'] : config.variants;
  for (const variant of variants) {
    for (const jacobian of variant === 'node' ? [false] : config.jacobian) {
      rows.push(trainOne(config, makeModel, variant, jacobian, data));
      writeReport(config.out, config, rows, backend);
    }
  }
  const files = writeReport(config.out, config, rows, backend);
  return { rows, files, backend };
}
