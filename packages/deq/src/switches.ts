/**
 * Internal performance switches of @deqts/deq (not part of the public API): each turns one
 * optimisation off so that bench/ab-step.ts can time the old and the new code path in the same
 * process. Every switch defaults to the faster path; results agree either way (tests check it).
 */
export const deqSwitches = {
  /** Record f(z*, x) once per backward and replay its tape for every adjoint VJP. */
  tapeReplay: true,
};
