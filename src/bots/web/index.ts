/**
 * The web front end: a small page on localhost that speaks to the same commands as the chat bots,
 * so the project can be tried before any Discord or Slack app exists.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ConfigError, readBool, readInt, readString, type Env } from '../../config.js';
import { Conversations, isConversationId } from './conversations.js';
import { FileStore } from './files.js';
import { webFrontend } from './reply-port.js';
import { historyMessages } from './history.js';
import { InputImages } from './inputs.js';
import { WebServer, type WebCommands } from './server.js';

export interface WebConfig {
  host: string;
  /** 0 picks any free port (tests). */
  port: number;
  /**
   * Conversations and the images the commands post live in <dataDir>/web (TILESTYLE_DATA_DIR, beside the
   * job store); the user's own images are shown from the commands' <dataDir>/inputs.
   */
  dataDir: string;
  /** Host names the page may be reached by, besides loopback names, IP addresses and `host` (WEB_ALLOWED_HOSTS). */
  allowedHosts?: string[];
}

export interface WebHandle {
  url: string;
  stop(): Promise<void>;
}

/**
 * The web front end runs by itself when no chat credentials are set; beside the bots only with
 * WEB_ENABLED=true. WEB_ENABLED=false turns it off either way.
 */
export function configFromEnv(env: Env, { chatConfigured }: { chatConfigured: boolean } = { chatConfigured: false }): WebConfig | null {
  const enabled = readBool(env, 'WEB_ENABLED', !chatConfigured);
  if (!enabled) return null;
  const host = readString(env, 'WEB_HOST') ?? '127.0.0.1';
  if (!/^[A-Za-z0-9.:-]+$/.test(host)) {
    throw new ConfigError('WEB_HOST', `must be a host name or IP address to listen on (got "${host}").`);
  }
  const allowedHosts = (readString(env, 'WEB_ALLOWED_HOSTS') ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name.length > 0);
  for (const name of allowedHosts) {
    if (!/^[a-z0-9.-]+$/.test(name)) {
      throw new ConfigError('WEB_ALLOWED_HOSTS', `must be host names separated by commas, without ports (got "${name}").`);
    }
  }
  return {
    host,
    port: readInt(env, 'WEB_PORT', 8080, 0, 65535),
    dataDir: resolve(readString(env, 'TILESTYLE_DATA_DIR') ?? 'data'),
    ...(allowedHosts.length > 0 ? { allowedHosts } : {}),
  };
}

/**
 * The conversation that keeps Discord and Slack results that reached no one (their thread, channel and
 * DM refused them): an id drawn once per data directory and kept there, so only who reads the log (or
 * the data directory) can open it. Anyone who can reach the page and has the id can read it.
 */
async function unreachedConversation(dataDir: string): Promise<string> {
  const file = join(dataDir, 'web', 'unreached-conversation');
  const kept = (await readFile(file, 'utf8').catch(() => '')).trim();
  if (isConversationId(kept)) return kept;
  const id = `unreached-${randomBytes(12).toString('hex')}`;
  await mkdir(join(dataDir, 'web'), { recursive: true });
  await writeFile(file, `${id}\n`);
  return id;
}

/**
 * `commands` is the command service; where it offers the job store's read API (history, job), earlier
 * jobs missing from a conversation are shown from there. Its limits (image bytes, option ranges) are the
 * uploads' and the form's, so both refuse the same files and values.
 */
export async function start(config: WebConfig, commands: WebCommands): Promise<WebHandle> {
  const { history, job } = commands;
  const limits =
    commands.limits?.maxSize !== undefined && commands.limits.maxTiles !== undefined
      ? { maxSize: commands.limits.maxSize, maxTiles: commands.limits.maxTiles }
      : undefined;
  const jobHistory = history && job ? { history: history.bind(commands), job: job.bind(commands), ...(limits ? { limits } : {}) } : undefined;
  const conversations = new Conversations(
    join(config.dataDir, 'web', 'conversations'),
    jobHistory ? (conversation, present) => historyMessages(jobHistory, conversation, present) : undefined,
  );
  const files = new FileStore(join(config.dataDir, 'web', 'files'));
  await Promise.all([conversations.init(), files.init()]);
  const unreached = await unreachedConversation(config.dataDir);
  commands.registerFrontend(webFrontend(conversations, files, unreached));
  const inputs = new InputImages(config.dataDir);
  const server = new WebServer(config, commands, conversations, files, inputs, jobHistory);
  await server.listen();
  console.info(`Web front end: open ${server.url} in a browser. Chat results that reach no one are kept at ${server.url}?c=${unreached}`);
  return { url: server.url, stop: () => server.close() };
}
