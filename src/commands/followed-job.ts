/** A job as the front end follows it while it waits and runs, and as front ends show it afterwards. */
import { randomBytes } from 'node:crypto';
import type { ResultName } from '../jobs/data-files.js';
import type { ReplyPort } from './port.js';
import type { StatusLine } from './status-line.js';
import type { JobRecord } from '../jobs/job-record.js';

/** A job as front ends show it: its record without the input hashes, plus the result files. */
export type JobSummary = Omit<JobRecord, 'inputs'> & {
  /** Absolute paths of the PNGs the job produced (absent until produced). */
  files: Partial<Record<ResultName, string>>;
};

export interface FollowedJob {
  id: string;
  record: JobRecord;
  port: ReplyPort;
  status: StatusLine | null;
  /** First line of the status message (e.g. what a re-run changes). */
  intro: string;
  lastPosition: number;
  /** The device running it, once started. */
  device: string | null;
  cancelRequested: boolean;
  pausedForShutdown: boolean;
  /** Settles once the status message is posted: nothing else is posted for the job before it. */
  ready: Promise<void>;
}

/** A job as it enters a queue: nothing posted, nothing running yet. */
export function followedJob(record: JobRecord, port: ReplyPort, intro: string): FollowedJob {
  return {
    id: record.id,
    record,
    port,
    status: null,
    intro,
    lastPosition: -1,
    device: null,
    cancelRequested: false,
    pausedForShutdown: false,
    ready: Promise.resolve(),
  };
}

export function newJobId(): string {
  return randomBytes(5).toString('hex');
}

export function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
