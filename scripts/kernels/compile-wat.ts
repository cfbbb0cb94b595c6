/** WebAssembly text → binary with wabt (SIMD and relaxed SIMD enabled), failing with wabt's own messages. */
import wabtInit from 'wabt';

/** The proposals DEQ.ts's kernels use; wabt takes them at parsing and again at validation. */
const FEATURES = { simd: true, relaxed_simd: true };

export async function compileWat(source: string, name: string): Promise<Uint8Array> {
  const wabt = await wabtInit();
  const module = wabt.parseWat(name, source, FEATURES);
  try {
    // wabt.js validates with the features given here (its typings omit the argument)
    (module.validate as (features: typeof FEATURES) => void)(FEATURES);
    return module.toBinary({ log: false }).buffer;
  } finally {
    module.destroy();
  }
}
