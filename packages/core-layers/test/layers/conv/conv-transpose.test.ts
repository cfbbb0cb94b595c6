import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Conv, ConvTranspose, OptionError, parameterCount, setup, ShapeError, Xoshiro, type ConvTransposeOptions } from '@deqts/core-layers';
import { checkGradients, describeBackends, expectClose, onBackend } from '../../../../../test/utils/index.js';
import { hostRandom, luxConvTransposeSize, referenceConvTranspose, type Host, type RefGeometry } from './reference.js';

const toTensor = (h: Host): tf.Tensor => tf.tensor(Float32Array.from(h.data), h.shape, 'float32');

type Case = {
  kernel: [number, number];
  cin: number;
  cout: number;
  options: ConvTransposeOptions;
  input: number[];
  geometry: RefGeometry;
  outpad: [number, number];
};

const geometry = (g: Partial<RefGeometry>): RefGeometry => ({ stride: [1, 1], sides: [0, 0, 0, 0], dilation: [1, 1], groups: 1, flip: true, ...g });

const CASES: Case[] = [
  { kernel: [3, 3], cin: 2, cout: 3, options: {}, input: [2, 3, 3, 2], geometry: geometry({}), outpad: [0, 0] },
  { kernel: [2, 3], cin: 2, cout: 2, options: { stride: 2, crossCorrelation: true }, input: [1, 3, 2, 2], geometry: geometry({ stride: [2, 2], flip: false }), outpad: [0, 0] },
  {
    kernel: [3, 3], cin: 2, cout: 2, options: { stride: 2, padding: 1, outputPadding: 1 }, input: [1, 3, 3, 2],
    geometry: geometry({ stride: [2, 2], sides: [1, 1, 1, 1] }), outpad: [1, 1],
  },
  {
    kernel: [3, 2], cin: 2, cout: 2, options: { stride: [1, 2], padding: [2, 0, 1, 3], dilation: 2 }, input: [1, 4, 4, 2],
    geometry: geometry({ stride: [1, 2], sides: [2, 0, 1, 3], dilation: [2, 2] }), outpad: [0, 0],
  },
  { kernel: [2, 2], cin: 4, cout: 6, options: { groups: 2, stride: 2 }, input: [1, 2, 3, 4], geometry: geometry({ groups: 2, stride: [2, 2] }), outpad: [0, 0] },
  { kernel: [4, 4], cin: 3, cout: 3, options: { groups: 3, stride: 2, padding: 'same' }, input: [1, 3, 3, 3], geometry: geometry({ groups: 3, stride: [2, 2], sides: [1, 1, 1, 1] }), outpad: [0, 0] },
];

