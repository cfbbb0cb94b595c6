/** WebAssembly text → binary with wabt (SIMD enabled), failing with wabt's own messages. */
import wabtInit from 'wabt';

export async function compileWat(source: string, name: string): Promise<Uint8Array> {
  const wabt = await wabtInit();
  const module = wabt.parseWat(name, source, { simd: true, relaxed_simd: true });
  try {
    module.validate();
    return module.toBinary({ log: false }).buffer;
  } finally {
    module.destroy();
  }
}
