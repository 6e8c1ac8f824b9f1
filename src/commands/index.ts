/** The platform-neutral commands: what every front end talks to (see port.ts for the seam). */
export { createCommandService, DEFAULT_LIMITS } from './service.js';
export type { CommandService, CommandServiceOptions, JobSummary, ServiceLimits, StyleEngine } from './service.js';
export {
  formatOptions,
  nextTiles,
  OPTION_ORDER,
  OPTION_SPECS,
  optionNameFor,
  optionsFor,
  parseOptionText,
  resolveUserOptions,
  tilesText,
  validateOptions,
  withTiles,
  MAX_TILES,
  PALETTE_SEED,
} from './options.js';
export type { GivenOptions, JobKind, OptionDefaults, OptionLimits, RequestedOptions, UserOptions, ValidationResult } from './options.js';
export type { JobRecord, JobState } from './store.js';
export { settingsFromEnv, type Settings } from './settings.js';
export * from './port.js';
