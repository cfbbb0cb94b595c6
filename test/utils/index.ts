export * from './backends.js';
export * from './gradcheck.js';
export * from './leaks.js';
export * from './compare.js';
