/** Slack configuration from the environment. Tokens are kept in the config object and never logged. */
import { ConfigError, originOf, readInt, readOrigins, readString, type Env } from '../../config.js';

/** Where Slack serves private files (url_private / url_private_download). */
export const SLACK_FILE_ORIGIN = 'https://files.slack.com';

export interface SlackConfig {
  /** xoxb-… bot token. */
  botToken: string;
  /** Socket Mode (outbound WebSocket, no public URL) when an app token is set; else the HTTP receiver. */
  mode: 'socket' | 'http';
  /** xapp-… app-level token with connections:write (Socket Mode only). */
  appToken?: string;
  /** Verifies that HTTP requests come from Slack (HTTP mode only). */
  signingSecret?: string;
  /** HTTP mode: where the receiver listens; host undefined = every interface. */
  port: number;
  host?: string;
  /** Web API base, e.g. a fake server in tests; default Slack's own. */
  apiUrl?: string;
  /** Origins private files may be downloaded from (the bot token is sent to them). */
  fileOrigins: string[];
  /** Per-file download timeout. */
  downloadTimeoutMs: number;
  /** User ids (U…/W…) who may use the admin controls besides workspace admins and owners (SLACK_ADMIN_USERS). */
  adminUsers: string[];
}

function adminUsersFrom(env: Env): string[] {
  const ids = (readString(env, 'SLACK_ADMIN_USERS') ?? '')
    .split(',')
    .map((id) => id.trim())
    .filter((id) => id.length > 0);
  const bad = ids.find((id) => !/^[UW][A-Z0-9]{2,}$/.test(id));
  if (bad) throw new ConfigError('SLACK_ADMIN_USERS', `must be Slack user ids such as U0123ABCD (profile → ⋮ → Copy member ID), got "${bad}".`);
  return ids;
}

/**
 * Null when SLACK_BOT_TOKEN is unset (Slack is not used). Socket Mode when SLACK_APP_TOKEN is set;
 * otherwise HTTP, which needs SLACK_SIGNING_SECRET.
 */
export function configFromEnv(env: Env): SlackConfig | null {
  const botToken = readString(env, 'SLACK_BOT_TOKEN');
  if (!botToken) return null;
  if (!botToken.startsWith('xoxb-')) {
    throw new ConfigError('SLACK_BOT_TOKEN', 'must be the bot token that starts with "xoxb-" (OAuth & Permissions → Bot User OAuth Token).');
  }
  const appToken = readString(env, 'SLACK_APP_TOKEN');
  if (appToken && !appToken.startsWith('xapp-')) {
    throw new ConfigError(
      'SLACK_APP_TOKEN',
      'must be an app-level token that starts with "xapp-" (Basic Information → App-Level Tokens, scope connections:write).',
    );
  }
  const signingSecret = readString(env, 'SLACK_SIGNING_SECRET');
  if (!appToken && !signingSecret) {
    throw new ConfigError(
      'SLACK_SIGNING_SECRET',
      'is required in HTTP mode (Basic Information → Signing Secret); or set SLACK_APP_TOKEN to use Socket Mode instead.',
    );
  }
  const apiRaw = readString(env, 'SLACK_API_URL');
  let apiUrl: string | undefined;
  if (apiRaw) {
    originOf('SLACK_API_URL', apiRaw);
    apiUrl = apiRaw.endsWith('/') ? apiRaw : `${apiRaw}/`;
  }
  const extraOrigins = readOrigins(env, 'SLACK_FILE_ORIGINS');
  const host = readString(env, 'SLACK_HOST');
  const config: SlackConfig = {
    botToken,
    mode: appToken ? 'socket' : 'http',
    port: readInt(env, 'SLACK_PORT', 3000, 0, 65535),
    fileOrigins: [...new Set([SLACK_FILE_ORIGIN, ...extraOrigins])],
    downloadTimeoutMs: readInt(env, 'SLACK_DOWNLOAD_TIMEOUT_MS', 30_000, 1000, 600_000),
    adminUsers: adminUsersFrom(env),
  };
  if (appToken) config.appToken = appToken;
  if (signingSecret) config.signingSecret = signingSecret;
  if (host) config.host = host;
  if (apiUrl) config.apiUrl = apiUrl;
  return config;
}
