/** Discord configuration from the environment. The token stays in the config object and is never logged. */
import { ConfigError, originOf, readInt, readOrigins, readString, type Env } from '../../config.js';

/** Where Discord serves attachments: the CDN and its media proxy. */
export const DISCORD_CDN_ORIGINS = ['https://cdn.discordapp.com', 'https://media.discordapp.net'];

export interface DiscordConfig {
  token: string;
  /** Application id (Developer Portal → General Information), used to register the slash commands. */
  appId: string;
  /** Register the commands in this guild only (instant); globally when unset. */
  guildId?: string;
  /** REST base such as http://127.0.0.1:PORT/api (tests); default Discord's own. */
  apiUrl?: string;
  /** Origins attachments may be downloaded from. */
  cdnOrigins: string[];
  downloadTimeoutMs: number;
  /**
   * Roles (ids or names) whose members may use /admin besides those with Manage Server
   * (DISCORD_ADMIN_ROLES, comma-separated).
   */
  adminRoles: string[];
}

const SNOWFLAKE = /^\d{15,22}$/;

function snowflake(env: Env, name: string, where: string): string | undefined {
  const value = readString(env, name);
  if (value !== undefined && !SNOWFLAKE.test(value)) {
    throw new ConfigError(name, `must be a Discord id (a long number; ${where}), got "${value}".`);
  }
  return value;
}

/** Null when DISCORD_TOKEN is unset (Discord is not used); otherwise DISCORD_APP_ID is required. */
export function configFromEnv(env: Env): DiscordConfig | null {
  const token = readString(env, 'DISCORD_TOKEN');
  if (!token) return null;
  const appId = snowflake(env, 'DISCORD_APP_ID', 'Developer Portal → General Information → Application ID');
  if (!appId) {
    throw new ConfigError('DISCORD_APP_ID', 'is required with DISCORD_TOKEN (Developer Portal → General Information → Application ID).');
  }
  const guildId = snowflake(env, 'DISCORD_GUILD_ID', 'right-click the server with Developer Mode on → Copy Server ID');
  const apiRaw = readString(env, 'DISCORD_API_URL');
  if (apiRaw) originOf('DISCORD_API_URL', apiRaw);
  const extra = readOrigins(env, 'DISCORD_CDN_ORIGINS');
  const config: DiscordConfig = {
    token,
    appId,
    cdnOrigins: [...new Set([...DISCORD_CDN_ORIGINS, ...extra])],
    downloadTimeoutMs: readInt(env, 'DISCORD_DOWNLOAD_TIMEOUT_MS', 30_000, 1000, 600_000),
    adminRoles: (readString(env, 'DISCORD_ADMIN_ROLES') ?? '')
      .split(',')
      .map((role) => role.trim())
      .filter((role) => role.length > 0),
  };
  if (guildId) config.guildId = guildId;
  if (apiRaw) config.apiUrl = apiRaw.replace(/\/+$/, '');
  return config;
}
