/** After a restart: the jobs a previous process left waiting or running go back in line. */
import type { DataFiles } from './files.js';
import type { JobTracker } from './jobs.js';
import type { JobReplies } from './replies.js';
import type { Frontend, Platform } from './port.js';
import type { JobStore } from './store.js';

export async function resumeUnfinished(
  store: JobStore,
  files: DataFiles,
  jobs: JobTracker,
  replies: JobReplies,
  frontends: ReadonlyMap<Platform, Frontend>,
  log: Pick<Console, 'warn'>,
): Promise<void> {
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
    await jobs.queue(record, port, `Resuming job ${record.id} after a restart.\n`);
  }
}
