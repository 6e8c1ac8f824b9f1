/** What every command's intake gets: the store, the files, the limits and the jobs in flight. */
import type { DataFiles } from '../../jobs/data-files.js';
import type { JobFollower } from '../job-follower.js';
import type { ServiceLimits } from '../service-limits.js';
import type { OptionLimits } from '../user-options.js';
import type { JobRecord, OptionDefaults } from '../../jobs/job-record.js';
import type { PaletteCache } from '../../jobs/palette-cache.js';
import type { Platform } from '../port.js';
import type { JobStore } from '../../jobs/job-store.js';
import type { Transport } from '../../jobs/transport/transport.js';

export interface IntakeContext {
  readonly store: JobStore;
  readonly files: DataFiles;
  readonly cache: PaletteCache;
  readonly jobs: JobFollower;
  readonly transport: Transport;
  readonly limits: OptionLimits & ServiceLimits;
  readonly defaults: OptionDefaults;
  readonly log: Pick<Console, 'error' | 'warn' | 'info'>;
}

/** The job a reaction (message id) or an explicit id points at. */
export function findJob(ctx: IntakeContext, request: { messageId?: string; jobId?: string }, platform: Platform): JobRecord | undefined {
  if (request.jobId) return ctx.store.get(request.jobId);
  if (request.messageId) return ctx.store.jobForMessage(platform, request.messageId);
  return undefined;
}
