export * from './scale.js';
export * from './embedding.js';
