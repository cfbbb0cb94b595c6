import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { valueAndGrad, Xoshiro } from '@deqts/core-layers';
import { implicitFixedPoint, withoutTape } from '../src/implicit.js';
import { solveAdjoint } from '../src/adjoint.js';
import { deqSwitches } from '../src/switches.js';
import { describeBackends, expectClose } from '../../../test/utils/index.js';

const n = 6;
const batch = 3;
const rng = new Xoshiro(3);
const data = {
  W: Array.from(rng.normalArray(n * n, 0, 0.3 / Math.sqrt(n))),
  U: Array.from(rng.normalArray(n * n, 0, 1 / Math.sqrt(n))),
  x: Array.from(rng.normalArray(batch * n)),
};
const f = (z: tf.Tensor, [x, W, U]: readonly tf.Tensor[]) => tf.tanh(tf.add(tf.matMul(z, W), tf.matMul(x, U)));
const iterate = (fz: (z: tf.Tensor) => tf.Tensor, u0: tf.Tensor, steps: number) => {
  let z = u0;
  for (let i = 0; i < steps; i++) {
    const next = fz(z);
    if (z !== u0) z.dispose();
    z = next;
  }
  return z;
};
const fixedPointSolve = (fz: (z: tf.Tensor) => tf.Tensor, u0: tf.Tensor) => {
  const u = iterate(fz, u0, 80);
  return { u, residual: tf.sub(fz(u), u), report: null };
};

describeBackends('implicit differentiation', () => {
  it('matches backprop through a fully converged unroll, and leaks nothing', () => {
    const W = tf.tensor2d(data.W, [n, n]);
    const U = tf.tensor2d(data.U, [n, n]);
    const x = tf.tensor2d(data.x, [batch, n]);
    const target = tf.tensor(new Xoshiro(9).normalArray(batch * n), [batch, n]);
    const loss = (z: tf.Tensor) => tf.sum(tf.square(tf.sub(z, target))) as tf.Scalar;
    const implicit = () =>
      valueAndGrad((t: { x: tf.Tensor; W: tf.Tensor; U: tf.Tensor }) => {
        const { zStar } = implicitFixedPoint(f, tf.zerosLike(t.x), [t.x, t.W, t.U], fixedPointSolve, { method: 'gmres', maxiters: 50, tol: 1e-7 });
        return loss(zStar);
      })({ x, W, U });
    const [, gImplicit] = implicit();
    const [, gUnrolled] = valueAndGrad((t: { x: tf.Tensor; W: tf.Tensor; U: tf.Tensor }) => {
      let z = tf.zerosLike(t.x);
      for (let i = 0; i < 80; i++) z = f(z, [t.x, t.W, t.U]);
      return loss(z);
    })({ x, W, U });
    for (const k of ['x', 'W', 'U'] as const) expectClose(gImplicit[k], gUnrolled[k], 2e-5, `gradient of ${k}`);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      const [v, g] = implicit();
      v.dispose();
      Object.values(g).forEach((t) => t.dispose());
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('replaying one recorded tape for every adjoint VJP gives the same gradients as recording f per VJP', () => {
    const W = tf.tensor2d(data.W, [n, n]);
    const U = tf.tensor2d(data.U, [n, n]);
    const x = tf.tensor2d(data.x, [batch, n]);
    const gradients = (replay: boolean) => {
      const saved = deqSwitches.tapeReplay;
      deqSwitches.tapeReplay = replay;
      try {
        return valueAndGrad((t: { x: tf.Tensor; W: tf.Tensor; U: tf.Tensor }) => {
          const { zStar } = implicitFixedPoint(f, tf.zerosLike(t.x), [t.x, t.W, t.U], fixedPointSolve, { method: 'gmres', maxiters: 20, tol: 1e-6 });
          return tf.sum(tf.mul(zStar, tf.range(0, batch * n).reshape([batch, n])));
        })({ x, W, U })[1];
      } finally {
        deqSwitches.tapeReplay = saved;
      }
    };
    const replayed = gradients(true);
    const fresh = gradients(false);
    for (const k of ['x', 'W', 'U'] as const) expectClose(replayed[k], fresh[k], 1e-6, `gradient of ${k}`);
  });

  it("GMRES's restart option bounds the Krylov space: restarting every iteration converges slower on a non-normal system", () => {
    const rng = new Xoshiro(4);
    const J = tf.mul(tf.tensor2d(rng.normalArray(36), [6, 6]), 0.3);
    const g = tf.tensor2d(rng.normalArray(12), [2, 6]);
    const vjp = (v: tf.Tensor) => tf.matMul(v, J, false, true);
    const residual = (restart: number) => {
      const lambda = solveAdjoint(vjp, g, { method: 'gmres', maxiters: 6, tol: 1e-12, restart });
      return tf.norm(tf.sub(tf.sub(lambda, vjp(lambda)), g)).dataSync()[0];
    };
    const full = residual(6);
    const restarted = residual(1);
    expect(full).toBeLessThan(1e-4); // 6 iterations span the whole 6-dimensional space
    expect(restarted).toBeGreaterThan(10 * full);
  });

  it('the fixed-point adjoint agrees with GMRES', () => {
    const J = tf.tensor2d([[0.3, 0.1], [-0.2, 0.4]]);
    const g = tf.tensor2d([[1, 2], [3, -1]]);
    const vjp = (v: tf.Tensor) => tf.matMul(v, J, false, true);
    const a = solveAdjoint(vjp, g, { method: 'gmres', maxiters: 10, tol: 1e-7 });
    const b = solveAdjoint(vjp, g, { method: 'fixedPoint', maxiters: 200, tol: 1e-7 });
    // λ − λJᵀ... check the defining equation λ − vjp(λ) = g for both
    expectClose(tf.sub(a, vjp(a)), g, 1e-5);
    expectClose(a, b, 1e-4);
  });

  it('withoutTape gives a zero gradient', () => {
    const x = tf.scalar(3);
    const g = tf.grad((t: tf.Tensor) => tf.add(withoutTape(t, () => tf.square(t)), t))(x);
    expect(g.dataSync()[0]).toBe(1);
  });
});
