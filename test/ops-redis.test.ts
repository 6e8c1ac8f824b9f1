/**
 * @jest-environment ./test/onnx-environment.cjs
 *
 * The operator's view in the Redis mode: a real redis-server, a worker over the stub engine and the
 * command service as front end, each with its metrics. Health names Redis and each worker; a worker
 * gone or Redis stopped makes it down.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { createCommandService, type CommandService } from '../src/commands/index.js';
import { OpsMetrics } from '../src/ops/metrics.js';
import type { PartHealth } from '../src/ops/health.js';
import { imageSource, invocation, RecordingPort } from './helpers/commands.js';
import { haveRedis, RedisServer, startTestWorkers } from './helpers/redis-server.js';
import type { RedisWorkers } from '../src/jobs/transport/redis-worker.js';
import { StubEngine } from './helpers/stub-engine.js';

if (!haveRedis) console.warn('Skipping the Redis operator tests: redis-server is missing.');
const describeWithRedis = haveRedis ? describe : describe.skip;
const log = { error: (...args: unknown[]) => console.error(...args), warn: () => undefined, info: () => undefined };

/** Re-checks `health` until `ok` holds of it (each check is a round trip to Redis), or fails with the last answer. */
async function healthUntil(health: () => Promise<PartHealth[]>, ok: (parts: PartHealth[]) => boolean, timeoutMs = 60_000): Promise<PartHealth[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const parts = await health();
    if (ok(parts)) return parts;
    if (Date.now() > deadline) throw new Error(`health never matched; last: ${JSON.stringify(parts)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function count(metrics: OpsMetrics, sample: string): Promise<number | undefined> {
  const line = (await metrics.text()).split('\n').find((l) => l.startsWith(`${sample} `));
  return line === undefined ? undefined : Number(line.slice(sample.length + 1));
}

describeWithRedis('health and metrics in the Redis mode', () => {
  let redis: RedisServer;
  let dataDir: string;
  let service: CommandService;
  let workers: RedisWorkers;
  const front = new OpsMetrics({ defaults: false });
  const back = new OpsMetrics({ defaults: false });

  beforeAll(async () => {
    redis = await RedisServer.start();
    dataDir = await mkdtemp(path.join(tmpdir(), 'tilestyle-ops-redis-'));
    workers = await startTestWorkers(redis.url, new StubEngine(), { log, observer: back });
    service = await createCommandService({
      dataDir,
      redisUrl: redis.url,
      limits: { progressIntervalMs: 50 },
      defaults: { size: 48, iterations: 3 },
      log,
      observer: front,
    });
    await service.start();
  }, 60_000);

  afterAll(async () => {
    await service?.stop();
    await workers?.close();
    await redis?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('names Redis and each worker as up, and counts a job on both sides', async () => {
    expect(await service.health()).toEqual([
      { part: 'job store', up: true },
      { part: 'redis', up: true },
      { part: 'worker w1/cpu', up: true },
    ]);
    expect(await workers.health()).toEqual([
      { part: 'redis', up: true },
      { part: 'worker w1/cpu', up: true },
    ]);

    const port = new RecordingPort();
    await service.handle({ kind: 'palette', style: imageSource('guitar.png'), options: {} }, invocation('ann'), port);
    await port.waitForSettings(60_000);
    await service.idle();
    expect(await count(front, 'tilestyle_jobs_total{kind="palette",outcome="done"}')).toBe(1);
    expect(await count(back, 'tilestyle_jobs_total{kind="palette",outcome="done"}')).toBe(1);
    expect(await count(back, 'tilestyle_job_wait_seconds_count{kind="palette"}')).toBe(1);
    expect(await count(back, 'tilestyle_job_run_seconds_count{kind="palette",outcome="done"}')).toBe(1);
  }, 90_000);

  it('is down when the last worker is gone, and while Redis does not answer', async () => {
    await workers.close();
    expect((await workers.health()).find((p) => p.part === 'worker w1/cpu')).toEqual({ part: 'worker w1/cpu', up: false, detail: 'not taking jobs' });
    const noWorker = await healthUntil(
      () => service.health(),
      (parts) => parts.some((p) => p.part === 'workers'),
    );
    expect(noWorker).toContainEqual({ part: 'workers', up: false, detail: 'no worker connected' });

    // Every client's commands wait (CLIENT PAUSE, Redis 6.2+) for longer than the health check's PING may take.
    const admin = new Redis(redis.url);
    try {
      await admin.call('CLIENT', 'PAUSE', '4000', 'ALL');
      const hanging = await service.health();
      expect(hanging).toContainEqual({ part: 'redis', up: false, detail: 'no answer within 1500 ms' });
      expect(hanging).toContainEqual({ part: 'job store', up: true });
    } finally {
      await admin.call('CLIENT', 'UNPAUSE').catch(() => undefined);
      admin.disconnect();
    }
    await healthUntil(
      () => service.health(),
      (parts) => parts.some((p) => p.part === 'redis' && p.up),
    );
  }, 90_000);
});
