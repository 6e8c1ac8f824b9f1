/**
 * status: how long the queues are, where the user's own jobs stand (their places in fair order), results
 * that reached them nowhere, and their hourly quota.
 */
import { statusText } from '../messages.js';
import type { Invocation, ReplyPort } from '../port.js';
import type { IntakeContext } from './context.js';
import { quotaUsage } from './quotas.js';

export async function status(ctx: IntakeContext, invocation: Invocation, port: ReplyPort): Promise<void> {
  const mine: string[] = [];
  for (const job of ctx.jobs.all()) {
    if (job.record.platform !== invocation.platform || job.record.user.id !== invocation.user.id) continue;
    const place = await ctx.transport.find(job.id);
    if (!place) continue;
    const where = place.position === 0 ? `running on ${place.device}` : `waiting, position ${place.position} on ${place.device}`;
    mine.push(`${job.record.kind} ${job.id} — ${where}`);
  }
  const lost = ctx.store
    .undelivered(invocation.platform, invocation.user.id)
    .map((r) => `${r.kind} ${r.id} — ${r.state}, but I couldn't post its result (kept; I'll try again when I restart)`);
  const lines = [statusText(await ctx.transport.loads(), mine)];
  if (lost.length > 0) lines.push(`Not delivered yet:\n${lost.join('\n')}`);
  const quota = quotaUsage(ctx, invocation);
  if (quota) lines.push(quota);
  await port.whisper(lines.join('\n'));
}