describeBackends('ConvTranspose', () => {
  it('has Lux parameter counts and weight layout [kh, kw, out/groups, in]', () => {
    expect(parameterCount(ConvTranspose([3, 3], 3, 16))).toBe(448);
    expect(parameterCount(ConvTranspose([2, 2], 4, 6, { groups: 2 }))).toBe(2 * 2 * 4 * 6 / 2 + 6);
    expect(parameterCount(ConvTranspose([3, 3], 8, 4, { useBias: false }))).toBe(288);
    const [ps] = setup(new Xoshiro(0), ConvTranspose([3, 2], 4, 6, { groups: 2 }));
    expect(ps.weight.shape).toEqual([3, 2, 3, 4]);
    expect(Array.from(ps.bias!.dataSync())).toEqual([0, 0, 0, 0, 0, 0]); // Lux: zeros32
  });

  it('gives the output shapes of Lux’s formula; stride 2 with "same" doubles the size', () => {
    for (const c of CASES) {
      const layer = ConvTranspose(c.kernel, c.cin, c.cout, c.options);
      const [ps, st] = setup(new Xoshiro(0), layer);
      const [y] = layer(tf.zeros(c.input), ps, st);
      const [t, b, l, r] = c.geometry.sides;
      expect(y.shape, layer.description).toEqual([
        c.input[0],
        luxConvTransposeSize(c.input[1], c.kernel[0], c.geometry.stride[0], t, b, c.geometry.dilation[0], c.outpad[0]),
        luxConvTransposeSize(c.input[2], c.kernel[1], c.geometry.stride[1], l, r, c.geometry.dilation[1], c.outpad[1]),
        c.cout,
      ]);
    }
    for (const [k, s] of [[2, 2], [3, 2], [4, 2], [3, 3], [3, 1]]) {
      const layer = ConvTranspose([k, k], 1, 1, { stride: s, padding: 'same' });
      const [ps, st] = setup(new Xoshiro(0), layer);
      expect(layer(tf.zeros([1, 3, 4, 1]), ps, st)[0].shape, layer.description).toEqual([1, 3 * s, 4 * s, 1]);
    }
  });

  it('matches a direct reference (scatter) transposed convolution', () => {
    CASES.forEach((c, i) => {
      const layer = ConvTranspose(c.kernel, c.cin, c.cout, { ...c.options, initBias: (rng, shape) => tf.tensor(rng.uniformArray(shape[0], -1, 1)) });
      const [ps, st] = setup(new Xoshiro(i), layer);
      const x = hostRandom(c.input, 50 + i);
      const w = { data: Float64Array.from(ps.weight.dataSync()), shape: ps.weight.shape };
      const expected = referenceConvTranspose(x, w, Float64Array.from(ps.bias!.dataSync()), c.geometry, c.outpad);
      const [y] = layer(toTensor(x), ps, st);
      expect(y.shape).toEqual(expected.shape);
      expectClose(y, expected.data, 1e-5, layer.description);
    });
  });

  it('is the adjoint of Conv with the same weight: ⟨ConvT(y), x⟩ = ⟨y, Conv(x)⟩', () => {
    const options = { stride: 2, padding: [1, 0, 2, 1], dilation: [1, 2], groups: 2, useBias: false } as const;
    const convT = ConvTranspose([3, 3], 4, 6, { ...options, outputPadding: [1, 0] });
    const conv = Conv([3, 3], 6, 4, options);
    const [ps, st] = setup(new Xoshiro(5), convT);
    const x = toTensor(hostRandom([1, 7, 6, 6], 61));
    const [cx] = conv(x, ps, st);
    const y = toTensor(hostRandom(cx.shape, 62));
    const [ty] = convT(y, ps, st);
    expect(ty.shape).toEqual(x.shape);
    const lhs = tf.sum(tf.mul(ty, x)).dataSync()[0];
    const rhs = tf.sum(tf.mul(y, cx)).dataSync()[0];
    expect(Math.abs(lhs - rhs)).toBeLessThan(1e-4 * Math.max(1, Math.abs(rhs)));
  });

  it('gradients match finite differences for the input and every parameter', () => {
    const configs: [[number, number], number, number, ConvTransposeOptions][] = [
      [[3, 3], 2, 2, { stride: 2, padding: 1, outputPadding: 1, activation: 'tanh', initBias: (rng, s) => tf.tensor(rng.uniformArray(s[0], -1, 1)) }],
      [[2, 3], 2, 4, { groups: 2, dilation: 2, padding: [0, 1, 1, 0] }],
    ];
    configs.forEach(([kernel, cin, cout, options], i) => {
      const layer = ConvTranspose(kernel, cin, cout, options);
      const [ps, st] = setup(new Xoshiro(70 + i), layer);
      const x = toTensor(hostRandom([2, 3, 3, cin], 80 + i));
      checkGradients((t) => {
        const { x: xi, ps: p } = t as { x: tf.Tensor; ps: typeof ps };
        return layer(xi, p, st)[0];
      }, { x, ps });
    });
  });

  it('gives typed errors', () => {
    const layer = ConvTranspose([3, 3], 8, 4);
    const [ps, st] = setup(new Xoshiro(0), layer);
    expect(() => layer(tf.zeros([1, 4, 4, 4]), ps, st)).toThrow(ShapeError);
    expect(() => layer(tf.zeros([1, 4, 4, 4]), ps, st)).toThrow('ConvTranspose([3, 3], 8 => 4) expects input of shape [batch, height, width, 8], got [1, 4, 4, 4]');
    const cropped = ConvTranspose([1, 1], 1, 1, { padding: 1 });
    const [ps2, st2] = setup(new Xoshiro(0), cropped);
    expect(() => cropped(tf.zeros([1, 2, 2, 1]), ps2, st2)).toThrow(/empty output/);
    expect(() => ConvTranspose([3, 3], 3, 4, { groups: 2 })).toThrow(OptionError);
    expect(() => ConvTranspose([2, 2], 1, 1, { stride: 3, padding: 'same' })).toThrow(/'same' needs a kernel at least as large as the stride/);
    expect(() => ConvTranspose([3, 3], 1, 1, { outpad: 1 } as never)).toThrow(/unknown option 'outpad'/);
    expect(() => ConvTranspose([3, 3], 1, 1, { outputPadding: -1 })).toThrow(OptionError);
  });
});

describe('ConvTranspose across backends', () => {
  it('cpu and wasm agree on outputs', async () => {
    for (const [i, c] of CASES.entries()) {
      const layer = ConvTranspose(c.kernel, c.cin, c.cout, c.options);
      const x = hostRandom(c.input, 90 + i);
      const run = () => {
        const [ps, st] = setup(new Xoshiro(i), layer);
        return Array.from(layer(toTensor(x), ps, st)[0].dataSync());
      };
      expectClose(await onBackend('wasm', run), await onBackend('cpu', run), 1e-5, layer.description);
    }
  });
});
