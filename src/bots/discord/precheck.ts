/**
 * What the interaction payload already says about a /stylize or /palette request — each attachment's
 * declared type, size and dimensions (data.resolved.attachments), and the option values — checked
 * before the reply is deferred. A public defer cannot become a private answer later (Discord: the
 * first follow-up after a defer edits the deferred reply, keeping its visibility), so problems found
 * here are answered with an ephemeral reply instead. The commands check the downloaded bytes again.
 */
import type { ChatInputCommandInteraction } from 'discord.js';
import { notAnImageText, tooLargeText, tooManyPixelsText } from '../../commands/messages.js';
import type { FrontEndLimits, JobKind } from '../../commands/index.js';
import { validateOptions } from '../../commands/user-options.js';
import { informativeType } from '../shared/download.js';
import { PALETTE, rawOptions, STYLIZE } from './commands.js';

const ROLES: Record<string, string> = { content: 'content image', style: 'style image' };

function attachmentProblem(
  role: string,
  a: { name: string; contentType: string | null; size: number; width?: number | null; height?: number | null },
  limits: FrontEndLimits,
): string | null {
  // A type that says nothing about the bytes is left to the commands, which decode them.
  const type = informativeType(a.contentType);
  if (type && !/^image\//i.test(type)) return notAnImageText(role, a.name, a.contentType!);
  if (a.size > limits.maxImageBytes) return tooLargeText(role, a.name, limits.maxImageBytes, a.size);
  return a.width && a.height ? tooManyPixelsText(role, a.name, a.width, a.height) : null;
}

/** The problems with a request, one message each (empty when it may go ahead). */
export function precheck(interaction: ChatInputCommandInteraction, limits: FrontEndLimits): string[] {
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
  const result = validateOptions(rawOptions(interaction), kind, limits);
  if (!result.ok) problems.push(...result.problems);
  return problems;
}
