/**
 * A compute worker for the Redis mode (`npm run worker`): one engine and one BullMQ worker per
 * device in TILESTYLE_DEVICES, taking jobs queued by `npm start` on any machine. SIGINT/SIGTERM let
 * the running jobs finish, then stop; a second signal stops at once (the jobs go to other workers).
 */
import 'dotenv/config';
import { hostname } from 'node:os';
import { deviceLabels } from './jobs/device-labels.js';
import { settingsFromEnv } from './settings.js';
import { RedisWorkers } from './jobs/transport/redis-worker.js';
import { redactedUrl } from './jobs/transport/redis-protocol.js';
import { ConfigError, type Env } from './config.js';
import { modelDirFor, warmEngine } from './engine-setup.js';
import { BackendUnavailableError, ModelError } from './engine/types.js';
import { jobLines } from './ops/job-lines.js';
import { OpsMetrics, observers } from './ops/metrics.js';
import { plainConsole } from './ops/log.js';
import { startLogging, startOps } from './ops/start.js';

async function main(): Promise<void> {
  const env = process.env as Env;
  const log = startLogging(env, 'worker');
  const settings = settingsFromEnv(env);
  const metrics = new OpsMetrics();
  if (!settings.redis) throw new ConfigError('TILESTYLE_REDIS_URL', 'is required for a worker: the address of the Redis that `npm start` uses.');
  const redis = settings.redis;
  const modelDir = await modelDirFor(settings);
  const labels = deviceLabels(settings.devices);
  const engines = await Promise.all(
    settings.devices.map(async (device, index) => {
      const engine = await warmEngine(settings, modelDir, device);
      return { label: labels[index]!, engine };
    }),
  );
  const workers = await RedisWorkers.start({
    url: redis.url,
    engines,
    name: redis.workerName ?? `${hostname()}:${process.pid}`,
    lockDurationMs: redis.lockDurationMs,
    stalledIntervalMs: redis.stalledIntervalMs,
    maxStalledCount: redis.maxStalledCount,
    progressIntervalMs: Math.min(1000, settings.limits.progressIntervalMs),
    log,
    // The worker knows a job's id, not its user: the front end's lines carry both.
    observer: observers(metrics, jobLines(log)),
  });
  const ops = await startOps(settings.ops, metrics, () => workers.health(), log);
  console.info(`Worker ready: ${workers.names.join(', ')}; taking jobs from ${redactedUrl(redis.url)}.`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) {
      console.warn(`${signal} again: exiting now (running jobs go to other workers).`);
      process.exit(1);
    }
    stopping = true;
    console.info(`${signal}: finishing the running jobs, then stopping…`);
    await workers.close();
    await Promise.allSettled(engines.map((e) => e.engine.dispose()));
    await ops?.close();
    console.info('Stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof ModelError) {
    plainConsole.error(err instanceof ConfigError ? `Configuration error: ${err.message}` : `Cannot load the VGG19 weights: ${err.message}`);
  } else if (err instanceof BackendUnavailableError) {
    plainConsole.error(`The tilestyle worker could not start: ${err.message}`);
  } else {
    plainConsole.error('The tilestyle worker could not start:', err);
  }
  process.exit(1);
});
