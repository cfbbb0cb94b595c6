/**
 * Internal performance switches of the optimizers (not public API): bench/ab-step.ts flips them
 * to time the old and new code path in the same process; tests check both give the same results.
 */
export const optimSwitches = {
  /** On wasm (no gradient tape recording), Adam's moments and update in one kernel per parameter. */
  fusedAdam: true,
  /** adam() with a constant learning rate: its moments, −lr scale and parameter step in one kernel per parameter tensor. */
  fusedApply: true,
};
