export * from './chain.js';
export * from './parallel.js';
export * from './skip.js';
export * from './repeated.js';
export * from './simple.js';
export type { ContainerParams, ContainerStates, ChildrenOf, PositionalNames } from './naming.js';
