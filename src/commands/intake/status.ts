/** status: how long the queues are, and where the user's own jobs stand. */
import { statusText } from '../messages.js';
import type { Invocation, ReplyPort } from '../port.js';
import type { IntakeContext } from './context.js';

export async function status(ctx: IntakeContext, invocation: Invocation, port: ReplyPort): Promise<void> {
  const mine: string[] = [];
  for (const job of ctx.jobs.all()) {
    if (job.record.platform !== invocation.platform || job.record.user.id !== invocation.user.id) continue;
    const place = await ctx.transport.find(job.id);
    if (!place) continue;
    const where = place.position === 0 ? `running on ${place.device}` : `waiting, position ${place.position} on ${place.device}`;
    mine.push(`${job.record.kind} ${job.id} — ${where}`);
  }
  await port.whisper(statusText(await ctx.transport.loads(), mine));
}
