/**
 * Internal (not exported from the package): an optimizer may carry, under {@link FUSED_APPLY}, a
 * function that computes the new parameters and optimizer state in one go, with the same float32
 * results as its `update` followed by `applyUpdates`, or returns null to decline (other backend, a
 * state it does not recognise, non-float32 leaves). TrainState's `applyGradients` tries it first.
 */
import type { OptState } from './transform.js';

/** The key under which an optimizer carries its fused parameter step. */
export const FUSED_APPLY = Symbol('deqts.fusedApply');

/** New parameters and optimizer state, or null when the fused step does not apply. */
export type FusedApply = (ps: unknown, optState: OptState, grads: unknown) => { ps: unknown; optState: OptState } | null;

/** The fused step `optimizer` carries, if any. */
export function fusedApplyOf(optimizer: object): FusedApply | undefined {
  return (optimizer as { [FUSED_APPLY]?: FusedApply })[FUSED_APPLY];
}
