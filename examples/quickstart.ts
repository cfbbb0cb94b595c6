// The DeepEquilibriumNetworks.jl quick start, in TypeScript.
// Run: npx -y pnpm@10 exec tsx examples/quickstart.ts
import * as tf from '@tensorflow/tfjs-core';
import { Chain, Dense, initBackend, Parallel, setup, valueAndGrad, Xoshiro } from '@deqts/core-layers';
import { Tsit5 } from '@deqts/solvers';
import { DeepEquilibriumNetwork } from '@deqts/deq';

const backend = await initBackend();
// f below is linear, so a fixed point exists only when the spectral radius of W₁ is below one;
// with other seeds the solver may report status 'diverged' (try it: it returns its best iterate).
const rng = new Xoshiro(3);
const add = (a: tf.Tensor, b: tf.Tensor) => tf.add(a, b);

// A continuous DEQ: the fixed point of f(z, x) = W₁z + W₂x, reached by integrating
// du/dt = f(u, x) − u with Tsit5 until the steady state holds to 0.1.
const model = Chain(
  Dense(2, 2),
  DeepEquilibriumNetwork(
    Parallel(add, Dense(2, 2, { useBias: false }), Dense(2, 2, { useBias: false })),
    new Tsit5(),
    { abstol: 0.1, reltol: 0.1 },
  ),
);

const [ps, st] = setup(rng, model);
const x = tf.tensor(rng.uniformArray(2), [1, 2]);
const y = tf.tensor(rng.uniformArray(2), [1, 2]);

const [output, st2] = model(x, ps, st);
const solution = st2.layer_2.solution;
const [loss, grads] = valueAndGrad((p: typeof ps) => tf.sum(tf.square(tf.sub(model(x, p, st)[0], y))) as tf.Scalar)(ps);

console.log(`backend: ${backend}`);
console.log('output:', output.arraySync());
console.log('solution:', {
  zStar: solution.zStar?.arraySync(),
  u0: solution.u0?.arraySync(),
  residual: solution.residual?.arraySync(),
  nfe: solution.nfe,
  status: solution.original?.status,
});
console.log('loss:', loss.dataSync()[0]);
console.log('gradients:', JSON.stringify(grads, (_k, v) => (v instanceof tf.Tensor ? v.arraySync() : v), 2));
