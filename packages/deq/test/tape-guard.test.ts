import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { vectorJacobianProduct, withNestedGradients } from '../src/index.js';
import { engineInternals, recordForVjp } from '../src/tape-replay.js';
import { describeBackends, expectClose } from '../../../test/utils/index.js';

// The implicit DEQ gradient relies on a tfjs internal (ENGINE.state.activeTape, pinned
// @tensorflow/tfjs-core 4.22.0). These tests fail loudly if a tfjs upgrade changes it.

/** x ↦ x² whose gradient function computes its VJP with a nested tf.grad (as the DEQ adjoint does). */
const squareWithNestedGrad = (guard: boolean) =>
  tf.customGrad(((x: tf.Tensor, save: (t: tf.Tensor[]) => void) => {
    save([x]);
    return {
      value: tf.square(x),
      gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) => {
        const nested = () => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.square(t), dy)))(saved);
        return [guard ? withNestedGradients(nested) : nested()];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor) => tf.Tensor;

describeBackends('tfjs internals the implicit gradient relies on', () => {
  it('ENGINE.state has the activeTape field once a gradient has run', () => {
    tf.grad((x: tf.Tensor) => tf.sum(tf.square(x)))(tf.ones([2]));
    const state = (tf.engine() as unknown as { state: Record<string, unknown> }).state;
    expect('activeTape' in state).toBe(true);
  });

  it('a nested gradient inside customGrad still breaks the outer backward pass without the guard', () => {
    // If this starts passing, tfjs fixed the bug: the guard may be removable (re-check, then update this test).
    const f = squareWithNestedGrad(false);
    expect(() => tf.grad((x: tf.Tensor) => tf.sum(tf.mul(f(x), 3)))(tf.tensor1d([1, 2]))).toThrow(/forEach|null/);
  });

  it('with the guard, nested gradients give the right answer and leak nothing', () => {
    const f = squareWithNestedGrad(true);
    const x = tf.tensor1d([1, 2]);
    const run = () => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(f(t), 3)))(x);
    expect(Array.from(run().dataSync())).toEqual([6, 12]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) run().dispose();
    expect(tf.memory().numTensors).toBe(before);
    const [g] = vectorJacobianProduct(() => tf.square(x), [x], tf.ones([2]));
    expect(Array.from(g.dataSync())).toEqual([2, 4]);
  });
});

// The implicit backward records f(z*, x) once and replays the tape for every VJP
// (src/tape-replay.ts), reimplementing tfjs-core 4.22's getFilteredNodesXToY/backpropagateGradients
// on these engine internals. If any of them changes, these tests fail before training does.
describeBackends('tfjs internals the tape replay relies on', () => {
  it('the engine has startTape/endTape/scopedRun/tidy and state.gradientDepth/activeTape', () => {
    const engine = engineInternals();
    expect(engine.state.gradientDepth).toBe(0);
    expect(typeof engine.startTape).toBe('function');
  });

  it('recording f leaves tape nodes with the fields the replay reads', () => {
    const engine = engineInternals();
    const x = tf.tensor1d([1, 2]);
    const y = engine.scopedRun(() => engine.startTape(), () => engine.endTape(), () => engine.tidy('forward', () => tf.tanh(tf.mul(x, 3))));
    const tape = engine.state.activeTape as unknown as Array<Record<string, unknown>>;
    engine.state.activeTape = null;
    expect(engine.state.gradientDepth).toBe(0);
    // (plus Identity nodes named after the op scope: the clones that save tensors for the backward)
    expect(tape.map((n) => n.kernelName).filter((k) => !String(k).endsWith('__op'))).toEqual(['Multiply', 'Tanh']);
    for (const node of tape) {
      expect(typeof node.id).toBe('number');
      expect(typeof node.gradient).toBe('function');
      expect(Array.isArray(node.outputs)).toBe(true);
      expect(Array.isArray(node.saved)).toBe(true);
      expect(typeof node.inputs).toBe('object');
    }
    // saved tensors are kept clones the engine leaves to whoever ends the tape
    for (const node of tape) for (const t of node.saved as tf.Tensor[]) t.dispose();
    y.dispose();
  });
});

