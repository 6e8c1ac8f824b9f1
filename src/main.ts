/**
 * Starts tilestyle: checks the configuration, finds the weights, creates and warms one engine per
 * device, opens the job store and starts every front end that is configured. SIGINT/SIGTERM stop it
 * gracefully: running jobs are paused and resumed at the next start. With TILESTYLE_REDIS_URL set,
 * no engine is loaded here: jobs go through Redis to the workers (src/worker.ts), which keep running
 * them while this process restarts.
 */
import 'dotenv/config';
import { createCommandService, type CommandService } from './commands/index.js';
import type { CommandHandler } from './commands/port.js';
import { settingsFromEnv } from './settings.js';
import { redactedUrl } from './jobs/transport/redis-protocol.js';
import { ConfigError, type Env } from './config.js';
import { modelDirFor, threadedEngine } from './engine-setup.js';
import { BackendUnavailableError, ModelError } from './engine/types.js';
import { retentionFromEnv, startRetention, type RetentionHandle } from './retention.js';
import { jobLines } from './ops/job-lines.js';
import { OpsMetrics, observers } from './ops/metrics.js';
import { plainConsole, type Log } from './ops/log.js';
import { startLogging, startOps } from './ops/start.js';
import type { OpsSettings } from './settings.js';

interface FrontendModule {
  configFromEnv(env: Env, context?: { chatConfigured: boolean }): unknown;
  start(config: unknown, commands: CommandHandler): Promise<{ stop(): Promise<void> }>;
}

const FRONTENDS = [
  { name: 'discord', module: './bots/discord/index.js', chat: true },
  { name: 'slack', module: './bots/slack/index.js', chat: true },
  { name: 'web', module: './bots/web/index.js', chat: false },
] as const;

/** Loads a front end's module; a front end not present in this installation is skipped with a note. */
async function loadFrontend(specifier: string): Promise<FrontendModule | null> {
  try {
    return (await import(specifier)) as FrontendModule;
  } catch (err) {
    const code = (err as { code?: string }).code;
    const url = new URL(specifier, import.meta.url).pathname.replace(/\.js$/, '');
    if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && String((err as Error).message).includes(url)) return null;
    throw err;
  }
}

/** What the operator port serves, and where the log goes. */
interface Ops {
  settings: OpsSettings | undefined;
  metrics: OpsMetrics;
  log: Log;
}

async function main(): Promise<void> {
  const env = process.env as Env;
  const log = startLogging(env, 'start');
  const settings = settingsFromEnv(env);
  const metrics = new OpsMetrics();
  const ops: Ops = { settings: settings.ops, metrics, log };
  // Every job's steps in the log, bound to its id and user, and in the metrics.
  const observer = observers(metrics, jobLines(log));
  const retention = retentionFromEnv(env);

  // Every front end's configuration is checked before anything slow starts.
  const configured: { name: string; module: FrontendModule; config: unknown }[] = [];
  let chatConfigured = false;
  for (const frontend of FRONTENDS) {
    const module = await loadFrontend(frontend.module);
    if (!module) {
      console.warn(`The ${frontend.name} front end is not part of this installation; skipping it.`);
      continue;
    }
    const config = module.configFromEnv(env, { chatConfigured });
    if (config === null || config === undefined) continue;
    if (frontend.chat) chatConfigured = true;
    configured.push({ name: frontend.name, module, config });
  }
  if (configured.length === 0) {
    throw new ConfigError(
      'WEB_ENABLED',
      'no front end is configured: set the Discord or Slack variables, or leave WEB_ENABLED unset (or true) for the web page.',
    );
  }

  if (settings.redis) {
    // The front end of the Redis mode: the workers (npm run worker) hold the engines.
    const service = await createCommandService({
      dataDir: settings.dataDir,
      redisUrl: settings.redis.url,
      limits: settings.limits,
      defaults: settings.defaults,
      log,
      observer,
    });
    console.info(`Jobs go to the workers through Redis at ${redactedUrl(settings.redis.url)}; data in ${settings.dataDir}.`);
    return run(service, configured, { dataDir: settings.dataDir, retention }, ops);
  }

  const modelDir = await modelDirFor(settings);

  const started = Date.now();
  const service: CommandService = await createCommandService({
    dataDir: settings.dataDir,
    devices: settings.devices,
    limits: settings.limits,
    defaults: settings.defaults,
    createEngine: (device) => threadedEngine(settings, modelDir, device),
    log,
    observer,
  });
  console.info(`Engines ready on ${service.devices.join(', ')} in ${((Date.now() - started) / 1000).toFixed(1)} s; data in ${settings.dataDir}.`);
  await run(service, configured, { dataDir: settings.dataDir, retention }, ops);
}

/** Starts the front ends over the service; SIGINT/SIGTERM pause the jobs, close the front ends, then the service. */
async function run(
  service: CommandService,
  configured: { name: string; module: FrontendModule; config: unknown }[],
  prune: { dataDir: string; retention: ReturnType<typeof retentionFromEnv> },
  ops: Ops,
): Promise<void> {
  const running: { name: string; stop(): Promise<void> }[] = [];
  let opsServer: Awaited<ReturnType<typeof startOps>>;
  let pruning: RetentionHandle | undefined;
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) {
      console.warn(`${signal} again: exiting now.`);
      process.exit(1);
    }
    stopping = true;
    console.info(`${signal}: stopping (running jobs are paused and resume at the next start)…`);
    // Jobs pause first, while the front ends can still show the users that they did.
    await service.pause();
    for (const frontend of running.reverse()) {
      await frontend.stop().catch((err: unknown) => console.error(`Stopping the ${frontend.name} front end failed:`, err));
    }
    await service.stop();
    await pruning?.stop();
    await opsServer?.close();
    console.info('Stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  for (const frontend of configured) {
    const handle = await frontend.module.start(frontend.config, service);
    running.push({ name: frontend.name, stop: () => handle.stop() });
  }
  await service.start();
  ops.metrics.watch({ loads: () => service.loads(), undelivered: () => service.undeliveredCount() });
  opsServer = await startOps(ops.settings, ops.metrics, () => service.health(), ops.log);
  pruning = startRetention(prune.dataDir, prune.retention, console, undefined, () => service.owedResults());
  console.info(`Front ends started: ${running.map((f) => f.name).join(', ')}.`);
}

// A promise nobody awaited failed: that is a bug to report, but one request's bug must not stop every
// front end and running job, so it is logged with its stack and the process carries on.
process.on('unhandledRejection', (reason: unknown) => {
  console.error('Unhandled promise rejection (a bug; please report it). tilestyle keeps running:', reason);
});

main().catch((err: unknown) => {
  const code = (err as NodeJS.ErrnoException).code;
  if (err instanceof ConfigError || err instanceof ModelError) {
    plainConsole.error(err instanceof ConfigError ? `Configuration error: ${err.message}` : `Cannot load the VGG19 weights: ${err.message}`);
  } else if (err instanceof BackendUnavailableError) {
    plainConsole.error(`tilestyle could not start: ${err.message}`);
  } else if (code === 'EADDRINUSE') {
    const { address, port } = err as { address?: string; port?: number };
    plainConsole.error(`tilestyle could not start: port ${port ?? '?'} on ${address ?? 'this machine'} is already in use (is tilestyle already running?).`);
  } else {
    plainConsole.error('tilestyle could not start:', err);
  }
  process.exit(1);
});
