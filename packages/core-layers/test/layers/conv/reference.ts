/**
 * Plain-JS reference implementations (float64 loops straight from the definitions, NHWC) that the
 * conv, pooling and upsampling layers are tested against. Slow and obvious on purpose.
 */

export type Host = { data: Float64Array; shape: number[] };

export type RefGeometry = {
  stride: [number, number];
  /** [top, bottom, left, right] */
  sides: [number, number, number, number];
  dilation: [number, number];
  groups: number;
  /** true: convolve with the spatially flipped kernel (Lux's default); false: cross-correlate. */
  flip: boolean;
};

const at4 = (shape: number[], a: number, b: number, c: number, d: number): number =>
  ((a * shape[1] + b) * shape[2] + c) * shape[3] + d;

/** Lux's output size: floor((i + pLo + pHi − d(k − 1) − 1) / s) + 1. */
export function luxConvSize(i: number, k: number, s: number, pLo: number, pHi: number, d = 1): number {
  return Math.floor((i + pLo + pHi - d * (k - 1) - 1) / s) + 1;
}

/** Lux's transposed output size: (i − 1)s + 1 + d(k − 1) − pLo − pHi + outpad. */
export function luxConvTransposeSize(i: number, k: number, s: number, pLo: number, pHi: number, d = 1, outpad = 0): number {
  return (i - 1) * s + 1 + d * (k - 1) - pLo - pHi + outpad;
}

/** y[b, oy, ox, o] = Σ x[b, oy·s + p·d − top, ox·s + q·d − left, g·cg + c] · W[p', q', c, o] (+ bias). */
export function referenceConv(x: Host, w: Host, bias: Float64Array | null, g: RefGeometry): Host {
  const [n, h, wd, cin] = x.shape;
  const [kh, kw, cg, cout] = w.shape;
  const [t, b, l, r] = g.sides;
  const oh = luxConvSize(h, kh, g.stride[0], t, b, g.dilation[0]);
  const ow = luxConvSize(wd, kw, g.stride[1], l, r, g.dilation[1]);
  const out = { data: new Float64Array(n * oh * ow * cout), shape: [n, oh, ow, cout] };
  const perGroupOut = cout / g.groups;
  if (cg * g.groups !== cin) throw new Error('reference: bad channels');
  for (let bi = 0; bi < n; bi++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let o = 0; o < cout; o++) {
          const group = Math.floor(o / perGroupOut);
          let s = bias ? bias[o] : 0;
          for (let p = 0; p < kh; p++)
            for (let q = 0; q < kw; q++) {
              const iy = oy * g.stride[0] + p * g.dilation[0] - t;
              const ix = ox * g.stride[1] + q * g.dilation[1] - l;
              if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
              const pp = g.flip ? kh - 1 - p : p;
              const qq = g.flip ? kw - 1 - q : q;
              for (let c = 0; c < cg; c++) s += x.data[at4(x.shape, bi, iy, ix, group * cg + c)] * w.data[at4(w.shape, pp, qq, c, o)];
            }
          out.data[at4(out.shape, bi, oy, ox, o)] = s;
        }
  return out;
}

/**
 * The adjoint of {@link referenceConv} (Lux's ConvTranspose): weight `[kh, kw, cout/groups, cin]`;
 * every input pixel scatters `x · W` to `[i·s + p·d − top, j·s + q·d − left]`.
 */
export function referenceConvTranspose(x: Host, w: Host, bias: Float64Array | null, g: RefGeometry, outpad: [number, number]): Host {
  const [n, h, wd, cin] = x.shape;
  const [kh, kw, cg, cinW] = w.shape;
  if (cinW !== cin) throw new Error('reference: bad channels');
  const [t, b, l, r] = g.sides;
  const oh = luxConvTransposeSize(h, kh, g.stride[0], t, b, g.dilation[0], outpad[0]);
  const ow = luxConvTransposeSize(wd, kw, g.stride[1], l, r, g.dilation[1], outpad[1]);
  const cout = cg * g.groups;
  const out = { data: new Float64Array(n * oh * ow * cout), shape: [n, oh, ow, cout] };
  const perGroupIn = cin / g.groups;
  for (let bi = 0; bi < n; bi++)
    for (let i = 0; i < h; i++)
      for (let j = 0; j < wd; j++)
        for (let ci = 0; ci < cin; ci++) {
          const group = Math.floor(ci / perGroupIn);
          const v = x.data[at4(x.shape, bi, i, j, ci)];
          for (let p = 0; p < kh; p++)
            for (let q = 0; q < kw; q++) {
              const oy = i * g.stride[0] + p * g.dilation[0] - t;
              const ox = j * g.stride[1] + q * g.dilation[1] - l;
              if (oy < 0 || oy >= oh || ox < 0 || ox >= ow) continue;
              const pp = g.flip ? kh - 1 - p : p;
              const qq = g.flip ? kw - 1 - q : q;
              for (let c = 0; c < cg; c++) out.data[at4(out.shape, bi, oy, ox, group * cg + c)] += v * w.data[at4(w.shape, pp, qq, c, ci)];
            }
        }
  if (bias) for (let k = 0; k < out.data.length; k++) out.data[k] += bias[k % cout];
  return out;
}

/** Max or mean pooling; padding is skipped by max and counted as zeros by mean (NNlib). */
export function referencePool(
  x: Host,
  kind: 'max' | 'mean',
  window: [number, number],
  stride: [number, number],
  sides: [number, number, number, number],
): Host {
  const [n, h, wd, c] = x.shape;
  const [t, b, l, r] = sides;
  const oh = luxConvSize(h, window[0], stride[0], t, b);
  const ow = luxConvSize(wd, window[1], stride[1], l, r);
  const out = { data: new Float64Array(n * oh * ow * c), shape: [n, oh, ow, c] };
  for (let bi = 0; bi < n; bi++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let ch = 0; ch < c; ch++) {
          let acc = kind === 'max' ? -Infinity : 0;
          for (let p = 0; p < window[0]; p++)
            for (let q = 0; q < window[1]; q++) {
              const iy = oy * stride[0] + p - t;
              const ix = ox * stride[1] + q - l;
              if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
              const v = x.data[at4(x.shape, bi, iy, ix, ch)];
              acc = kind === 'max' ? Math.max(acc, v) : acc + v;
            }
          out.data[at4(out.shape, bi, oy, ox, ch)] = kind === 'max' ? acc : acc / (window[0] * window[1]);
        }
  return out;
}

/** Deterministic pseudo-random values in [-1, 1) (a tiny LCG; independent of the library's rng). */
export function hostRandom(shape: number[], seed = 1): Host {
  const size = shape.reduce((a, b) => a * b, 1);
  const data = new Float64Array(size);
  let s = seed >>> 0;
  for (let i = 0; i < size; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = (s / 2 ** 32) * 2 - 1;
  }
  return { data, shape };
}
