/**
 * Internal performance switches of @deqts/solvers (not part of the public API): each turns one
 * optimisation off so that bench/ab-step.ts can time the old and the new code path in the same
 * process. Every switch defaults to the faster path; results agree either way (tests check it).
 */
export const solverSwitches = {
  /** Track each sample's best iterate lazily (select rows only when a sample stops improving). */
  lazyBest: true,
  /** On cpu/wasm, read per-sample columns block by block instead of packing them with a concat. */
  separateReads: true,
  /** Skip the per-sample freezing select while every sample is still running. */
  skipAllActiveSelect: true,
  /**
   * On wasm, run Anderson's per-iteration vector work as two fused kernels
   * (internal/fused/anderson-kernels.ts). Not bit-identical to the op path (float32 sums in a
   * different order): tested to a tolerance instead of exactly.
   */
  fusedAnderson: true,
  /** On wasm, run each GMRES step's modified Gram–Schmidt as one fused kernel (same caveat). */
  fusedGramSchmidt: true,
  /** On wasm, apply Broyden's low-rank inverse-Jacobian estimate as one fused kernel (same caveat). */
  fusedBroyden: true,
};
