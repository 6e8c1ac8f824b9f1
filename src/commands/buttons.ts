/**
 * The buttons under a job's messages: which ones a message gets, what they say, and the id a front
 * end gives each one. The id carries the job id, so a click finds its job after a restart, on an old
 * result, or on a message whose post the store never recorded.
 */
import { LIMITS } from '../engine/limits.js';
import { coarserTiles, nextTiles, type OptionLimits } from './user-options.js';
import { VARIATIONS, type CommandRequest, type JobAction, type JobButton } from './port.js';
import type { JobRecord } from '../jobs/job-record.js';

export const BUTTON_LABELS: Record<JobAction, string> = {
  finer: 'Finer tiles',
  coarser: 'Coarser tiles',
  stronger: 'Stronger',
  weaker: 'Weaker',
  seed: 'New seed',
  upscale: 'Upscale',
  cancel: 'Cancel',
  delete: 'Delete',
  send: 'Send to me',
};

/** How far Stronger and Weaker move the strength (1–10): one step is hard to see. */
export const STRENGTH_STEP = 2;

const PREFIX = 'tilestyle';
const ACTIONS = new Set<string>([...VARIATIONS, 'cancel', 'delete', 'send']);

function button(action: JobAction, jobId: string): JobButton {
  return { action, jobId, label: BUTTON_LABELS[action] };
}

/** The id a front end gives a button: "tilestyle:<action>:<job id>" (well under Discord's 100 characters). */
export function buttonId(b: Pick<JobButton, 'action' | 'jobId'>): string {
  return `${PREFIX}:${b.action}:${b.jobId}`;
}

/** The action and job a button id names, or null for an id that is not one of ours. */
export function parseButtonId(id: string): { action: JobAction; jobId: string } | null {
  const m = /^tilestyle:([a-z]+):([A-Za-z0-9_-]{1,64})$/.exec(id);
  if (!m || !ACTIONS.has(m[1]!)) return null;
  return { action: m[1] as JobAction, jobId: m[2]! };
}

/** What a click on a button asks of the commands (every front end maps its buttons through this). */
export function buttonRequest(b: { action: JobAction; jobId: string }): CommandRequest {
  switch (b.action) {
    case 'cancel':
    case 'delete':
    case 'send':
      return { kind: b.action, jobId: b.jobId };
    default:
      return { kind: 'rerun', jobId: b.jobId, change: b.action };
  }
}

/** Under a job's final picture: send it to me in a DM, and take the job back (its owner or an admin). */
export function takeBackButtons(jobId: string): JobButton[] {
  return [button('send', jobId), button('delete', jobId)];
}

/** The Cancel button of a waiting or running job's status message. */
export function cancelButtons(jobId: string): JobButton[] {
  return [button('cancel', jobId)];
}

/**
 * The buttons under a palette or result: only those that would do something (no Finer at the
 * finest tiling, no Stronger at strength 10, no Upscale at the size limit or under a palette).
 */
export function resultButtons(
  record: Pick<JobRecord, 'id' | 'kind' | 'options'>,
  image: 'palette' | 'result',
  limits: Pick<OptionLimits, 'maxSize' | 'maxTiles'>,
): JobButton[] {
  const o = record.options;
  const out: JobButton[] = [];
  if (nextTiles(o.tiles, limits.maxTiles) !== null) out.push(button('finer', record.id));
  if (coarserTiles(o.tiles) !== null) out.push(button('coarser', record.id));
  if (record.kind !== 'palette' && o.balance !== 'manual') {
    if (o.strength < LIMITS.strength.max) out.push(button('stronger', record.id));
    if (o.strength > LIMITS.strength.min) out.push(button('weaker', record.id));
  }
  out.push(button('seed', record.id));
  if (image === 'result' && record.kind !== 'palette' && o.size < limits.maxSize) out.push(button('upscale', record.id));
  return out;
}
