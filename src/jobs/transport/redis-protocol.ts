/**
 * What the front end and the workers agree on over Redis: the queue's name, the job's data, the
 * progress events and the keys images travel under. Images never ride in events: they go to keys
 * that expire, and events only say that they are there.
 */
import type { Losses, TransferOptions } from '../../engine/types.js';
import type { RecordKind } from '../job-record.js';
import type { Phase } from '../run-job.js';
import type { EngineJob } from '../engine-job.js';

export const QUEUE_NAME = 'tilestyle';
/** Key prefix of everything tilestyle keeps in Redis (BullMQ's own keys use it too). */
export const PREFIX = 'tilestyle';
/** Workers listen here for cancellations of running jobs. */
export const CANCEL_CHANNEL = `${PREFIX}:cancel`;
/** Images and cancellation marks outlive a front end restart by this much. */
export const IMAGE_TTL_S = 24 * 3600;
/** Palettes shared by every worker expire after a week unused. */
export const PALETTE_TTL_S = 7 * 24 * 3600;

export type ImageName = 'palette' | 'result' | 'preview';

/** BullMQ refuses ids that look like numbers (a hex job id may): its job ids carry a prefix. */
export function queueJobId(jobId: string): string {
  return `job-${jobId}`;
}

export function jobIdOf(queueId: string): string {
  return queueId.replace(/^job-/, '');
}

export const keys = {
  image: (jobId: string, name: ImageName) => `${PREFIX}:image:${jobId}:${name}`,
  cancelled: (jobId: string) => `${PREFIX}:cancelled:${jobId}`,
  palette: (key: string) => `${PREFIX}:palette:${key}`,
  /** The queue ids of one owner's jobs (fair-turns.ts ownerOf), scored by arrival: what fair turns count. */
  owner: (owner: string) => `${PREFIX}:owner:${owner}`,
};

/** A job's data in the queue: the work with its images as base64 (bounded by the job's size). */
export interface WireWork {
  id: string;
  kind: RecordKind;
  content?: string;
  style: string;
  /** The result an upscale starts from. */
  previous?: string;
  palette: Partial<TransferOptions>;
  paletteKey: string;
  stylize?: Partial<TransferOptions>;
  sweep?: boolean;
}

export function toWire(work: EngineJob): WireWork {
  const wire: WireWork = { id: work.id, kind: work.kind, style: work.style.toString('base64'), palette: work.palette, paletteKey: work.paletteKey };
  if (work.content) wire.content = work.content.toString('base64');
  if (work.previous) wire.previous = work.previous.toString('base64');
  if (work.stylize) wire.stylize = work.stylize;
  if (work.sweep) wire.sweep = true;
  return wire;
}

export function fromWire(wire: WireWork): EngineJob {
  const work: EngineJob = { id: wire.id, kind: wire.kind, style: Buffer.from(wire.style, 'base64'), palette: wire.palette, paletteKey: wire.paletteKey };
  if (wire.content) work.content = Buffer.from(wire.content, 'base64');
  if (wire.previous) work.previous = Buffer.from(wire.previous, 'base64');
  if (wire.stylize) work.stylize = wire.stylize;
  if (wire.sweep) work.sweep = true;
  return work;
}

/** Progress events, as job.updateProgress carries them from a worker to the front end. */
export type WireProgress =
  | { type: 'phase'; name: Phase; worker: string }
  | { type: 'progress'; name: Phase; step: number; total: number; elapsedMs: number; losses: Losses; preview: boolean }
  | { type: 'image'; name: 'palette' | 'result' };

/** What a job that ended on a worker returns. */
export interface WireResult {
  worker: string;
}

/** Why a job failed on purpose (not retried): the front end turns it back into words for the user. */
export type WireFailure = { kind: 'cancelled' } | { kind: 'input'; message: string };

const FAILURE_MARK = 'tilestyle-failure:';

export function failureReason(failure: WireFailure): string {
  return FAILURE_MARK + JSON.stringify(failure);
}

export function parseFailure(reason: string | undefined): WireFailure | null {
  if (!reason?.startsWith(FAILURE_MARK)) return null;
  try {
    return JSON.parse(reason.slice(FAILURE_MARK.length)) as WireFailure;
  } catch {
    return null;
  }
}

/** ioredis options for BullMQ: blocking commands must retry forever, so a Redis restart is ridden out. */
export function connectionOptions(url: string): { url: string; maxRetriesPerRequest: null; enableOfflineQueue: boolean } {
  return { url, maxRetriesPerRequest: null, enableOfflineQueue: true };
}

/** The URL without its password, for logs. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(a Redis URL)';
  }
}
