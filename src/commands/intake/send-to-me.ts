/** send (✉️ or the Send to me button): a job's last picture, to the asking user in a direct message. */
import { captionFor, imageDescription, privateCaption } from '../messages.js';
import type { Invocation, ReplyPort } from '../port.js';
import { findJob, type IntakeContext } from './context.js';

export async function sendToMe(ctx: IntakeContext, request: { messageId?: string; jobId?: string }, invocation: Invocation, port: ReplyPort): Promise<void> {
  const job = findJob(ctx, request, invocation.platform);
  if (!job || job.platform !== invocation.platform)
    return port.whisper("I can't find a job for that. React ✉️ on one of my results (or use its Send to me button).");
  const image = ctx.files.finalImage(job.id);
  if (!image) {
    if (job.state === 'queued' || job.state === 'running') return port.whisper(`Job ${job.id} has no result yet; ask again once it is done.`);
    if (job.state !== 'done') return port.whisper(`Job ${job.id} ended without a result (${job.state}), so there is nothing to send.`);
    return port.whisper(`I no longer keep the result of job ${job.id}, so I can't send it.`);
  }
  if (!port.sendPrivately) return port.whisper("I can't send direct messages from here.");
  const data = await ctx.files.loadResult(job.id, image);
  const description = imageDescription(image);
  const went = await port.sendPrivately(privateCaption(job.id, captionFor({ record: job }, image)), [
    { filename: `${image}-${job.id}.png`, data, description },
  ]);
  if (went === 'refused') {
    return port.whisper(
      "I can't send you a direct message: your privacy settings don't let me. Allow direct messages from me (or from this server's members), then try again.",
    );
  }
}
