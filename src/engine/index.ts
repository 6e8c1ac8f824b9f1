export * from './types.js';
export { Engine, type EngineCreateOptions } from './engine.js';
export { DEFAULT_OPTIONS, DEFAULT_STYLE_LAYERS, KNOWN_LAYERS, LIMITS, resolveOptions } from './options.js';
export type { LossBackend, VggImage } from './backend.js';
