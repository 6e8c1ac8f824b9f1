/**
 * The Slack front end: mention the bot with two images, or post images and use /stylize and /palette;
 * answers in a thread; 🔁 on a result re-runs it with finer tiles, ❌ cancels your job.
 */
import type { CommandHandler } from '../../commands/port.js';
import { startSlack, type SlackHandle } from './app.js';
import type { SlackConfig } from './config.js';

export { configFromEnv, SLACK_FILE_ORIGIN } from './config.js';
export type { SlackConfig } from './config.js';
export { startSlack } from './app.js';
export type { SlackHandle, SlackStartOptions } from './app.js';

export function start(config: SlackConfig, commands: CommandHandler): Promise<SlackHandle> {
  return startSlack(config, commands);
}
