/**
 * @jest-environment ./test/onnx-environment.cjs
 *
 * Upscale in the Redis mode: a real redis-server, a BullMQ worker in this process over the real
 * engine, the command service as front end. The upscale travels as its own job kind with the
 * previous result among its inputs, runs on the worker, and comes back at twice the size, with no
 * second palette.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { createCommandService, type CommandService } from '../src/commands/index.js';
import { imageSource, invocation, RecordingPort, testEngine } from './helpers/commands.js';
import { haveRedis, RedisServer, startTestWorkers } from './helpers/redis-server.js';
import type { RedisWorkers } from '../src/jobs/transport/redis-worker.js';

if (!haveRedis) console.warn('Skipping the Redis upscale test: redis-server is missing (.ci/run installs it).');
const describeWithRedis = haveRedis ? describe : describe.skip;
const log = { error: (...args: unknown[]) => console.error(...args), warn: () => undefined, info: () => undefined };

describeWithRedis('upscale on a Redis worker', () => {
  let redis: RedisServer;
  let dataDir: string;
  let service: CommandService;
  let workers: RedisWorkers;

  beforeAll(async () => {
    redis = await RedisServer.start();
    dataDir = await mkdtemp(path.join(tmpdir(), 'tilestyle-redis-upscale-'));
    workers = await startTestWorkers(redis.url, await testEngine('cpu', 0), { log });
    service = await createCommandService({
      dataDir,
      redisUrl: redis.url,
      limits: { maxSize: 96, progressIntervalMs: 50 },
      defaults: { size: 48, iterations: 3 },
      log,
    });
    await service.start();
  }, 120_000);

  afterAll(async () => {
    await service?.stop();
    await workers?.close();
    await redis?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('runs a result again at twice its size on the worker', async () => {
    const port = new RecordingPort();
    await service.handle(
      { kind: 'stylize', content: imageSource('dog.jpg'), style: imageSource('guitar.png'), options: { tiles: 2, seed: 3 } },
      invocation('ann'),
      port,
    );
    await port.waitForSettings(120_000);
    const jobId = /job (\w+)$/.exec(port.posts().at(-1)!.text)![1]!;

    const up = new RecordingPort(port.where());
    await service.handle({ kind: 'rerun', jobId, change: 'upscale' }, invocation('ann'), up);
    await up.waitForSettings(120_000);
    expect(up.whispers()).toEqual([]);
    expect(up.filePosts()).toHaveLength(1);
    const meta = await sharp(up.filePosts()[0]!.files[0]!.data).metadata();
    expect(Math.max(meta.width!, meta.height!)).toBe(96);
    const upscaled = /job (\w+)$/.exec(up.posts().at(-1)!.text)![1]!;
    expect(service.job(upscaled)).toMatchObject({ kind: 'upscale', state: 'done', parentId: jobId, options: { size: 96 } });
    expect(up.textOf(up.posts()[0]!.id)).toMatch(/Done in .* on w1\/cpu\./);
  }, 240_000);
});
