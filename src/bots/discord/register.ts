/**
 * Registers the slash commands: `npm run register:discord`. In one guild when DISCORD_GUILD_ID is
 * set (available at once), else globally (may take up to an hour to show everywhere).
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import dotenv from 'dotenv';
import { REST, type RESTPutAPIApplicationCommandsResult } from 'discord.js';
import { settingsFromEnv } from '../../settings.js';
import { ConfigError, type Env } from '../../config.js';
import { commandDefinitions } from './commands.js';
import { configFromEnv, type DiscordConfig } from './config.js';

export async function registerCommands(config: DiscordConfig, bounds: { maxSize: number; maxIterations: number }): Promise<string[]> {
  const rest = new REST(config.apiUrl ? { api: config.apiUrl } : {}).setToken(config.token);
  const route = config.guildId
    ? (`/applications/${config.appId}/guilds/${config.guildId}/commands` as const)
    : (`/applications/${config.appId}/commands` as const);
  const result = (await rest.put(route, { body: commandDefinitions(bounds) })) as RESTPutAPIApplicationCommandsResult;
  return result.map((c) => c.name);
}

async function main(): Promise<void> {
  dotenv.config({ quiet: true });
  const env = process.env as Env;
  const config = configFromEnv(env);
  if (!config) throw new ConfigError('DISCORD_TOKEN', 'is required to register the commands (Developer Portal → Bot → Reset Token).');
  const { limits } = settingsFromEnv(env);
  const names = await registerCommands(config, { maxSize: limits.maxSize, maxIterations: limits.maxIterations });
  const scope = config.guildId ? `in guild ${config.guildId}` : 'globally (may take up to an hour to appear)';
  console.info(`Registered /${names.join(', /')} ${scope}.`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((err: unknown) => {
    console.error(
      err instanceof ConfigError ? `Configuration error: ${err.message}` : 'Registering the commands failed:',
      err instanceof ConfigError ? '' : err,
    );
    process.exit(1);
  });
}
