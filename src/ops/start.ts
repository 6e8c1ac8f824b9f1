/** What `npm start` and `npm run worker` share: the structured log, and the operator port when configured. */
import { ConfigError, type Env } from '../config.js';
import type { OpsSettings } from '../settings.js';
import type { PartHealth } from './health.js';
import { consoleShaped, createLogger, logSettingsFromEnv, routeConsole, type Log } from './log.js';
import type { OpsMetrics } from './metrics.js';
import { startOpsServer, type OpsServer } from './server.js';

/** The process's log (TILESTYLE_LOG_FORMAT, TILESTYLE_LOG_LEVEL); console.* goes through it from now on. */
export function startLogging(env: Env, role: 'start' | 'worker'): Log {
  const log = consoleShaped(createLogger({ ...logSettingsFromEnv(env), base: { role } }));
  routeConsole(log);
  return log;
}

/** The operator port (/healthz, /metrics), or nothing when TILESTYLE_OPS_PORT is unset. */
export async function startOps(
  settings: OpsSettings | undefined,
  metrics: OpsMetrics,
  health: () => Promise<PartHealth[]>,
  log: Log,
): Promise<OpsServer | undefined> {
  if (!settings) return undefined;
  const server = await startOpsServer({ ...settings, metrics, health, log }).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    throw new ConfigError(
      'TILESTYLE_OPS_PORT',
      `port ${settings.port} on ${settings.host} is already in use (is tilestyle already running?). Set another port, or leave it unset to turn the operator port off.`,
    );
  });
  log.info(`Operator port: ${server.url}/healthz and ${server.url}/metrics.`);
  return server;
}
