/**
 * After a restart: replies a previous process committed but did not get out are sent, and the jobs
 * it left waiting or running go back in line.
 */
import type { DataFiles } from '../jobs/data-files.js';
import { followedJob } from './followed-job.js';
import type { JobFollower } from './job-follower.js';
import type { JobReplies } from './job-replies.js';
import type { Frontend, Platform } from './port.js';
import type { JobStore } from '../jobs/job-store.js';

export async function resumeUnfinished(
  store: JobStore,
  files: DataFiles,
  jobs: JobFollower,
  replies: JobReplies,
  frontends: ReadonlyMap<Platform, Frontend>,
  log: Pick<Console, 'warn'>,
): Promise<void> {
  for (const { record, plan } of store.outbox()) {
    const port = frontends.get(record.platform)?.portFor(record.where, record.user);
    // In the background, like any job's final replies: retries must not hold up the start.
    if (port) void replies.deliverLater(followedJob(record, port, ''), plan);
    else log.warn(`Job ${record.id} (${record.platform}) has replies waiting for its front end.`);
  }
  for (const record of store.unfinished()) {
    if (jobs.has(record.id)) continue;
    const port = frontends.get(record.platform)?.portFor(record.where, record.user);
    const missing = [record.inputs.style, record.inputs.content].some((h) => h !== undefined && !files.hasInput(h));
    if (!port || missing) {
      const reason = !port
        ? `The ${record.platform} front end is not running, so the job could not be resumed after a restart.`
        : 'Its images were lost in a restart, so it could not be resumed. Please send them again.';
      store.setState(record.id, 'failed', { finishedAt: Date.now(), error: reason });
      if (port) await replies.safely(async () => void (await port.post(`Sorry, job ${record.id} failed: ${reason}`)));
      else log.warn(`Job ${record.id} (${record.platform}) marked failed: ${reason}`);
      continue;
    }
    record.state = 'queued';
    store.setState(record.id, 'queued');
    // Its old status message (perhaps still "Running…" after a crash) points to the new one.
    for (const ref of store.messagesOf(record.id).filter((m) => m.role === 'status')) {
      await replies.safely(() => port.update(ref, `This message stopped following job ${record.id} in a restart; the job continues below.`, undefined, []));
    }
    await jobs.queue(record, port, `Resuming job ${record.id} after a restart.\n`);
  }
}
