/**
 * A real redis-server for tests: Debian's binary on a free port with its data in a temporary
 * directory (append-only file fsynced on every write, so a restart keeps every job), stopped after.
 *
 *   const redis = await RedisServer.start();
 *   ... redis.url ...
 *   await redis.restart();
 *   await redis.stop();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { StyleEngine } from '../../src/jobs/run-job.js';
import { RedisWorkers, type RedisWorkersOptions } from '../../src/jobs/transport/redis-worker.js';

export const REDIS_SERVER = process.env.TILESTYLE_REDIS_SERVER ?? '/usr/bin/redis-server';
export const haveRedis = existsSync(REDIS_SERVER);

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export class RedisServer {
  private child: ChildProcess | null = null;

  private constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<RedisServer> {
    const dir = await mkdtemp(path.join(tmpdir(), 'tilestyle-redis-'));
    const server = new RedisServer(await freePort(), dir);
    await server.launch();
    return server;
  }

  private launch(): Promise<void> {
    const child = spawn(
      REDIS_SERVER,
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--dir',
        this.dir,
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--save',
        '',
        '--maxmemory-policy',
        'noeviction',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    let output = '';
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${output}`)), 20_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (/Ready to accept connections/.test(output)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}:\n${output}`));
      });
    });
  }

  /** Stops the server (it writes its append-only file first) and starts it again on the same port and data. */
  async restart(): Promise<void> {
    await this.halt();
    await this.launch();
  }

  private halt(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      child.removeAllListeners('exit');
      child.on('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }

  async stop(): Promise<void> {
    await this.halt();
    await rm(this.dir, { recursive: true, force: true });
  }
}

/**
 * `npm run worker`'s workers inside the test process, one per engine, with the settings the Redis
 * tests share (locks and the stalled check at BullMQ's defaults, one takeover, progress every 50 ms).
 */
export function startTestWorkers(url: string, engine: StyleEngine, opts: Pick<RedisWorkersOptions, 'log' | 'observer'>): Promise<RedisWorkers> {
  return RedisWorkers.start({
    url,
    engines: [{ label: 'cpu', engine }],
    name: 'w1',
    lockDurationMs: 30_000,
    stalledIntervalMs: 30_000,
    maxStalledCount: 1,
    progressIntervalMs: 50,
    ...opts,
  });
}
