import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';

/**
 * Runs `step` `warmup` times, then `iterations` more, and asserts `tf.memory().numTensors` is the
 * same after the measured iterations as before them (a step may hand back ownership of what it
 * returns: dispose it in the step).
 */
export async function expectNoLeak(step: () => void | Promise<void>, iterations = 20, warmup = 2): Promise<void> {
  for (let i = 0; i < warmup; i++) await step();
  const before = tf.memory().numTensors;
  for (let i = 0; i < iterations; i++) await step();
  const after = tf.memory().numTensors;
  expect(after - before, `tensors leaked over ${iterations} steps`).toBe(0);
}
