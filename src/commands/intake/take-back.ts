/**
 * delete (❌ or the Delete button on a finished job): the job is taken back — the messages it posted
 * and its files (results, the previews on its status message, the inputs kept for re-runs that no
 * other job uses) go, and the job store forgets it (the web page's history no longer lists it). Only
 * its owner or an admin may.
 */
import type { JobRecord } from '../../jobs/job-record.js';
import type { Invocation, ReplyPort } from '../port.js';
import { findJob, type IntakeContext } from './context.js';

export async function takeBack(ctx: IntakeContext, request: { messageId?: string; jobId?: string }, invocation: Invocation, port: ReplyPort): Promise<void> {
  const target = findJob(ctx, request, invocation.platform);
  if (!target || target.platform !== invocation.platform) return port.whisper("I can't find a job for that.");
  return takeBackJob(ctx, target, invocation, port);
}

/** Takes back a job already found (cancel hands a finished job here). */
export async function takeBackJob(ctx: IntakeContext, job: JobRecord, invocation: Invocation, port: ReplyPort): Promise<void> {
  if (job.user.id !== invocation.user.id && !invocation.admin) {
    return port.whisper(`Job ${job.id} belongs to someone else, so I can't delete it for you — only they or an admin can.`);
  }
  if (job.state === 'queued' || job.state === 'running') {
    return port.whisper(
      `Job ${job.id} is still ${job.state === 'queued' ? 'waiting' : 'running'}. Cancel it first (❌ on its status message, or cancel); then it can be deleted.`,
    );
  }
  // Its final replies are still going out: deleting now would race them (and they would post anew).
  if (ctx.store.outboxIds().includes(job.id)) {
    return port.whisper(`I'm still delivering the result of job ${job.id}. Please try again in a minute.`);
  }
  let kept = 0;
  for (const message of ctx.store.placedMessagesOf(job.id)) {
    if (!port.remove) {
      kept += 1;
      continue;
    }
    try {
      await port.remove({ id: message.id }, message.place ?? job.where);
    } catch (err) {
      kept += 1;
      ctx.log.warn(`Job ${job.id}: could not delete message ${message.id}:`, err);
    }
  }
  ctx.store.removeJob(job.id);
  await ctx.files.removeResults(job.id);
  const inputs = [job.inputs.content, job.inputs.style, job.inputs.previous].filter((h): h is string => h !== undefined);
  for (const hash of inputs) {
    if (!ctx.store.inputUsedElsewhere(hash, job.id)) await ctx.files.removeInput(hash);
  }
  ctx.log.info(`Job ${job.id} was taken back by ${invocation.user.id}${job.user.id === invocation.user.id ? ' (its owner)' : ' (an admin)'}.`);
  await port.whisper(
    kept === 0
      ? `Deleted job ${job.id}: its messages and images are gone.`
      : `Deleted the images of job ${job.id}; ${kept === 1 ? 'one of its messages' : `${kept} of its messages`} I couldn't delete here.`,
  );
}
