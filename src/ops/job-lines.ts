/** A log line for each step of a job, bound to its id and user (and so found by either). */
import { jobLog } from './log.js';
import type { JobObserver } from './metrics.js';

export function jobLines(log: Pick<Console, 'error' | 'warn' | 'info'>): JobObserver {
  return {
    queued: (job) => jobLog(log, job).info(`Job ${job.id} queued (${job.kind}).`),
    started: (job, device) => jobLog(log, job).info(`Job ${job.id} started on ${device}.`),
    ended: (job, outcome) => jobLog(log, job).info(`Job ${job.id} ${outcome}.`),
  };
}
