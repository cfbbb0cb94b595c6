/**
 * The multiply-add of DEQ.ts's generated product kernels, as WebAssembly text: `acc + x·y` by
 * SIMD128's multiply then add, or relaxed SIMD's `f32x4.relaxed_madd` (fused where the engine has
 * FMA). The dense and the sparse product use this one definition, so a sparse product gives the
 * dense product's bits.
 */
export function madd(fma: boolean, acc: string, x: string, y: string): string {
  return fma ? `(f32x4.relaxed_madd ${x} ${y} ${acc})` : `(f32x4.add ${acc} (f32x4.mul ${x} ${y}))`;
}
