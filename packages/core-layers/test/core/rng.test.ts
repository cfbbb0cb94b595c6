import { describe, expect, it } from 'vitest';
import { Xoshiro } from '@deqts/core-layers';

describe('Xoshiro', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = new Xoshiro(123);
    const b = new Xoshiro(123);
    const c = new Xoshiro(124);
    const xs = Array.from({ length: 16 }, () => a.nextUint32());
    expect(Array.from({ length: 16 }, () => b.nextUint32())).toEqual(xs);
    expect(Array.from({ length: 16 }, () => c.nextUint32())).not.toEqual(xs);
  });

  it('splits into independent, reproducible streams', () => {
    const parent1 = new Xoshiro(5);
    const parent2 = new Xoshiro(5);
    const [c1, c2] = parent1.splitN(2);
    const [d1] = parent2.splitN(1);
    expect(c1.uniformArray(8)).toEqual(d1.uniformArray(8));
    expect(Array.from(c1.uniformArray(8))).not.toEqual(Array.from(c2.uniformArray(8)));
  });

  it('clone does not advance the original; state round-trips', () => {
    const r = new Xoshiro(9);
    r.nextUint32();
    const copy = r.clone();
    const fromState = new Xoshiro(r.state());
    const fromJson = new Xoshiro(JSON.parse(JSON.stringify(r)).xoshiro);
    const expected = r.uniformArray(4);
    expect(copy.uniformArray(4)).toEqual(expected);
    expect(fromState.uniformArray(4)).toEqual(expected);
    expect(fromJson.uniformArray(4)).toEqual(expected);
  });

  it('draws with the right moments', () => {
    const r = new Xoshiro(1);
    const n = 20000;
    const u = r.uniformArray(n);
    const g = r.normalArray(n);
    const mean = (v: Float32Array) => v.reduce((s, x) => s + x, 0) / v.length;
    const variance = (v: Float32Array) => {
      const m = mean(v);
      return v.reduce((s, x) => s + (x - m) ** 2, 0) / v.length;
    };
    expect(Math.abs(mean(u) - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(variance(u) - 1 / 12)).toBeLessThan(0.003);
    expect(Math.abs(mean(g))).toBeLessThan(0.03);
    expect(Math.abs(variance(g) - 1)).toBeLessThan(0.04);
    for (const x of u) expect(x >= 0 && x < 1).toBe(true);
    const p = Array.from(r.permutation(50)).sort((a, b) => a - b);
    expect(p).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });
});
