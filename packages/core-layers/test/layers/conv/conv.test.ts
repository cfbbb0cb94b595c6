import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Conv, OptionError, parameterCount, setup, ShapeError, Xoshiro, type ConvOptions } from '@deqts/core-layers';
import { checkGradients, describeBackends, expectClose, expectNoLeak, onBackend } from '../../../../../test/utils/index.js';
import { hostRandom, luxConvSize, referenceConv, type Host, type RefGeometry } from './reference.js';

const toTensor = (h: Host): tf.Tensor => tf.tensor(Float32Array.from(h.data), h.shape, 'float32');

type Case = { kernel: [number, number]; cin: number; cout: number; options: ConvOptions; input: number[]; geometry: RefGeometry };

const geometry = (g: Partial<RefGeometry>): RefGeometry => ({
  stride: [1, 1],
  sides: [0, 0, 0, 0],
  dilation: [1, 1],
  groups: 1,
  flip: true,
  ...g,
});

/** Configurations covering every path of the implementation, each with its reference geometry. */
const CASES: Case[] = [
  { kernel: [3, 3], cin: 2, cout: 3, options: {}, input: [2, 5, 5, 2], geometry: geometry({}) },
  { kernel: [3, 2], cin: 2, cout: 3, options: { padding: 1, crossCorrelation: true }, input: [1, 5, 4, 2], geometry: geometry({ sides: [1, 1, 1, 1], flip: false }) },
  { kernel: [3, 3], cin: 2, cout: 2, options: { padding: [2, 0, 1, 0], stride: [2, 1] }, input: [1, 5, 5, 2], geometry: geometry({ sides: [2, 0, 1, 0], stride: [2, 1] }) },
  { kernel: [3, 3], cin: 2, cout: 2, options: { padding: 'same', stride: 2, dilation: 2 }, input: [1, 6, 5, 2], geometry: geometry({ sides: [2, 2, 2, 2], stride: [2, 2], dilation: [2, 2] }) },
  { kernel: [2, 2], cin: 2, cout: 2, options: { padding: 'same' }, input: [1, 4, 4, 2], geometry: geometry({ sides: [1, 0, 1, 0] }) },
  { kernel: [3, 3], cin: 4, cout: 6, options: { groups: 2, padding: [1, 0] }, input: [1, 4, 5, 4], geometry: geometry({ groups: 2, sides: [1, 1, 0, 0] }) },
  { kernel: [3, 3], cin: 3, cout: 6, options: { groups: 3, padding: 1, stride: 2 }, input: [2, 5, 5, 3], geometry: geometry({ groups: 3, sides: [1, 1, 1, 1], stride: [2, 2] }) },
  { kernel: [1, 1], cin: 3, cout: 2, options: { useBias: false }, input: [1, 3, 3, 3], geometry: geometry({}) },
];

