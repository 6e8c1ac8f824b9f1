/**
 * The operator's bounds on what the commands accept and how often they speak, with their defaults:
 * written here once; src/settings.ts reads the environment over them.
 */

const MB = 1024 * 1024;

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
  /** Jobs one user may start in any hour (counted from the job store, so across restarts); 0: no quota. */
  jobsPerUserPerHour?: number;
  /** Jobs one Discord server or Slack workspace may start in any hour; 0: no quota. */
  jobsPerServerPerHour?: number;
  /** At most one progress update per this many milliseconds. */
  progressIntervalMs: number;
  paletteCacheEntries: number;
  paletteCacheBytes: number;
  /**
   * Waits before trying a job's final reply again after a transient failure (the platform clients
   * have already honoured each rate limit's Retry-After by then); once they are spent, the reply goes
   * to the next place (channel, then DM), and failing all, the job is recorded as undelivered.
   */
  deliveryRetryMs?: number[];
}

export const DEFAULT_LIMITS: ServiceLimits = {
  /** An upscale of a default 512-px result; up to the engine's maximum (2048) where a GPU makes that quick. */
  maxSize: 1024,
  maxIterations: 1000,
  maxImageBytes: 10 * MB,
  perUserWaiting: 2,
  globalWaiting: 20,
  jobsPerUserPerHour: 0,
  jobsPerServerPerHour: 0,
  progressIntervalMs: 3000,
  paletteCacheEntries: 200,
  paletteCacheBytes: 200 * MB,
  deliveryRetryMs: [5_000, 20_000, 60_000],
};
