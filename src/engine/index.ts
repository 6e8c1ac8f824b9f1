export * from './types.js';
export { Engine, type EngineCreateOptions } from './engine.js';
export { DEFAULT_OPTIONS, DEFAULT_STYLE_LAYERS, KNOWN_LAYERS, resolveOptions } from './options.js';
export { DEFAULT_STRENGTH, LIMITS, MAX_INPUT_BYTES, MAX_INPUT_PIXELS, MIN_SIDE } from './limits.js';
export { chooseTiles, type TilesChoice } from './auto-tiles.js';
export { chooseCrop, type CropChoice } from './style-crop.js';
export { SWEEP_TILES, sweepCellSize, type SweepResult } from './sweep.js';
export type { LossBackend, VggImage } from './backend.js';
export { paletteSizeFor, paletteTilesFor, SHARPEN_STYLE_LAYERS } from './schedule.js';
