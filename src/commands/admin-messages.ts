/** The words of the operators' controls (the admin command) and of the refusals they cause. */
import type { ScopeLimits } from '../jobs/controls-store.js';

export const NOT_AN_OPERATOR =
  "Only this server's admins can use the admin controls (on Discord: Manage Server or the operator's admin role; on Slack: workspace admins and owners, or the users the operator named).";

export const BANNED = "Sorry — an admin of this server has blocked you from using me here. Ask them if you think that's a mistake.";

export function channelClosedText(channels: string[]): string {
  const list = channels.map((c) => `#${c}`).join(', ');
  return `I only answer in the channels this server's admins chose (${list}). Please ask me there.`;
}

/** Added to a new job's status while the operators hold the queue. */
export const QUEUE_PAUSED_NOTE = 'The queue is paused by an admin: your job keeps its place and starts when they resume it.';

/** A job at the front of the queue, held by the pause. */
export const HELD_TEXT = 'Waiting: the queue is paused by an admin. This job keeps its place and starts when they resume it.';

export const NEEDS_SERVER = 'That control belongs to a server or workspace: use it in one of its channels, not here.';

export const ADMIN_USAGE = [
  'Admin controls:',
  '• pause — hold the queue: waiting jobs keep their places, new ones are accepted and wait.',
  '• resume — start the waiting jobs again.',
  '• ban <user> / unban <user> — stop or allow a user here.',
  '• allow-channel [channel] — answer only in the chosen channels (this one if none is named); add more one by one.',
  '• all-channels — answer in every channel again.',
  '• limits size=<px> iterations=<n> — lower the size and iteration limits for this server.',
  '• clear-limits — back to the global limits.',
  '• show — what is set now.',
].join('\n');

export function unknownAdminText(text: string): string {
  return `I don't know the admin control "${text}".\n${ADMIN_USAGE}`;
}

export function pausedText(already: boolean, waiting: number): string {
  if (already) return 'The queue was already paused.';
  return `Paused the queue. ${waiting} waiting job(s) keep their places; new jobs are accepted and wait. Use resume to start them again.`;
}

export function resumedText(already: boolean): string {
  return already ? 'The queue is not paused.' : 'Resumed the queue: waiting jobs start again in their order.';
}

export function bannedText(user: string, changed: boolean): string {
  return changed ? `Blocked user ${user} here: their commands are refused.` : `User ${user} was already blocked here.`;
}

export function unbannedText(user: string, changed: boolean): string {
  return changed ? `User ${user} may use me here again.` : `User ${user} was not blocked here.`;
}

export function channelsText(channels: string[]): string {
  if (channels.length === 0) return 'I answer in every channel of this server.';
  return `I answer only in: ${channels.map((c) => `#${c}`).join(', ')}.`;
}

export const ALL_CHANNELS = 'Cleared the channel list: I answer in every channel of this server again.';

export function limitsText(limits: ScopeLimits, global: { maxSize: number; maxIterations: number }): string {
  const size = limits.maxSize !== undefined ? `${limits.maxSize} px` : `${global.maxSize} px (global)`;
  const iterations = limits.maxIterations !== undefined ? `${limits.maxIterations}` : `${global.maxIterations} (global)`;
  return `Limits here: size up to ${size}, iterations up to ${iterations}.`;
}

export const LIMITS_NEEDED = 'Give size=<px>, iterations=<n> or both, e.g. limits size=512 iterations=300.';

export function limitOutOfRange(name: 'size' | 'iterations', value: string, min: number, max: number): string {
  return `${name} must be a whole number from ${min} to ${max} (the global limit), not "${value}".`;
}

export const LIMITS_CLEARED = "Cleared this server's limits: the global limits apply again.";

export function showText(parts: { paused: boolean; banned: string[]; channels: string[] | null; limits: string | null }): string {
  const lines = [parts.paused ? 'Queue: paused.' : 'Queue: running.'];
  lines.push(parts.banned.length === 0 ? 'Blocked users here: none.' : `Blocked users here: ${parts.banned.join(', ')}.`);
  if (parts.channels) lines.push(channelsText(parts.channels));
  if (parts.limits) lines.push(parts.limits);
  return lines.join('\n');
}
