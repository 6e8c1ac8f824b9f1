/** A new job: recorded in the store, then answered from the palette cache or put in line. */
import { newJobId } from '../followed-job.js';
import type { JobInputs, JobOptions, JobRecord, RecordKind } from '../../jobs/job-record.js';
import type { Invocation, ReplyPort } from '../port.js';
import { paletteKey } from '../../jobs/engine-job.js';
import type { IntakeContext } from './context.js';

export async function createJob(
  ctx: IntakeContext,
  job: { kind: RecordKind; options: JobOptions; inputs: JobInputs; intro: string; parentId?: string },
  invocation: Invocation,
  port: ReplyPort,
): Promise<void> {
  let id = newJobId();
  while (ctx.store.get(id)) id = newJobId();
  const record: JobRecord = {
    id,
    platform: invocation.platform,
    user: invocation.user,
    where: port.where(),
    kind: job.kind,
    options: job.options,
    inputs: job.inputs,
    state: 'queued',
    createdAt: Date.now(),
  };
  if (job.parentId) record.parentId = job.parentId;
  if (invocation.server !== undefined) record.server = invocation.server;
  ctx.store.insert(record);

  if (job.kind === 'palette') {
    const cached = await ctx.cache.get(paletteKey(job.inputs.style, job.options));
    if (cached) return ctx.jobs.answerFromCache(record, cached, port, job.intro);
  }
  await ctx.jobs.queue(record, port, job.intro);
}
