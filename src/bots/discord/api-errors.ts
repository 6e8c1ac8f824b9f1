/** Discord API error codes the bot tells apart (https://discord.com/developers/docs/topics/opcodes-and-status-codes#json). */
import { DiscordAPIError } from 'discord.js';

/** Errors that mean "not allowed here" rather than "something broke". */
const NOT_ALLOWED = new Set([
  50001, // Missing Access
  50013, // Missing Permissions
  50024, // Cannot execute action on this channel type (e.g. no threads in DMs)
  160002, // Cannot reply without permission to read message history
  160006, // Maximum number of active threads reached
  40060, // Interaction has already been acknowledged
]);

/** "Operation cannot be performed on an archived thread": edits and reactions wait until it is unarchived. */
export const ARCHIVED_THREAD = 50083;

export function apiCode(err: unknown): number | string | undefined {
  return err instanceof DiscordAPIError ? err.code : undefined;
}

export function isNotAllowed(err: unknown): boolean {
  const code = apiCode(err);
  return typeof code === 'number' && NOT_ALLOWED.has(code);
}
