/**
 * The Discord front end: /stylize, /palette and /tilestyle slash commands; answers in a thread started
 * from the reply; 🔁 on a result re-runs it with finer tiles, ❌ cancels your job.
 */
import type { CommandHandler } from '../../commands/port.js';
import { startDiscord, type DiscordHandle } from './bot.js';
import type { DiscordConfig } from './config.js';

export { configFromEnv, DISCORD_CDN_ORIGINS } from './config.js';
export type { DiscordConfig } from './config.js';
export { startDiscord } from './bot.js';
export type { DiscordHandle, DiscordStartOptions } from './bot.js';
export { commandDefinitions } from './commands.js';

export function start(config: DiscordConfig, commands: CommandHandler): Promise<DiscordHandle> {
  return startDiscord(config, commands);
}
