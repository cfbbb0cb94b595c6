import { Xoshiro } from '@deqts/core-layers';
import type { Dataset } from '@deqts/train';

/** A generated 2D problem: its train and test sets and the square the points lie in. */
export type ToyProblem = {
  readonly train: Dataset;
  readonly test: Dataset;
  /** [xMin, xMax, yMin, yMax] of the plot. */
  readonly extent: readonly [number, number, number, number];
};

type Generator = (rng: Xoshiro, label: number) => [number, number];

/** Two interleaved spiral arms (1.75 turns each) with a little Gaussian noise. */
const spiralPoint: Generator = (rng, label) => {
  const t = 0.08 + 0.92 * rng.uniform();
  const angle = 3.5 * Math.PI * t + label * Math.PI;
  return [t * Math.cos(angle) + 0.02 * rng.normal(), t * Math.sin(angle) + 0.02 * rng.normal()];
};

/** scikit-learn's two moons (noise 0.1), centred on the origin. */
const moonPoint: Generator = (rng, label) => {
  const angle = Math.PI * rng.uniform();
  const [x, y] = label === 0 ? [Math.cos(angle), Math.sin(angle)] : [1 - Math.cos(angle), 0.5 - Math.sin(angle)];
  return [(x - 0.5 + 0.1 * rng.normal()) / 1.2, (y - 0.25 + 0.1 * rng.normal()) / 1.2];
};

function sample(generate: Generator, size: number, rng: Xoshiro): Dataset {
  const x = new Float32Array(2 * size);
  const y = new Int32Array(size);
  for (let i = 0; i < size; i++) {
    const label = i % 2;
    const [a, b] = generate(rng, label);
    x[2 * i] = a;
    x[2 * i + 1] = b;
    y[i] = label;
  }
  return { x, y, sampleShape: [2], size, numClasses: 2 };
}

/**
 * The spiral or moons problem: `trainSize` and `testSize` points drawn with the seed, half of
 * each class.
 */
export function toyProblem(name: 'spiral' | 'moons', seed: number, trainSize = 1000, testSize = 500): ToyProblem {
  const rng = new Xoshiro(seed);
  const generate = name === 'spiral' ? spiralPoint : moonPoint;
  const r = name === 'spiral' ? 1.25 : 1.6;
  return { train: sample(generate, trainSize, rng), test: sample(generate, testSize, rng), extent: [-r, r, -r, r] };
}
