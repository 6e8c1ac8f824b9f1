import { DEFAULT_MAX_IMAGE_BYTES, SETTING_DEFAULTS } from './settings.js';

/** The operator's bounds on what the commands accept and how often they speak. */
export interface ServiceLimits {
  /** Cap on size; the effective cap is the smaller of this and every engine's maxSize. */
  maxSize: number;
  maxIterations: number;
  /** Largest image accepted, declared or downloaded. */
  maxImageBytes: number;
  /** Jobs one user may have waiting (not yet running). */
  perUserWaiting: number;
  /** Jobs waiting over all users and devices. */
  globalWaiting: number;
  /** At most one progress update per this many milliseconds. */
  progressIntervalMs: number;
  paletteCacheEntries: number;
  paletteCacheBytes: number;
}

export const DEFAULT_LIMITS: ServiceLimits = {
  maxSize: SETTING_DEFAULTS.maxSize,
  maxIterations: SETTING_DEFAULTS.maxIterations,
  maxImageBytes: DEFAULT_MAX_IMAGE_BYTES,
  perUserWaiting: 2,
  globalWaiting: 20,
  progressIntervalMs: 3000,
  paletteCacheEntries: 200,
  paletteCacheBytes: 200 * 1024 * 1024,
};