describeBackends('tape replay (recordForVjp)', () => {
  // z used twice, broadcasting, a reduction, a matmul, a custom gradient and an input that f ignores.
  const W = () => tf.tensor2d([[0.3, -0.2, 0.1], [0.05, 0.4, -0.3], [0.2, 0.1, 0.25]]);
  const b = () => tf.tensor1d([0.1, -0.2, 0.3]);
  const custom = tf.customGrad(((a: tf.Tensor, save: (t: tf.Tensor[]) => void) => {
    save([a]);
    return { value: tf.square(a), gradFunc: (dy: tf.Tensor, [s]: tf.Tensor[]) => [tf.mul(dy, tf.mul(s, 2))] };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (a: tf.Tensor) => tf.Tensor;
  const f = (z: tf.Tensor, [w, bias, unused]: readonly tf.Tensor[]) => {
    void unused;
    const h = tf.tanh(tf.add(tf.matMul(z, w), bias));
    return tf.add(tf.mul(h, custom(z)), tf.mul(tf.mean(z, 1, true), 0.5));
  };

  it('every replayed VJP equals a freshly recorded one, for z and for the inputs, and nothing leaks', () => {
    const z = tf.tensor2d([[0.5, -1, 0.25], [2, 0.1, -0.7]]);
    const inputs = [W(), b(), tf.ones([2])];
    const cotangents = [0, 1, 2].map((s) => tf.randomNormal([2, 3], 0, 1, 'float32', s));
    const before = tf.memory().numTensors;
    const rec = recordForVjp(() => f(z, inputs), [[z], inputs]);
    expect(rec).not.toBeNull();
    for (const v of cotangents) {
      const [replayed] = rec!.vjp(0, v);
      const [fresh] = vectorJacobianProduct(() => f(z, inputs), [z], v);
      expectClose(replayed, fresh, 1e-6);
      tf.dispose([replayed, fresh]);
      const replayedInputs = rec!.vjp(1, v);
      const freshInputs = vectorJacobianProduct(() => f(z, inputs), inputs, v);
      replayedInputs.forEach((g, i) => expectClose(g, freshInputs[i], 1e-6));
      expect(Array.from(replayedInputs[2].dataSync())).toEqual([0, 0]);
      tf.dispose([...replayedInputs, ...freshInputs]);
    }
    tf.tidy(() => expectClose(rec!.value, f(z, inputs), 0));
    rec!.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('works inside a customGrad gradient (as the DEQ backward uses it) and returns null inside an outer tape', () => {
    const x = tf.tensor2d([[0.5, -1, 0.25]]);
    const op = tf.customGrad(((a: tf.Tensor, save: (t: tf.Tensor[]) => void) => {
      save([a]);
      return {
        value: tf.tanh(a),
        gradFunc: (dy: tf.Tensor, [s]: tf.Tensor[]) => {
          const rec = recordForVjp(() => tf.tanh(s), [[s]]);
          if (!rec) return [vectorJacobianProduct(() => tf.tanh(s), [s], dy)[0]];
          const [g] = rec.vjp(0, dy);
          rec.dispose();
          return [g];
        },
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (a: tf.Tensor) => tf.Tensor;
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(op(t), t)))(x);
    const expected = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.tanh(t), t)))(x);
    expectClose(g, expected, 1e-6);
    // Inside an outer tape (a gradient of a gradient) recording is refused.
    let inner: unknown = 'not called';
    tf.grad((t: tf.Tensor) => {
      inner = recordForVjp(() => tf.square(t), [[t]]);
      return tf.sum(tf.square(t));
    })(x);
    expect(inner).toBeNull();
  });
});
