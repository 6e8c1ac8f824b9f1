/**
 * The compute side of the Redis mode: one BullMQ worker per engine, one job at a time each. A job's
 * images go to expiring keys and its progress to BullMQ's progress events; a cancellation reaches the
 * worker running the job through a Redis channel. A worker that dies mid-job stops renewing its
 * lock, and BullMQ gives the job to another worker.
 */
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { ImageInputError, JobCancelledError, OptionError } from '../../engine/types.js';
import type { PartHealth } from '../../ops/health.js';
import type { JobObserver } from '../../ops/metrics.js';
import { redisHealth } from './redis-health.js';
import { jobLog } from '../../ops/job-log.js';
import { runJob, type PaletteStore, type RunSink, type StyleEngine } from '../run-job.js';
import {
  CANCEL_CHANNEL,
  connectionOptions,
  failureReason,
  parseFailure,
  fromWire,
  IMAGE_TTL_S,
  keys,
  PALETTE_TTL_S,
  PREFIX,
  QUEUE_NAME,
  queueJobId,
  type WireProgress,
  type WireResult,
  type WireWork,
} from './redis-protocol.js';

export interface RedisWorkersOptions {
  url: string;
  /** One worker each; `label` names it (with `name`) in status and logs. */
  engines: { label: string; engine: StyleEngine }[];
  /** This machine's name among the workers. */
  name: string;
  /** How long a job stays locked without renewal before another worker may take it over. */
  lockDurationMs: number;
  /** How often workers look for jobs whose worker died. */
  stalledIntervalMs: number;
  /** Times a job may be taken over from a dead worker before it fails. */
  maxStalledCount: number;
  /** At most one progress event (without preview) per this many milliseconds. */
  progressIntervalMs: number;
  log: Pick<Console, 'error' | 'warn' | 'info'>;
  /** Told when each job starts and ends here (metrics, job log lines; see src/ops). */
  observer?: JobObserver;
}

/** Palettes shared by all workers, in Redis; each hit keeps a palette a week longer. */
function redisPalettes(redis: Redis): PaletteStore {
  return {
    async get(key) {
      const png = await redis.getBuffer(keys.palette(key));
      if (png) await redis.expire(keys.palette(key), PALETTE_TTL_S);
      return png;
    },
    async put(key, png) {
      await redis.set(keys.palette(key), png, 'EX', PALETTE_TTL_S);
    },
  };
}

export class RedisWorkers {
  private constructor(
    /** Names as status shows them. */
    readonly names: string[],
    private readonly workers: Worker[],
    private readonly redis: Redis,
    private readonly subscriber: Redis,
    private readonly engines: StyleEngine[],
  ) {}

