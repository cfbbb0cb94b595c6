export { Dropout, type DropoutStates } from './dropout.js';
export { VariationalHiddenDropout, type VariationalHiddenDropoutStates } from './variational.js';
export type { DropoutOptions } from './mask.js';
