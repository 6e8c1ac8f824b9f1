/**
 * What the interaction payload already says about a /stylize or /palette request — each attachment's
 * declared type, size and dimensions (data.resolved.attachments), and the option values — checked
 * before the reply is deferred. A public defer cannot become a private answer later (Discord: the
 * first follow-up after a defer edits the deferred reply, keeping its visibility), so problems found
 * here are answered with an ephemeral reply instead. The commands check the downloaded bytes again.
 */
import type { ChatInputCommandInteraction } from 'discord.js';
import { validateOptions, type OptionLimits } from '../../commands/user-options.js';
import { type JobKind } from '../../jobs/job-record.js';
import { MAX_INPUT_PIXELS } from '../../engine/limits.js';
import { informativeType, megabytes } from '../shared/download.js';
import { PALETTE, rawOptions, STYLIZE } from './commands.js';

export interface PrecheckLimits {
  maxImageBytes: number;
  /** The option limits in force, when the commands say them. */
  options?: OptionLimits;
}

const ROLES: Record<string, string> = { content: 'content image', style: 'style image' };

function attachmentProblem(role: string, a: { name: string; contentType: string | null; size: number; width?: number | null; height?: number | null }, limits: PrecheckLimits): string | null {
  // A type that says nothing about the bytes is left to the commands, which decode them.
  const type = informativeType(a.contentType);
  if (type && !/^image\//i.test(type)) {
    return `The ${role} "${a.name}" is ${a.contentType}, not an image. Send a PNG, JPEG, WebP or GIF.`;
  }
  if (a.size > limits.maxImageBytes) {
    return `The ${role} "${a.name}" is ${megabytes(a.size)}; the limit is ${megabytes(limits.maxImageBytes)}. Send a smaller image.`;
  }
  if (a.width && a.height && a.width * a.height > MAX_INPUT_PIXELS) {
    return `The ${role} "${a.name}" is ${a.width}×${a.height} pixels; the limit is ${Math.round(MAX_INPUT_PIXELS / 1e6)} megapixels. Send a smaller image.`;
  }
  return null;
}

/** The problems with a request, one message each (empty when it may go ahead). */
export function precheck(interaction: ChatInputCommandInteraction, limits: PrecheckLimits): string[] {
  const kind: JobKind | null = interaction.commandName === STYLIZE ? 'stylize' : interaction.commandName === PALETTE ? 'palette' : null;
  if (!kind) return [];
  const problems: string[] = [];
  for (const field of kind === 'stylize' ? ['content', 'style'] : ['style']) {
    const attachment = interaction.options.getAttachment(field);
    if (!attachment) {
      problems.push(`I couldn't read the ${ROLES[field]} of that command. Please try again.`);
      continue;
    }
    const problem = attachmentProblem(ROLES[field]!, attachment, limits);
    if (problem) problems.push(problem);
  }
  if (limits.options) {
    const result = validateOptions(rawOptions(interaction), kind, limits.options);
    if (!result.ok) problems.push(...result.problems);
  }
  return problems;
}