  static async start(opts: RedisWorkersOptions): Promise<RedisWorkers> {
    const redis = new Redis(opts.url, { maxRetriesPerRequest: null });
    const subscriber = new Redis(opts.url, { maxRetriesPerRequest: null });
    for (const client of [redis, subscriber]) client.on('error', (err: Error) => opts.log.warn(`Redis: ${err.message}`));
    const palettes = redisPalettes(redis);
    const workers = opts.engines.map(({ label, engine }) => {
      const name = `${opts.name}/${label}`;
      const worker = new Worker<WireWork, WireResult>(QUEUE_NAME, (job, _token, signal) => runQueued(job, name, engine, signal), {
        connection: connectionOptions(opts.url),
        prefix: PREFIX,
        name,
        concurrency: 1,
        lockDuration: opts.lockDurationMs,
        stalledInterval: opts.stalledIntervalMs,
        maxStalledCount: opts.maxStalledCount,
      });
      worker.on('error', (err) => opts.log.warn(`Worker ${name}: ${err.message}`));
      worker.on('failed', (job, err) => {
        if (!(err instanceof UnrecoverableError))
          (job ? jobLog(opts.log, { id: job.data.id }) : opts.log).error(`Job ${job?.id ?? '?'} failed on ${name}:`, err);
      });
      return worker;
    });

    async function runQueued(job: Job<WireWork, WireResult>, name: string, engine: StyleEngine, signal?: AbortSignal): Promise<WireResult> {
      const observed = { id: job.data.id, kind: job.data.kind, queuedAt: job.timestamp };
      opts.observer?.started(observed, name);
      let outcome = 'failed';
      try {
        const result = await runOne(job, name, engine, signal);
        outcome = 'done';
        return result;
      } catch (err) {
        if (err instanceof UnrecoverableError && parseFailure(err.message)?.kind === 'cancelled') outcome = 'cancelled';
        throw err;
      } finally {
        opts.observer?.ended(observed, outcome);
      }
    }

    async function runOne(job: Job<WireWork, WireResult>, name: string, engine: StyleEngine, signal?: AbortSignal): Promise<WireResult> {
      // Cancelled while it changed hands (e.g. taken over from a dead worker).
      if (await redis.exists(keys.cancelled(job.data.id))) throw new UnrecoverableError(failureReason({ kind: 'cancelled' }));
      const work = fromWire(job.data);
      const abort = signal ?? new AbortController().signal;
      try {
        await runJob(work, engine, palettes, sinkFor(job, name), abort, opts.log);
      } catch (err) {
        if (err instanceof JobCancelledError) throw new UnrecoverableError(failureReason({ kind: 'cancelled' }));
        if (err instanceof ImageInputError || err instanceof OptionError) {
          throw new UnrecoverableError(failureReason({ kind: 'input', message: err.message }));
        }
        throw err;
      }
      return { worker: name };
    }

    function sinkFor(job: Job<WireWork, WireResult>, name: string): RunSink {
      const id = job.data.id;
      const send = (event: WireProgress) => job.updateProgress(event);
      let last = 0;
      return {
        phase: (phase) => send({ type: 'phase', name: phase, worker: name }),
        progress: (phase, p) => {
          const now = Date.now();
          if (!p.preview && now - last < opts.progressIntervalMs && p.step < p.total) return;
          last = now;
          const event: WireProgress = {
            type: 'progress',
            name: phase,
            step: p.step,
            total: p.total,
            elapsedMs: p.elapsedMs,
            losses: p.losses,
            preview: Boolean(p.preview),
          };
          const stored = p.preview ? redis.set(keys.image(id, 'preview'), p.preview, 'EX', IMAGE_TTL_S) : Promise.resolve();
          stored.then(() => send(event)).catch((err: unknown) => opts.log.warn(`Progress of job ${id} was not sent:`, err));
        },
        palette: async (png) => {
          await redis.set(keys.image(id, 'palette'), png, 'EX', IMAGE_TTL_S);
          await send({ type: 'image', name: 'palette' });
        },
        result: async (png) => {
          await redis.set(keys.image(id, 'result'), png, 'EX', IMAGE_TTL_S);
        },
      };
    }

    await subscriber.subscribe(CANCEL_CHANNEL);
    subscriber.on('message', (_channel: string, jobId: string) => {
      for (const worker of workers) worker.cancelJob(queueJobId(jobId), 'cancelled');
    });
    await Promise.all(workers.map((w) => w.waitUntilReady()));
    return new RedisWorkers(
      opts.engines.map(({ label }) => `${opts.name}/${label}`),
      workers,
      redis,
      subscriber,
      opts.engines.map((e) => e.engine),
    );
  }

  /** Redis answers, and each worker is running with its engine up (for /healthz). */
  async health(): Promise<PartHealth[]> {
    const parts: PartHealth[] = [await redisHealth(this.redis)];
    this.workers.forEach((worker, index) => {
      const engine = this.engines[index]?.health?.() ?? { up: true };
      const running = worker.isRunning() && !worker.closing;
      const up = running && engine.up;
      const detail = !running ? 'not taking jobs' : engine.detail;
      parts.push({ part: `worker ${this.names[index]}`, up, ...(detail ? { detail } : {}) });
    });
    return parts;
  }

  /** Lets running jobs finish, takes no new ones, then disconnects. */
  async close(): Promise<void> {
    await Promise.allSettled(this.workers.map((w) => w.close()));
    this.subscriber.disconnect();
    this.redis.disconnect();
  }
}
