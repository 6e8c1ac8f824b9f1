/**
 * Measures the Redis mode on this machine with the real engine and a real redis-server (started on a
 * free port, stopped after):
 * - jobs per minute with one worker process, then with two side by side, against the embedded mode;
 * - the time the Redis path adds to one job (queue, events, images through Redis) over the embedded
 *   path: the same jobs one at a time, alternating between the two paths, median of several.
 *
 *   npm run bench:cluster     (or npm run bench -- --cluster)
 *   BENCH_CLUSTER_JOBS=8 jobs per throughput run, BENCH_CLUSTER_SIZE=96 px, BENCH_CLUSTER_STEPS=10,
 *   BENCH_CLUSTER_LATENCY_JOBS=7, BENCH_THREADS=<cores/2> threads per engine (each worker has one).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createCommandService, type CommandService } from '../src/commands/index.js';
import { Engine } from '../src/engine/index.js';
import { imageSource, invocation, MODEL_DIR, RecordingFrontend, RecordingPort } from '../test/helpers/commands.js';
import { RedisServer } from '../test/helpers/redis-server.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const JOBS = Number(process.env.BENCH_CLUSTER_JOBS ?? 8);
const SIZE = Number(process.env.BENCH_CLUSTER_SIZE ?? 96);
const STEPS = Number(process.env.BENCH_CLUSTER_STEPS ?? 10);
const LATENCY_JOBS = Number(process.env.BENCH_CLUSTER_LATENCY_JOBS ?? 7);
const THREADS = Number(process.env.BENCH_THREADS ?? Math.max(1, Math.floor(os.cpus().length / 2)));
const quiet = { error: (...args: unknown[]) => console.error(...args), warn: () => undefined, info: () => undefined };

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const done = (port: RecordingPort) => port.posts().length > 0 && (port.textOf(port.posts()[0]!.id) ?? '').startsWith('Done in');

/** Submits one stylize job and resolves with its time from submission to its final status. */
async function oneJob(service: CommandService, seed: number, user: string): Promise<number> {
  const port = new RecordingPort({ channel: `bench-${seed}` });
  const started = performance.now();
  await service.handle(
    { kind: 'stylize', content: imageSource('dog.jpg'), style: imageSource('guitar.png'), options: { seed, size: SIZE, iterations: STEPS } },
    invocation(user),
    port,
  );
  if (port.whispers().length > 0) throw new Error(`refused: ${port.whispers().join(' ')}`);
  await port.waitFor(done, 600_000);
  return performance.now() - started;
}

/** JOBS jobs queued at once; jobs per minute from the first submission to the last answer. */
async function throughput(service: CommandService, seedBase: number): Promise<number> {
  const started = performance.now();
  await Promise.all(Array.from({ length: JOBS }, (_, i) => oneJob(service, seedBase + i, `user-${i % 3}`)));
  return JOBS / ((performance.now() - started) / 60_000);
}

/**
 * The same jobs one at a time, alternating between the two paths so a machine busy with other work
 * weighs on both alike; the medians of each and of the paired differences.
 */
async function latency(local: CommandService, remote: CommandService): Promise<{ local: number; remote: number; added: number }> {
  await oneJob(local, 999, 'warm-up');
  await oneJob(remote, 999, 'warm-up');
  const pairs: { local: number; remote: number }[] = [];
  for (let i = 0; i < LATENCY_JOBS; i++) {
    const l = await oneJob(local, 1000 + i, 'latency');
    const r = await oneJob(remote, 1000 + i, 'latency');
    pairs.push({ local: l, remote: r });
  }
  return { local: median(pairs.map((p) => p.local)), remote: median(pairs.map((p) => p.remote)), added: median(pairs.map((p) => p.remote - p.local)) };
}

const LIMITS = { perUserWaiting: 1000, globalWaiting: 1000, progressIntervalMs: 500 };

async function embedded(dataDir: string): Promise<CommandService> {
  const engine = await Engine.create({ modelDir: MODEL_DIR, device: 'cpu', threads: THREADS });
  await engine.warm();
  const service = await createCommandService({ dataDir, createEngine: async () => engine, limits: LIMITS, log: quiet });
  service.registerFrontend(new RecordingFrontend('web'));
  await service.start();
  return service;
}

async function frontEnd(dataDir: string, url: string): Promise<CommandService> {
  const service = await createCommandService({ dataDir, redisUrl: url, limits: LIMITS, log: quiet });
  service.registerFrontend(new RecordingFrontend('web'));
  await service.start();
  return service;
}

const TSX_LOADER = pathToFileURL(path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

function startWorker(url: string, name: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, path.join(ROOT, 'src/worker.ts')], {
    cwd: os.tmpdir(),
    env: {
      PATH: process.env.PATH!,
      HOME: process.env.HOME ?? '/tmp',
      TILESTYLE_MODEL_DIR: MODEL_DIR,
      TILESTYLE_THREADS: String(THREADS),
      TILESTYLE_REDIS_URL: url,
      TILESTYLE_WORKER_NAME: name,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Worker ready')) resolve(child);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`worker ${name} exited (${code}):\n${output}`)));
  });
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tilestyle-bench-cluster-'));
  const redis = await RedisServer.start();
  const workers: ChildProcess[] = [];
  try {
    console.log(`${JOBS} stylize jobs of ${SIZE} px, ${STEPS} steps per pass, ${THREADS} thread(s) per engine, ${os.cpus().length} cores`);
    const local = await embedded(path.join(dir, 'embedded'));
    workers.push(await startWorker(redis.url, 'bench-1'));
    const remote = await frontEnd(path.join(dir, 'front'), redis.url);
    const times = await latency(local, remote);
    const embeddedRate = await throughput(local, 2000);
    await local.stop();
    const one = await throughput(remote, 3000);
    workers.push(await startWorker(redis.url, 'bench-2'));
    const two = await throughput(remote, 4000);
    await remote.stop();
    console.log(`embedded (one engine in this process): ${embeddedRate.toFixed(1)} jobs/min`);
    console.log(`Redis, 1 worker:  ${one.toFixed(1)} jobs/min`);
    console.log(`Redis, 2 workers: ${two.toFixed(1)} jobs/min (${(two / one).toFixed(2)}× one worker)`);
    console.log(
      `one job at a time (median of ${LATENCY_JOBS}): embedded ${times.local.toFixed(0)} ms, Redis ${times.remote.toFixed(0)} ms; ` +
        `added by the Redis path: ${times.added.toFixed(0)} ms per job`,
    );
  } finally {
    for (const worker of workers) worker.kill('SIGKILL');
    await redis.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
