import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import {
  Chain, Dense, OptionError, Parallel, setup, stopGradient, updateState, valueAndGrad, WrappedFunction, Xoshiro,
  glorotNormal, type Params,
} from '@deqts/core-layers';
import { Broyden, FixedPointIteration, Tsit5 } from '@deqts/solvers';
import { DeepEquilibriumNetwork } from '../src/index.js';
import { checkGradients, describeBackends, expectClose } from '../../../test/utils/index.js';
import { add } from './helpers.js';

const n = 5;
const batch = 4;
/** f([z, x]) = tanh(W z + U x + b), W small enough to be contractive. */
const makeF = () =>
  Chain(
    Parallel(add, Dense(n, n, { useBias: false, initWeight: glorotNormal({ gain: 0.6 }) }), Dense(n, n)),
    WrappedFunction((t: tf.Tensor) => tf.tanh(t), 'tanh'),
  );
const inputs = () => tf.tensor(new Xoshiro(5).normalArray(batch * n), [batch, n]);
const tight = { abstol: 1e-6, reltol: 1e-6, maxiters: 200, adjoint: { method: 'gmres' as const, maxiters: 60, tol: 1e-7 } };

describeBackends('DEQ gradients', () => {
  it('implicit gradients agree with finite differences (1e-3 relative)', () => {
    const deq = DeepEquilibriumNetwork(makeF(), new Broyden(), tight);
    const [ps, st] = setup(new Xoshiro(1), deq);
    checkGradients((t) => {
      const { x, ps: p } = t as { x: tf.Tensor; ps: typeof ps };
      return deq(x, p, st)[0];
    }, { x: inputs(), ps }, { eps: 1e-2, rtol: 1e-3 });
  });

  it('implicit gradients agree with backprop through a fully converged unroll', () => {
    const deq = DeepEquilibriumNetwork(makeF(), new Broyden(), tight);
    const [ps, st] = setup(new Xoshiro(2), deq);
    const x = inputs();
    const loss = (t: { x: tf.Tensor; ps: typeof ps }, s: typeof st) => tf.sum(tf.square(deq(t.x, t.ps, s)[0])) as tf.Scalar;
    const [, gi] = valueAndGrad((t: { x: tf.Tensor; ps: typeof ps }) => loss(t, st))({ x, ps });
    const [, gu] = valueAndGrad((t: { x: tf.Tensor; ps: typeof ps }) => loss(t, updateState(st, 'fixedDepth', 120)))({ x, ps });
    expectClose(gi.x, gu.x, 1e-4, 'dx');
    const w = (g: typeof gi) => ((g.ps.model as Params).layer_1 as { layer_1: { weight: tf.Tensor } }).layer_1.weight;
    expectClose(w(gi), w(gu), 1e-4, 'dW');
  });

  it('JFB and phantom gradients match their definitions', () => {
    const f = makeF();
    const [psF, stF] = setup(new Xoshiro(3), f);
    const x = inputs();
    const solveOpts = { abstol: 1e-6, reltol: 1e-6, maxiters: 300 };
    const jfb = DeepEquilibriumNetwork(f, new Broyden(), { ...solveOpts, gradient: 'jfb' });
    const phantom = DeepEquilibriumNetwork(f, new Broyden(), { ...solveOpts, gradient: 'phantom', phantomSteps: 3, phantomDamping: 0.6 });
    const [ps, st] = setup(new Xoshiro(3), jfb);
    const psModel = { model: psF, init: {} } as typeof ps;
    // reference fixed point by plain iteration (independent of the solvers)
    let zStar = tf.zerosLike(x);
    for (let i = 0; i < 300; i++) zStar = f([zStar, x], psF, stF)[0];
    const fAt = (z: tf.Tensor, t: { x: tf.Tensor; p: typeof psF }) => f([z, t.x], t.p, stF)[0] as tf.Tensor;
    const sq = (t: tf.Tensor) => tf.sum(tf.square(t)) as tf.Scalar;
    const [, gj] = valueAndGrad((t: { x: tf.Tensor; p: typeof psF }) => sq(jfb(t.x, { model: t.p, init: {} } as typeof ps, st)[0]))({ x, p: psModel.model as typeof psF });
    const [, gjRef] = valueAndGrad((t: { x: tf.Tensor; p: typeof psF }) => sq(fAt(stopGradient(zStar), t)))({ x, p: psF });
    expectClose(gj.x, gjRef.x, 1e-4, 'JFB dx');
    const [, gp] = valueAndGrad((t: { x: tf.Tensor; p: typeof psF }) => sq(phantom(t.x, { model: t.p, init: {} } as typeof ps, setup(new Xoshiro(3), phantom)[1])[0]))({ x, p: psF });
    const [, gpRef] = valueAndGrad((t: { x: tf.Tensor; p: typeof psF }) => {
      let z = stopGradient(zStar);
      for (let i = 0; i < 3; i++) z = tf.add(tf.mul(fAt(z, t), 0.6), tf.mul(z, 0.4));
      return sq(z);
    })({ x, p: psF });
    expectClose(gp.x, gpRef.x, 1e-4, 'phantom dx');
  });

  it('the Jacobian loss matches the exact ‖J‖²_F / n within its standard error', () => {
    const f = makeF();
    const deq = DeepEquilibriumNetwork(f, new Broyden(), { ...tight, jacobianRegularization: true });
    const [ps, st] = setup(new Xoshiro(4), deq);
    const x = inputs();
    const [z, st2] = deq(x, ps, st);
    // exact: J_b = diag(1 − z_b²) W with f = tanh(z Wᵀ + …), so J[i][j] = (1 − z_i²) W[i][j]
    const W = ((ps.model as Params).layer_1 as { layer_1: { weight: tf.Tensor } }).layer_1.weight.arraySync() as number[][];
    const zs = z.arraySync() as number[][];
    let exact = 0;
    for (const zb of zs) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) exact += ((1 - zb[i] ** 2) * W[i][j]) ** 2;
    exact /= batch * n;
    const estimates: number[] = [];
    let s = st2;
    for (let k = 0; k < 40; k++) {
      const [, next] = deq(x, ps, s);
      estimates.push((next.solution.jacobianLoss as tf.Scalar).dataSync()[0]);
      s = next;
    }
    expect(new Set(estimates).size).toBeGreaterThan(30); // fresh probes each call
    const mean = estimates.reduce((a, b) => a + b, 0) / estimates.length;
    const sd = Math.sqrt(estimates.reduce((a, b) => a + (b - mean) ** 2, 0) / (estimates.length - 1));
    expect(Math.abs(mean - exact)).toBeLessThan(3 * (sd / Math.sqrt(estimates.length)) + 1e-6);
    // and it is differentiable with respect to the parameters
    const [, g] = valueAndGrad((p: typeof ps) => deq(x, p, st)[1].solution.jacobianLoss as tf.Scalar)(ps);
    const gw = ((g.model as Params).layer_1 as { layer_1: { weight: tf.Tensor } }).layer_1.weight;
    expect(tf.sum(tf.abs(gw)).dataSync()[0]).toBeGreaterThan(0);
  });

  it('swapping Broyden for Tsit5 changes zStar by less than the tolerance', () => {
    const f = makeF();
    const opts = { abstol: 1e-4, reltol: 1e-4, maxiters: 500 };
    const a = DeepEquilibriumNetwork(f, new Broyden(), opts);
    const b = DeepEquilibriumNetwork(f, new Tsit5(), opts);
    const [ps, st] = setup(new Xoshiro(6), a);
    const x = inputs();
    const [za] = a(x, ps, st);
    const [zb, stb] = b(x, ps, setup(new Xoshiro(6), b)[1]);
    expect(stb.solution.original?.status).toBe('success');
    // both are within 1e-4 (∞-norm residual) of the fixed point of a 0.6-contraction: ‖za − zb‖∞ ≤ 2·1e-4/(1 − 0.6)
    expect(tf.max(tf.abs(tf.sub(za, zb))).dataSync()[0]).toBeLessThan(5e-4);
  });

  it('a call inside tf.tidy leaks nothing, whatever the gradient mode or init', () => {
    for (const gradient of ['implicit', 'jfb', 'phantom'] as const) {
      for (const init of [undefined, null, Dense(n, n)]) {
        const deq = DeepEquilibriumNetwork(makeF(), new Broyden(), { gradient, jacobianRegularization: true, ...(init === undefined ? {} : { init }) });
        const [ps, st] = setup(new Xoshiro(9), deq);
        const x = inputs();
        const before = tf.memory().numTensors;
        for (let i = 0; i < 3; i++) {
          tf.tidy(() => {
            deq(x, ps, st);
          });
          const [loss, grads] = valueAndGrad((p: typeof ps) => tf.sum(deq(x, p, st)[0]) as tf.Scalar)(ps);
          loss.dispose();
          tf.dispose(grads as never);
        }
        expect(tf.memory().numTensors, `${gradient} / init ${String(init)}`).toBe(before);
      }
    }
  });

  it('rejects bad options with typed errors', () => {
    expect(() => DeepEquilibriumNetwork(makeF(), new Broyden(), { abstol: -1 })).toThrow(OptionError);
    expect(() => DeepEquilibriumNetwork(makeF(), new Broyden(), { maxiter: 3 } as never)).toThrow(/unknown option 'maxiter'/);
    expect(() => DeepEquilibriumNetwork(makeF(), new Broyden(), { gradient: 'magic' } as never)).toThrow(/gradient/);
    expect(() => DeepEquilibriumNetwork(makeF(), new Broyden(), { init: 3 } as never)).toThrow(/init/);
    expect(() => DeepEquilibriumNetwork(makeF(), undefined as never)).toThrow(/solver/);
  });
});

it('training memory does not grow with the iteration count', async () => {
  const { initBackend } = await import('@deqts/core-layers');
  await initBackend('wasm');
  const peak = async (maxiters: number) => {
    // a slowly contracting map that uses every iteration (tolerance unreachable)
    const deq = DeepEquilibriumNetwork(makeF(), new FixedPointIteration(), { abstol: 1e-12, reltol: 1e-12, maxiters });
    const [ps, st] = setup(new Xoshiro(7), deq);
    const x = tf.tensor(new Xoshiro(8).normalArray(64 * n), [64, n]);
    const info = await tf.profile(() => {
      const [loss, grads] = valueAndGrad((p: typeof ps) => tf.sum(tf.square(deq(x, p, st)[0])) as tf.Scalar)(ps);
      loss.dispose();
      tf.dispose(grads as never);
    });
    return info.peakBytes;
  };
  const p10 = await peak(10);
  const p100 = await peak(100);
  expect(Math.abs(p100 - p10) / p10).toBeLessThan(0.1);
});
