/**
 * Structured logs: one JSON object a line (pino), or pino-pretty's readable lines when stdout is a
 * terminal. The rest of the code logs through the console's shape (`log.error('Job x failed:', err)`),
 * so this module adapts pino to it: strings make the message, the first Error goes under `err` with
 * its stack. Lines about a job come from a child bound to { jobId, userId } (jobLog).
 *
 * Secrets are kept out twice: tokens are never passed to a log call in the first place, and every
 * line is scrubbed on its way out of the values of the secret settings in the environment and of
 * anything shaped like a Slack or Discord token, besides pino's `redact` of the usual field names.
 */
import { inspect } from 'node:util';
import pino, { type Logger, type DestinationStream } from 'pino';
import { prettyFactory } from 'pino-pretty';
import { ConfigError, readString, type Env } from '../config.js';

export { jobLog } from './job-log.js';

/** The console's shape that the command service and the front ends log through, plus job children. */
export interface Log extends Pick<Console, 'error' | 'warn' | 'info'> {
  child(bindings: Record<string, string>): Log;
}

export type LogFormat = 'json' | 'pretty';
const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LEVELS)[number];

export interface LogSettings {
  format: LogFormat;
  level: LogLevel;
}

/** TILESTYLE_LOG_FORMAT (json | pretty; default pretty on a terminal, else json) and TILESTYLE_LOG_LEVEL (default info). */
export function logSettingsFromEnv(env: Env, isTerminal = Boolean(process.stdout.isTTY)): LogSettings {
  const format = readString(env, 'TILESTYLE_LOG_FORMAT')?.toLowerCase() ?? (isTerminal ? 'pretty' : 'json');
  if (format !== 'json' && format !== 'pretty') throw new ConfigError('TILESTYLE_LOG_FORMAT', `must be json or pretty (got "${format}").`);
  const level = readString(env, 'TILESTYLE_LOG_LEVEL')?.toLowerCase() ?? 'info';
  if (!(LEVELS as readonly string[]).includes(level)) throw new ConfigError('TILESTYLE_LOG_LEVEL', `must be one of ${LEVELS.join(', ')} (got "${level}").`);
  return { format, level: level as LogLevel };
}

/** Field names whose values never reach the log (pino redact; `*` is one level of nesting). */
export const REDACT_PATHS = [
  'token',
  'password',
  'secret',
  'authorization',
  'signingSecret',
  'botToken',
  'appToken',
  '*.token',
  '*.password',
  '*.secret',
  '*.authorization',
  '*.Authorization',
  '*.signingSecret',
  '*.botToken',
  '*.appToken',
  'headers.authorization',
  'headers.Authorization',
  '*.headers.authorization',
  '*.headers.Authorization',
  'err.config.headers.Authorization',
  'err.request.headers.authorization',
];

/** Settings whose values are secrets: any variable named like one, and the password of a Redis URL. */
export function secretsIn(env: Env): string[] {
  const secrets = new Set<string>();
  for (const [name, value] of Object.entries(env)) {
    if (!value || value.trim().length < 6) continue;
    if (/TOKEN|SECRET|PASSWORD|PASSWD|API_KEY|PRIVATE_KEY/i.test(name)) secrets.add(value.trim());
  }
  for (const name of ['TILESTYLE_REDIS_URL']) {
    const raw = env[name];
    if (!raw) continue;
    try {
      const url = new URL(raw);
      if (url.password) secrets.add(decodeURIComponent(url.password)).add(url.password);
    } catch {
      // Not a URL: settings.ts refuses it at start.
    }
  }
  return [...secrets].filter((s) => s.length >= 6).sort((a, b) => b.length - a.length);
}

/**
 * Slack tokens (xoxb-…, xapp-…; api.slack.com/authentication/token-types) and the three dot-separated
 * base64url parts of a Discord bot token, wherever they turn up in a line.
 */
const TOKEN_SHAPES = [/\bxox[abposre]-[A-Za-z0-9-]{8,}/g, /\bxapp-[A-Za-z0-9-]{8,}/g, /\b[A-Za-z0-9_-]{23,28}\.[A-Za-z0-9_-]{6,7}\.[A-Za-z0-9_-]{27,}\b/g];

export function scrubber(secrets: string[]): (line: string) => string {
  return (line) => {
    let out = line;
    for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join('[Redacted]');
    for (const shape of TOKEN_SHAPES) out = out.replace(shape, '[Redacted]');
    return out;
  };
}

/** A destination that formats (pretty) and scrubs each line before it reaches `out`, synchronously. */
function scrubbing(out: { write(s: string): unknown }, secrets: string[], format: (line: string) => string): DestinationStream {
  const scrub = scrubber(secrets);
  return { write: (line: string) => void out.write(scrub(format(line))) };
}

export interface CreateLogOptions extends Partial<LogSettings> {
  /** Where lines go (default process.stdout). */
  out?: { write(s: string): unknown };
  /** Secret values to scrub (default: those in process.env). */
  secrets?: string[];
  /** Fields on every line, e.g. { role: 'worker' }. */
  base?: Record<string, string>;
}

export function createLogger(opts: CreateLogOptions = {}): Logger {
  const out = opts.out ?? process.stdout;
  const secrets = opts.secrets ?? secretsIn(process.env as Env);
  const readable =
    opts.format === 'pretty'
      ? prettyFactory({ colorize: out === process.stdout && Boolean(process.stdout.isTTY), ignore: 'pid,hostname,role', translateTime: 'SYS:HH:MM:ss.l' })
      : (line: string) => line;
  const destination = scrubbing(out, secrets, readable);
  return pino(
    {
      level: opts.level ?? 'info',
      base: { pid: process.pid, ...opts.base },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[Redacted]' },
      serializers: { err: pino.stdSerializers.err },
    },
    destination,
  );
}

type Level = 'error' | 'warn' | 'info';

function emit(logger: Logger, level: Level, args: unknown[]): void {
  const err = args.find((a) => a instanceof Error);
  const words = args
    .filter((a) => a !== err)
    .map((a) => (typeof a === 'string' ? a : inspect(a, { depth: 4, breakLength: Infinity })))
    .join(' ');
  if (err) logger[level]({ err }, words);
  else logger[level](words);
}

/** pino behind the console's shape; child() binds fields (a job's id and user) to every line. */
export function consoleShaped(logger: Logger): Log {
  return {
    error: (...args: unknown[]) => emit(logger, 'error', args),
    warn: (...args: unknown[]) => emit(logger, 'warn', args),
    info: (...args: unknown[]) => emit(logger, 'info', args),
    child: (bindings) => consoleShaped(logger.child(bindings)),
  };
}

/**
 * The console as it was before routeConsole: a start that fails says why in one plain line, for the
 * person starting it (nothing ran yet that a log search would need).
 */
export const plainConsole: Pick<Console, 'error'> = { error: console.error.bind(console) };

/**
 * Sends console.* through `log`, for the lines of code that log to the console directly (the front
 * ends, the start-up): `npm start` and `npm run worker` then write structured lines only.
 */
export function routeConsole(log: Log): void {
  console.error = (...args: unknown[]) => log.error(...args);
  console.warn = (...args: unknown[]) => log.warn(...args);
  console.info = (...args: unknown[]) => log.info(...args);
  console.log = (...args: unknown[]) => log.info(...args);
}
