/** Whether a user may queue another job now: the hourly quotas, then the global and per-user bounds on waiting jobs. */
import type { Invocation } from '../port.js';
import type { IntakeContext } from './context.js';
import { queueFullText, tooManyWaitingText } from '../messages.js';
import { quotaRefusal } from './quotas.js';

/** A reason to refuse a new job for this user now, or null. */
export function refusal(ctx: IntakeContext, invocation: Invocation): string | null {
  const quota = quotaRefusal(ctx, invocation);
  if (quota) return quota;
  if (!ctx.transport.wouldWait()) return null;
  const waiting = ctx.jobs.waiting();
  if (waiting.length >= ctx.limits.globalWaiting) {
    return queueFullText(waiting.length);
  }
  const mine = waiting.filter((j) => j.record.platform === invocation.platform && j.record.user.id === invocation.user.id);
  if (mine.length >= ctx.limits.perUserWaiting) {
    return tooManyWaitingText(mine.length, ctx.limits.perUserWaiting);
  }
  return null;
}
