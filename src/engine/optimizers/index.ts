export * from './types.js';
export { createLbfgs, type LbfgsOptions } from './lbfgs.js';
export { createAdam } from './adam.js';
