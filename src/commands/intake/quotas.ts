/**
 * Hourly quotas: jobs per user and jobs per Discord server or Slack workspace, over any hour (a
 * sliding window). Counted from the job store, so a restart forgets nothing; 0 or unset, no quota.
 */
import { quotaText, quotaUsageText } from '../messages.js';
import type { Invocation } from '../port.js';
import type { IntakeContext } from './context.js';

const HOUR_MS = 60 * 60 * 1000;

/**
 * When a scope with jobs created at `times` (oldest first, within the last hour) may start another
 * under `limit`: once enough of them are an hour old. Null when it may now.
 */
export function nextAllowed(times: readonly number[], limit: number): number | null {
  if (limit <= 0 || times.length < limit) return null;
  return times[times.length - limit]! + HOUR_MS;
}

/** Why this user may not start another job now under a quota, or null. */
export function quotaRefusal(ctx: IntakeContext, invocation: Invocation, now = Date.now()): string | null {
  const { platform } = invocation;
  const perUser = ctx.limits.jobsPerUserPerHour ?? 0;
  if (perUser > 0) {
    const next = nextAllowed(ctx.store.createdSince({ platform, userId: invocation.user.id }, now - HOUR_MS), perUser);
    if (next !== null) return quotaText('user', perUser, next, now);
  }
  const perServer = ctx.limits.jobsPerServerPerHour ?? 0;
  if (perServer > 0 && invocation.server !== undefined) {
    const next = nextAllowed(ctx.store.createdSince({ platform, server: invocation.server }, now - HOUR_MS), perServer);
    if (next !== null) return quotaText(platform === 'slack' ? 'workspace' : 'server', perServer, next, now);
  }
  return null;
}

/** How much of the hourly quota this user has used, for `status`; null when there is no quota. */
export function quotaUsage(ctx: IntakeContext, invocation: Invocation, now = Date.now()): string | null {
  const perUser = ctx.limits.jobsPerUserPerHour ?? 0;
  if (perUser <= 0) return null;
  const used = ctx.store.createdSince({ platform: invocation.platform, userId: invocation.user.id }, now - HOUR_MS).length;
  return quotaUsageText(Math.min(used, perUser), perUser);
}
