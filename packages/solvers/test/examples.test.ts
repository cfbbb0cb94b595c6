import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import {
  Anderson,
  Broyden,
  Euler,
  FixedPointIteration,
  LimitedMemoryBroyden,
  NewtonRaphson,
  RK4,
  Tsit5,
  VCABM3,
  gmres,
  solveOde,
  solveSteadyState,
} from '@deqts/solvers';
import { describeBackends } from '../../../test/utils/index.js';

// The doc-comment examples of the public API, run with their stated outcomes checked.
describeBackends('doc examples', () => {
  it('root finders on cos and tanh maps', () => {
    const dottie = 0.7390851;
    const fpi = solveSteadyState((u) => tf.cos(u), tf.zeros([2, 1]), new FixedPointIteration({ maxiters: 100 }));
    fpi.u.dataSync().forEach((v) => expect(v).toBeCloseTo(dottie, 3));
    const anderson = solveSteadyState((u) => tf.cos(u), tf.zeros([2, 3]), new Anderson({ memory: 3, abstol: 1e-6 }));
    expect(anderson.status).toBe('success');
    expect(anderson.nfe).toBeLessThanOrEqual(10);
    const newton = solveSteadyState((u) => tf.cos(u), tf.zeros([3, 2]), new NewtonRaphson({ jvp: 'autodiff', abstol: 1e-6 }));
    expect(Array.from(newton.perSample.iterations)).toEqual([4, 4, 4]);
    const broyden = solveSteadyState((u) => tf.cos(u), tf.zeros([4, 2]), new Broyden({ abstol: 1e-6 }));
    const limited = solveSteadyState((u) => tf.cos(u), tf.zeros([4, 2]), new LimitedMemoryBroyden({ memory: 4 }));
    for (const s of [anderson, newton, broyden, limited]) {
      expect(s.status).toBe('success');
      s.u.dataSync().forEach((v) => expect(v).toBeCloseTo(dottie, 2));
    }
    for (const s of [fpi, anderson, newton, broyden, limited]) tf.dispose([s.u, s.residual]);
  });

  it('solveSteadyState: discrete and continuous DEQ', () => {
    const W = tf.mul(tf.randomNormal([16, 16], 0, 1, 'float32', 0), 0.1);
    const x = tf.randomNormal([8, 16], 0, 1, 'float32', 1);
    const f = (z: tf.Tensor) => tf.tanh(tf.add(tf.matMul(z, W), x));
    const discrete = solveSteadyState(f, tf.zeros([8, 16]), new Broyden());
    const continuous = solveSteadyState(f, tf.zeros([8, 16]), new Tsit5(), { maxiters: 100 });
    const vcabm = solveSteadyState((u) => tf.tanh(tf.add(tf.mul(u, 0.5), 1)), tf.zeros([4, 3]), new VCABM3(), { maxiters: 100 });
    for (const s of [discrete, continuous, vcabm]) {
      expect(s.status).toBe('success');
      tf.dispose([s.u, s.residual]);
    }
    tf.dispose([W, x]);
  });

  it('solveOde with each method, and gmres', () => {
    const e1 = Math.exp(-1);
    const tsit = solveOde((u) => tf.neg(u), tf.ones([2, 1]), [0, 1], new Tsit5(), { abstol: 1e-8, reltol: 1e-8 });
    tsit.u.dataSync().forEach((v) => expect(v).toBeCloseTo(e1, 5));
    const euler = solveOde((u) => tf.neg(u), tf.ones([1, 1]), [0, 1], new Euler({ dt: 0.01 }));
    expect(euler.u.dataSync()[0]).toBeCloseTo(e1, 2);
    const rk4 = solveOde((u) => tf.neg(u), tf.ones([1, 1]), [0, 1], new RK4({ dt: 0.1 }));
    expect(rk4.u.dataSync()[0]).toBeCloseTo(e1, 5);
    const rotation = tf.tensor2d([[0, -1], [1, 0]]);
    const oscillator = solveOde((u) => tf.matMul(u, rotation), tf.tensor2d([[1, 0]]), [0, Math.PI], new RK4({ dt: 0.01 }));
    const [c, s] = oscillator.u.dataSync();
    expect(c).toBeCloseTo(-1, 5);
    expect(s).toBeCloseTo(0, 5);
    const A = tf.tensor2d([[4, 1], [1, 3]]);
    const b = tf.tensor2d([[1, 2], [3, 4]]);
    const sol = gmres((v) => tf.matMul(v, A, false, true), b, { reltol: 1e-6 });
    const want = [1 / 11, 7 / 11, 5 / 11, 13 / 11];
    sol.x.dataSync().forEach((v, i) => expect(v).toBeCloseTo(want[i], 5));
    tf.dispose([tsit.u, euler.u, rk4.u, oscillator.u, rotation, A, b, sol.x]);
  });
});
