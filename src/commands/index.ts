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
} from './user-options.js';
export { PALETTE_SEED } from '../jobs/job-record.js';
export type { GivenOptions, RequestedOptions, ValidationResult } from './user-options.js';
export type { JobKind, JobOptions, JobRecord, JobState, OptionDefaults } from '../jobs/job-record.js';
export { settingsFromEnv, type Settings } from '../settings.js';
export * from './port.js';
