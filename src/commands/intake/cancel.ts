/**
 * cancel (❌): the user's own job, out of line when waiting, stopped within a step when running. ❌ on
 * a finished job's message takes that job back instead (take-back.ts).
 */
import type { Invocation, ReplyPort } from '../port.js';
import { findJob, type IntakeContext } from './context.js';
import { takeBackJob } from './take-back.js';

export async function cancel(ctx: IntakeContext, request: { messageId?: string; jobId?: string }, invocation: Invocation, port: ReplyPort): Promise<void> {
  const explicit = request.messageId !== undefined || request.jobId !== undefined;
  const target = explicit ? findJob(ctx, request, invocation.platform) : ctx.store.latestOf(invocation.platform, invocation.user.id, ['queued', 'running']);
  if (!target) return port.whisper(explicit ? "I can't find a job for that." : 'You have no job waiting or running.');
  if (explicit && target.platform === invocation.platform && target.state !== 'queued' && target.state !== 'running') {
    return takeBackJob(ctx, target, invocation, port);
  }
  if (target.platform !== invocation.platform || target.user.id !== invocation.user.id) {
    return port.whisper(`Job ${target.id} belongs to someone else, so I can't cancel it for you — only they can.`);
  }
  const job = ctx.jobs.get(target.id);
  if (!job || (target.state !== 'queued' && target.state !== 'running')) {
    return port.whisper(`Job ${target.id} has already finished (${target.state}); there is nothing to cancel.`);
  }
  const how = await ctx.jobs.cancel(job);
  await port.whisper(how === 'removed' ? `Cancelled your waiting job ${job.id}.` : `Cancelling your running job ${job.id} — it stops within a step.`);
}