describeBackends('Conv', () => {
  it('has Lux parameter counts', () => {
    expect(parameterCount(Conv([3, 3], 3, 16))).toBe(448);
    expect(parameterCount(Conv([5, 5], 1, 6))).toBe(156);
    expect(parameterCount(Conv([3, 3], 4, 8, { groups: 2 }))).toBe(3 * 3 * 2 * 8 + 8);
    expect(parameterCount(Conv([3, 3], 4, 8, { groups: 4 }))).toBe(3 * 3 * 1 * 8 + 8);
    expect(parameterCount(Conv([3, 3], 16, 16, { useBias: false }))).toBe(2304);
    const [ps] = setup(new Xoshiro(0), Conv([3, 2], 4, 6, { groups: 2 }));
    expect(ps.weight.shape).toEqual([3, 2, 2, 6]);
    expect(ps.bias?.shape).toEqual([6]);
  });

  it('gives the output shapes of Lux’s formula', () => {
    const shapes: [ConvOptions, number[], [number, number], [number, number, number, number], [number, number], [number, number]][] = [
      // options, input, kernel, sides, stride, dilation
      [{}, [2, 7, 6, 2], [3, 3], [0, 0, 0, 0], [1, 1], [1, 1]],
      [{ padding: 1 }, [1, 7, 6, 2], [3, 3], [1, 1, 1, 1], [1, 1], [1, 1]],
      [{ padding: 'valid', stride: 2 }, [1, 7, 6, 2], [3, 2], [0, 0, 0, 0], [2, 2], [1, 1]],
      [{ padding: 'same', stride: 2 }, [1, 7, 6, 2], [3, 3], [1, 1, 1, 1], [2, 2], [1, 1]],
      [{ padding: 'same', stride: 3 }, [1, 7, 8, 2], [4, 4], [2, 1, 2, 1], [3, 3], [1, 1]],
      [{ padding: [0, 2], dilation: 2 }, [1, 7, 6, 2], [3, 3], [0, 0, 2, 2], [1, 1], [2, 2]],
      [{ padding: [1, 2, 0, 3], stride: [1, 2], dilation: [2, 1] }, [1, 7, 6, 2], [2, 3], [1, 2, 0, 3], [1, 2], [2, 1]],
    ];
    for (const [options, input, kernel, sides, stride, dilation] of shapes) {
      const conv = Conv(kernel, 2, 4, { ...options, groups: 2 });
      const [ps, st] = setup(new Xoshiro(0), conv);
      const [y] = conv(tf.zeros(input), ps, st);
      const oh = luxConvSize(input[1], kernel[0], stride[0], sides[0], sides[1], dilation[0]);
      const ow = luxConvSize(input[2], kernel[1], stride[1], sides[2], sides[3], dilation[1]);
      expect(y.shape, JSON.stringify(options)).toEqual([input[0], oh, ow, 4]);
    }
    // 'same' keeps the size at stride 1 and gives ceil(i / s) at stride s, as Lux's SamePad.
    const same = Conv([3, 3], 1, 1, { padding: 'same', stride: 2 });
    const [ps, st] = setup(new Xoshiro(0), same);
    expect(same(tf.zeros([1, 7, 8, 1]), ps, st)[0].shape).toEqual([1, 4, 4, 1]);
  });

  it('matches a direct reference convolution (Lux: true convolution with the flipped kernel)', () => {
    CASES.forEach((c, i) => {
      const conv = Conv(c.kernel, c.cin, c.cout, { ...c.options, activation: 'tanh' });
      const [ps, st] = setup(new Xoshiro(i), conv);
      const x = hostRandom(c.input, 10 + i);
      const w = { data: Float64Array.from(ps.weight.dataSync()), shape: ps.weight.shape };
      const bias = ps.bias ? Float64Array.from(ps.bias.dataSync()) : null;
      const expected = referenceConv(x, w, bias, c.geometry);
      const [y] = conv(toTensor(x), ps, st);
      expectClose(y, Float64Array.from(expected.data, Math.tanh), 1e-5, `case ${i}: ${conv.description}`);
      expect(y.shape).toEqual(expected.shape);
    });
  });

  it('defaults to Lux’s initialisers (kaiming-uniform with the activation’s gain, bias U(±1/√fanIn))', () => {
    const conv = Conv([3, 3], 8, 16, { activation: 'tanh', groups: 2 });
    const [ps] = setup(new Xoshiro(3), conv);
    const fanIn = 3 * 3 * 4;
    const w = ps.weight.dataSync();
    const b = ps.bias!.dataSync();
    const wMax = Math.max(...Array.from(w, Math.abs));
    const bMax = Math.max(...Array.from(b, Math.abs));
    expect(wMax).toBeLessThanOrEqual((5 / 3) * Math.sqrt(3 / fanIn));
    expect(wMax).toBeGreaterThan(0.9 * (5 / 3) * Math.sqrt(3 / fanIn));
    expect(bMax).toBeLessThanOrEqual(1 / Math.sqrt(fanIn));
  });

  it('gradients match finite differences for the input and every parameter', () => {
    const configs: [[number, number], number, number, ConvOptions][] = [
      [[3, 3], 2, 3, { padding: 1, activation: 'tanh' }],
      [[3, 2], 2, 2, { padding: 'same', stride: 2, dilation: 2 }],
      [[2, 2], 4, 4, { groups: 2, padding: [1, 0, 0, 1] }],
      [[3, 3], 2, 4, { groups: 2, stride: [2, 1] }], // depthwise (groups = inChannels)
    ];
    configs.forEach(([kernel, cin, cout, options], i) => {
      const conv = Conv(kernel, cin, cout, options);
      const [ps, st] = setup(new Xoshiro(20 + i), conv);
      const x = toTensor(hostRandom([2, 5, 4, cin], 30 + i));
      checkGradients((t) => {
        const { x: xi, ps: p } = t as { x: tf.Tensor; ps: typeof ps };
        return conv(xi, p, st)[0];
      }, { x, ps });
    });
  });

  it('does not dispose its inputs and leaks no tensors', async () => {
    const conv = Conv([3, 3], 2, 2, { padding: 'same', groups: 2, activation: 'relu' });
    const [ps, st] = setup(new Xoshiro(0), conv);
    const x = tf.ones([1, 4, 4, 2]);
    await expectNoLeak(() => {
      conv(x, ps, st)[0].dispose();
    }, 3, 1);
    expect(x.isDisposed || ps.weight.isDisposed).toBe(false);
  });

  it('gives typed errors naming the layer, the option and the expected shape', () => {
    const conv = Conv([3, 3], 16, 32);
    const [ps, st] = setup(new Xoshiro(0), conv);
    expect(() => conv(tf.zeros([2, 8, 8, 3]), ps, st)).toThrow(ShapeError);
    expect(() => conv(tf.zeros([2, 8, 8, 3]), ps, st)).toThrow(
      'Conv([3, 3], 16 => 32) expects input of shape [batch, height, width, 16], got [2, 8, 8, 3]',
    );
    expect(() => conv(tf.zeros([8, 8, 16]), ps, st)).toThrow(ShapeError);
    expect(() => conv(tf.zeros([1, 2, 2, 16]), ps, st)).toThrow(/too small/);
    expect(() => Conv([3, 3], 6, 4, { groups: 4 })).toThrow(OptionError);
    expect(() => Conv([3, 3], 6, 4, { groups: 4 })).toThrow(/inChannels \(6\) must be divisible by option 'groups' \(4\)/);
    expect(() => Conv([3, 3], 4, 6, { groups: 4 })).toThrow(/outChannels \(6\) must be divisible/);
    expect(() => Conv([3, 3], 1, 1, { strides: 2 } as never)).toThrow(/unknown option 'strides'/);
    expect(() => Conv([3, 3], 1, 1, { padding: 'full' as never })).toThrow(OptionError);
    expect(() => Conv([3, 3], 1, 1, { padding: -1 })).toThrow(/padding/);
    expect(() => Conv([3, 3], 1, 1, { stride: 0 })).toThrow(/stride/);
    expect(() => Conv([0, 3], 1, 1)).toThrow(/argument 'kernel'/);
    expect(() => Conv([3, 3], 0, 1)).toThrow(/inChannels/);
    expect(() => Conv([3, 3], 1, 1, { activation: 'rleu' as never })).toThrow(/unknown activation 'rleu'/);
  });

  it('describes itself with its non-default options, like Lux', () => {
    expect(Conv([3, 3], 1, 6).description).toBe('Conv([3, 3], 1 => 6)');
    expect(Conv([3, 3], 2, 4, { padding: 1, stride: 2, groups: 2, activation: 'relu', useBias: false }).description).toBe(
      'Conv([3, 3], 2 => 4, relu, padding=1, stride=2, groups=2, useBias=false)',
    );
    expect(Conv([3, 3], 1, 1, { padding: 'same', dilation: [2, 1] }).description).toBe('Conv([3, 3], 1 => 1, padding=[2, 1], dilation=[2, 1])');
  });
});

describe('Conv across backends', () => {
  it('cpu and wasm agree on outputs', async () => {
    for (const [i, c] of CASES.entries()) {
      const conv = Conv(c.kernel, c.cin, c.cout, c.options);
      const x = hostRandom(c.input, 40 + i);
      const run = () => {
        const [ps, st] = setup(new Xoshiro(i), conv);
        return Array.from(conv(toTensor(x), ps, st)[0].dataSync());
      };
      const onCpu = await onBackend('cpu', run);
      const onWasm = await onBackend('wasm', run);
      expectClose(onWasm, onCpu, 1e-5, conv.description);
    }
  });
});
