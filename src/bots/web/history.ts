/**
 * Earlier jobs from the job store, for threads the web conversation no longer holds (a trimmed
 * conversation, a lost file): each becomes one message with its settings and result images.
 */
import { readFile } from 'node:fs/promises';
import type { CommandService, JobSummary } from '../../commands/index.js';
import { resultButtons } from '../../commands/buttons.js';
import { formatOptions, MAX_TILES } from '../../commands/user-options.js';
import type { WebMessage } from './conversations.js';

export type JobHistory = Pick<CommandService, 'history' | 'job'> & {
  /** What the buttons of an earlier job may offer (without it, Upscale is offered and the commands judge). */
  readonly limits?: { readonly maxSize: number; readonly maxTiles: number };
};

const HISTORY_LIMIT = 50;
const RESULT_PATH = /^\/results\/([A-Za-z0-9_-]{1,64})\/(palette|result)\.png$/;
const HISTORY_MESSAGE_PREFIX = 'job-';

const STATE_TEXT: Record<JobSummary['state'], string> = {
  queued: 'waiting in the queue',
  running: 'running',
  done: 'done',
  failed: 'failed',
  cancelled: 'cancelled',
};

/** The job a history message stands for, or undefined for an ordinary message id. */
export function jobIdOfHistoryMessage(messageId: string): string | undefined {
  return messageId.startsWith(HISTORY_MESSAGE_PREFIX) ? messageId.slice(HISTORY_MESSAGE_PREFIX.length) : undefined;
}

/** Messages for the conversation's jobs whose thread has no messages here. */
export function historyMessages(history: JobHistory, conversation: string, present: WebMessage[]): WebMessage[] {
  const threads = new Set(present.map((m) => m.thread));
  const jobs = history.history({ platform: 'web', channel: conversation }, HISTORY_LIMIT);
  return jobs
    .filter((job) => !job.where.thread || !threads.has(job.where.thread))
    .map((job) => {
      const what = job.kind === 'stylize' ? 'Stylize' : job.kind === 'upscale' ? 'Upscale' : 'Palette';
      const files = (['palette', 'result'] as const)
        .filter((name) => job.files[name])
        .map((name) => ({
          url: `/results/${job.id}/${name}.png?c=${conversation}`,
          filename: `${name}-${job.id}.png`,
          description: name === 'palette' ? 'The palette of the style image' : 'The content image redrawn in the style',
        }));
      const error = job.error ? ` — ${job.error}` : '';
      return {
        id: HISTORY_MESSAGE_PREFIX + job.id,
        thread: job.where.thread ?? HISTORY_MESSAGE_PREFIX + job.id,
        author: 'bot' as const,
        text: `${what} job ${job.id}: ${STATE_TEXT[job.state]}${error}.\nSettings: ${formatOptions(job.options, job.kind)}`,
        files,
        reactions: job.state === 'done' ? ['rerun' as const] : [],
        ...(job.state === 'done'
          ? {
              buttons: resultButtons(
                job,
                job.kind === 'palette' ? 'palette' : 'result',
                history.limits ?? { maxSize: Number.POSITIVE_INFINITY, maxTiles: MAX_TILES },
              ),
            }
          : {}),
        whisper: false,
        at: job.createdAt,
      };
    });
}

/** A result image of one of this conversation's jobs, for a /results/<job>/<name>.png path. */
export async function readJobResult(history: JobHistory, path: string, conversation: string | null): Promise<Buffer | undefined> {
  const match = RESULT_PATH.exec(path);
  if (!match || !conversation) return undefined;
  const job = history.job(match[1]!);
  if (job?.platform !== 'web' || job.where.channel !== conversation) return undefined;
  const file = job.files[match[2] as 'palette' | 'result'];
  return file ? readFile(file).catch(() => undefined) : undefined;
}
