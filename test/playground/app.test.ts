import * as tf from '@tensorflow/tfjs-core';
import { OptionError } from '@deqts/core-layers';
import { loadMnist } from '@deqts/train';
import { describe, expect, it } from 'vitest';
import { encodeMnistSubset } from '../../apps/playground/build/mnist-subset.js';
import { decodeMnistSubset } from '../../apps/playground/src/data/mnist.js';
import { toyProblem } from '../../apps/playground/src/data/toy.js';
import { countValues } from '../../apps/playground/src/charts/histogram.js';
import { smooth, thin } from '../../apps/playground/src/history.js';
import type { RunConfig } from '../../apps/playground/src/protocol.js';
import { Session } from '../../apps/playground/src/worker/session.js';

// The playground's pieces that need no browser, run in Node (the page itself: test/e2e/playground.test.ts).
const config: RunConfig = {
  dataset: 'moons', model: 'dense', solver: 'broyden', abstol: 1e-3, reltol: 1e-3, maxiters: 32, gradient: 'implicit',
  backend: 'wasm', learningRate: 0.01, batchSize: 50, seed: 0, dataUrl: '',
};

describe('playground data', () => {
  it('the MNIST subset file round-trips images (to 1/255) and labels', () => {
    const { train, test } = loadMnist({ limitTrain: 20, limitTest: 5 });
    const bytes = encodeMnistSubset(train, test);
    expect(bytes.length).toBe(16 + 25 * 785);
    const decoded = decodeMnistSubset(bytes.buffer.slice(0) as ArrayBuffer);
    expect(decoded.train.size).toBe(20);
    expect(decoded.test.sampleShape).toEqual([784]);
    expect(Array.from(decoded.test.y)).toEqual(Array.from(test.y));
    const maxError = decoded.train.x.reduce((m, v, i) => Math.max(m, Math.abs(v - train.x[i])), 0);
    expect(maxError).toBeLessThanOrEqual(0.5 / 255 + 1e-6);
    expect(() => decodeMnistSubset(new ArrayBuffer(16))).toThrow(/not an MNIST subset file/);
  });

  it('spiral and moons: balanced classes inside the plotted square, the same for the same seed', () => {
    for (const name of ['spiral', 'moons'] as const) {
      const problem = toyProblem(name, 3);
      expect(problem.train.size).toBe(1000);
      expect(problem.train.y.reduce((a, b) => a + b, 0)).toBe(500);
      const [x0, x1] = problem.extent;
      expect(problem.train.x.filter((v) => v > x0 && v < x1).length).toBeGreaterThan(0.995 * 2000);
      expect(toyProblem(name, 3).test.x).toEqual(problem.test.x);
    }
  });

  it('chart helpers: value counts, thinning and smoothing', () => {
    expect(countValues([2, 0, 2, 3])).toEqual([1, 0, 2, 1]);
    const thinned = thin(Array.from({ length: 1001 }, (_, i) => i), 100);
    expect(thinned.length).toBeLessThanOrEqual(101);
    expect(thinned.at(-1)).toBe(1000);
    expect(smooth([1, 1, 1])).toEqual([1, 1, 1]);
  });
});

describe('playground training session', () => {
  it('steps keep the tensor count flat, report the solve, and a solver switch keeps the parameters', () => {
    const start = tf.memory().numTensors;
    const session = new Session(config, { ...toyProblem('moons', 0), extent: [-1.3, 1.3, -1.3, 1.3] });
    const first = session.trainStep(); // the state now also holds the DEQ's solution, the stream one batch
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) session.trainStep();
    expect(tf.memory().numTensors).toBe(before);
    expect(first.solver).toBe('Broyden');
    expect(session.solve?.iterations).toHaveLength(50);
    expect(session.solve?.trace.max.length).toBeGreaterThan(1);
    const accuracy = session.evaluate();
    session.changeSolver({ ...config, solver: 'tsit5' });
    // Same parameters, same fixed points: the ODE steady-state solver predicts as Broyden did.
    expect(Math.abs(session.evaluate() - accuracy)).toBeLessThan(0.03);
    expect(session.trainStep().solver).toBe('Tsit5');
    expect(session.boundary(8)).toHaveLength(64);
    expect(tf.memory().numTensors).toBe(before);
    session.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });

  it('invalid settings throw the library\'s OptionError naming the option, and leave the session as it was', () => {
    expect(() => new Session({ ...config, abstol: 0 }, toyProblem('moons', 0) as never)).toThrow(OptionError);
    const session = new Session(config, { ...toyProblem('moons', 0), extent: null });
    expect(() => session.changeSolver({ ...config, maxiters: 0 })).toThrow(/DeepEquilibriumNetwork: option 'maxiters'/);
    expect(() => session.changeSolver({ ...config, model: 'continuous', solver: 'broyden' })).toThrow(/pick an ODE solver/);
    expect(() => session.changeSolver({ ...config, model: 'skip' })).toThrow(/press Start/);
    expect(session.trainStep().solver).toBe('Broyden');
    session.dispose();
  });
});
