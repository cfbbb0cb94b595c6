export * from './batchnorm.js';
export * from './groupnorm.js';
export * from './layernorm.js';
export * from './instancenorm.js';
export * from './weightnorm.js';
export * from './spectralnorm.js';
