/**
 * show <job>: an earlier job's last picture posted again where it is asked, with its buttons, while
 * its files are kept (data retention removes them after a while: src/retention.ts).
 */
import { resultButtons, takeBackButtons } from '../buttons.js';
import { captionFor } from '../messages.js';
import type { Invocation, ReplyPort } from '../port.js';
import type { IntakeContext } from './context.js';

/** Job ids are short hex (newJobId); anything else is not looked up. */
const JOB_ID = /^[A-Za-z0-9_-]{1,64}$/;

export async function show(ctx: IntakeContext, request: { jobId: string }, invocation: Invocation, port: ReplyPort): Promise<void> {
  const id = request.jobId.trim();
  if (!id) return port.whisper('Which job? Say show followed by its id — the id ends the job\'s Settings line ("… · job 1a2b3c4d5e").');
  const job = JOB_ID.test(id) ? ctx.store.get(id) : undefined;
  if (!job || job.platform !== invocation.platform) {
    return port.whisper(`I don't know a job "${id.slice(0, 64)}" here (or it was deleted). Its id ends the job's Settings line ("… · job 1a2b3c4d5e").`);
  }
  if (job.state === 'queued' || job.state === 'running') {
    return port.whisper(`Job ${job.id} is still ${job.state === 'queued' ? 'waiting' : 'running'}; its result will come in its thread.`);
  }
  const image = ctx.files.finalImage(job.id);
  if (!image) {
    if (job.state !== 'done') return port.whisper(`Job ${job.id} ended without a result (${job.state}), so there is nothing to show.`);
    return port.whisper(`I no longer keep the images of job ${job.id} (old images are removed after a while), so I can't show it again.`);
  }
  const data = await ctx.files.loadResult(job.id, image);
  const description = image === 'palette' ? 'The palette of the style image' : 'The content image redrawn in the style';
  const buttons = [...(job.options.sweep ? [] : resultButtons(job, image, ctx.limits)), ...takeBackButtons(job.id)];
  const ref = await port.post(
    `Job ${job.id} again — ${captionFor({ record: job }, image)}`,
    [{ filename: `${image}-${job.id}.png`, data, description }],
    buttons,
  );
  await port.flush?.();
  // Recorded with the job, so a reaction on the copy finds it and taking the job back deletes the copy too.
  ctx.store.addMessage(job.platform, ref.id, job.id, 'copy', port.where());
}
