/**
 * The front end's side of the Redis mode: jobs go to a BullMQ queue that workers on other machines
 * take from, and what they report comes back through BullMQ's events. Events of one job are handled
 * one after another; a job's outcome is handled once, however often it is reported (a job taken over
 * from a dead worker, a front end that finds a job already finished when it starts).
 */
import { Queue, QueueEvents, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import sharp from 'sharp';
import { JobCancelledError } from '../../engine/types.js';
import type { DataFiles } from '../data-files.js';
import type { JobRecord, OptionDefaults } from '../job-record.js';
import { loadEngineJob, type EngineJob } from '../engine-job.js';
import { ownerOf } from '../fair-turns.js';
import {
  CANCEL_CHANNEL,
  connectionOptions,
  IMAGE_TTL_S,
  keys,
  parseFailure,
  jobIdOf,
  PREFIX,
  QUEUE_NAME,
  queueJobId,
  toWire,
  type WireProgress,
  type WireResult,
  type WireWork,
} from './redis-protocol.js';
import { redisHealth } from './redis-health.js';
import type { PartHealth } from '../../ops/health.js';
import { UserFacingError, type DeviceLoad, type JobListener, type Placement, type Transport } from './transport.js';

/** Where a waiting job is said to wait: any worker may take it. */
export const SHARED_QUEUE = 'the workers';
/** Finished jobs stay in Redis this long, so a restarted front end still finds their outcome. */
const KEEP_FINISHED_S = 24 * 3600;
/** BullMQ's largest priority (lower numbers run first). */
const MAX_PRIORITY = 2 ** 21 - 1;
/** States in which a job is still ahead of its owner's later jobs. */
const IN_LINE = new Set(['waiting', 'prioritized', 'delayed', 'active', 'waiting-children']);

interface Followed {
  listener: JobListener;
  /** Events of this job, handled in order. */
  chain: Promise<void>;
  /** The worker running it, once one took it (another, if that one died). */
  worker: string | null;
  done: boolean;
}

export interface RedisTransportOptions {
  url: string;
  files: DataFiles;
  defaults: OptionDefaults;
  log: Pick<Console, 'error' | 'warn'>;
}

/** Inputs travel at most at the job's size (the engine would scale them down to it anyway). */
async function bounded(image: Buffer, size: number): Promise<Buffer> {
  return sharp(image).rotate().resize({ width: size, height: size, fit: 'inside', withoutEnlargement: true }).png().toBuffer();
}

export class RedisTransport implements Transport {
  readonly devices = [SHARED_QUEUE];
  private readonly followed = new Map<string, Followed>();
  private readonly idleWaiters = new Set<() => void>();
  /** Event handlers under way: stopping waits for them, so none writes to a closed store. */
  private readonly handling = new Set<Promise<void>>();
  private paused = false;
  private counts = { waiting: 0, active: 0, workers: 0 };
  private refreshing: Promise<void> | null = null;

  private constructor(
    private readonly opts: RedisTransportOptions,
    private readonly queue: Queue<WireWork, WireResult>,
    private readonly events: QueueEvents,
    private readonly redis: Redis,
  ) {
    events.on('active', ({ jobId }) => this.on(jobIdOf(jobId), (f, id) => this.active(id, f)));
    events.on('progress', ({ jobId, data }) => this.on(jobIdOf(jobId), (f, id) => this.progress(id, f, data as WireProgress)));
    events.on('completed', ({ jobId, returnvalue }) => this.on(jobIdOf(jobId), (f, id) => this.completed(id, f, returnvalue as unknown as WireResult)));
    events.on('failed', ({ jobId, failedReason }) => this.on(jobIdOf(jobId), (f, id) => this.failed(id, f, failedReason)));
    for (const name of ['waiting', 'removed', 'stalled'] as const) events.on(name, () => this.refresh());
    events.on('error', (err) => opts.log.warn(`Redis events: ${err.message}`));
  }

  static async connect(opts: RedisTransportOptions): Promise<RedisTransport> {
    const connection = connectionOptions(opts.url);
    const queue = new Queue<WireWork, WireResult>(QUEUE_NAME, { connection, prefix: PREFIX });
    const events = new QueueEvents(QUEUE_NAME, { connection, prefix: PREFIX });
    const redis = new Redis(opts.url, { maxRetriesPerRequest: null });
    queue.on('error', (err) => opts.log.warn(`Redis queue: ${err.message}`));
    redis.on('error', (err: Error) => opts.log.warn(`Redis: ${err.message}`));
    await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
    const transport = new RedisTransport(opts, queue, events, redis);
    await transport.refresh();
    return transport;
  }

  async enqueue(record: JobRecord, listener: JobListener): Promise<Placement> {
    const followed: Followed = { listener, chain: Promise.resolve(), worker: null, done: false };
    this.followed.set(record.id, followed);
    const work = await this.workOf(record);
    const priority = await this.turnOf(ownerOf(record), queueJobId(record.id));
    // The job id is the job's own: a job queued again after a restart is the same job, not a second one.
    const job = await this.queue.add('job', toWire(work), {
      jobId: queueJobId(record.id),
      priority,
      attempts: 1,
      removeOnComplete: { age: KEEP_FINISHED_S },
      removeOnFail: { age: KEEP_FINISHED_S },
    });
    await this.catchUp(record.id, job);
    await this.refresh();
    return (await this.find(record.id)) ?? { device: SHARED_QUEUE, position: this.counts.waiting };
  }

  /** BullMQ's global pause: the workers take no new job until resumed; it is kept in Redis itself. */
  async hold(paused: boolean): Promise<void> {
    if (paused) await this.queue.pause();
    else await this.queue.resume();
  }

  async remove(jobId: string): Promise<boolean> {
    const state = await this.queue.getJobState(queueJobId(jobId));
    if (state !== 'waiting' && state !== 'prioritized' && state !== 'delayed') return false;
    const removed = (await this.queue.remove(queueJobId(jobId))) === 1;
    if (removed) this.forget(jobId);
    return removed;
  }

  async abort(jobId: string): Promise<void> {
    // The mark also stops a worker that takes the job over later; the message stops the one running it.
    await this.redis.set(keys.cancelled(jobId), '1', 'EX', IMAGE_TTL_S);
    await this.redis.publish(CANCEL_CHANNEL, jobId);
  }

  wouldWait(): boolean {
    return this.counts.waiting > 0 || this.counts.active >= this.counts.workers;
  }

  async find(jobId: string): Promise<Placement | undefined> {
    const job = await this.queue.getJob(queueJobId(jobId));
    if (!job) return undefined;
    const state = await job.getState();
    if (state === 'active') return { device: job.processedBy ?? SHARED_QUEUE, position: 0 };
    if (state !== 'waiting' && state !== 'prioritized') return undefined;
    const index = (await this.waitingIds()).indexOf(jobId);
    return index < 0 ? undefined : { device: SHARED_QUEUE, position: index + 1 };
  }

  async loads(): Promise<DeviceLoad[]> {
    const [workers, active, counts] = await Promise.all([this.queue.getWorkers(), this.queue.getActive(), this.queue.getJobCounts('waiting', 'prioritized')]);
    const names = workers.map((w) => String(w.rawname ?? w.name).replace(/^.*?:w:/, '')).sort();
    const loads: DeviceLoad[] = names.map((name) => ({ device: name, running: active.filter((j) => j.processedBy === name).length, waiting: 0 }));
    if (names.length === 0) loads.push({ device: 'no worker connected', running: 0, waiting: 0 });
    loads.push({ device: `waiting for ${SHARED_QUEUE}`, running: 0, waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0) });
    return loads;
  }

  /**
   * The front end stops listening (after the events under way); its jobs go on running on the
   * workers and are picked up at the next start.
   */
  async pause(): Promise<string[]> {
    this.paused = true;
    while (this.handling.size > 0) await Promise.allSettled([...this.handling]);
    return [];
  }

  idle(): Promise<void> {
    if (this.followed.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.add(resolve));
  }

  /** Redis answers, and at least one worker is connected (each one named). */
  async health(): Promise<PartHealth[]> {
    const redis = await redisHealth(this.redis);
    if (!redis.up) return [redis, { part: 'workers', up: false, detail: 'unknown while Redis does not answer' }];
    const workers = await this.queue.getWorkers();
    const names = workers.map((w) => String(w.rawname ?? w.name).replace(/^.*?:w:/, '')).sort();
    if (names.length === 0) return [redis, { part: 'workers', up: false, detail: 'no worker connected' }];
    return [redis, ...names.map((name) => ({ part: `worker ${name}`, up: true }))];
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.events.close(), this.queue.close()]);
    this.redis.disconnect();
  }

  /**
   * Fair turns across every front end and worker (fair-turns.ts): the job's BullMQ priority is 1 + the
   * number of its owner's jobs still in the queue (waiting or running), counted from a sorted set per
   * owner in Redis. Workers take the lowest priority first, and the oldest within one, so no owner's
   * second job starts before another owner's first. Unlike the in-process queues, a job keeps the
   * class it was queued with when its owner's earlier jobs end, so later jobs of lower classes still
   * go before it. Two jobs of one owner queued at the same instant by two front ends may share a class.
   */
  private async turnOf(owner: string, queueId: string): Promise<number> {
    const key = keys.owner(owner);
    const earlier = (await this.redis.zrange(key, 0, -1)).filter((id) => id !== queueId);
    const states = await Promise.all(earlier.map((id) => this.queue.getJobState(id)));
    const gone = earlier.filter((_, i) => !IN_LINE.has(states[i]!));
    const ahead = earlier.length - gone.length;
    const multi = this.redis.multi();
    if (gone.length > 0) multi.zrem(key, ...gone);
    multi.zadd(key, 'NX', Date.now(), queueId).expire(key, KEEP_FINISHED_S);
    await multi.exec();
    return Math.min(1 + ahead, MAX_PRIORITY);
  }

  private async workOf(record: JobRecord): Promise<EngineJob> {
    const work = await loadEngineJob(record, this.opts.files, this.opts.defaults);
    const size = record.options.size;
    work.style = await bounded(work.style, size);
    if (work.content) work.content = await bounded(work.content, size);
    if (work.previous) work.previous = await bounded(work.previous, size);
    return work;
  }

  /**
   * A job found already running or finished (a front end restart, or a worker quicker than this) is
   * caught up with; not awaited, since the listener waits for the job's status message, posted after.
   */
  private async catchUp(id: string, job: Job<WireWork, WireResult>): Promise<void> {
    const state = await job.getState();
    if (state === 'active') this.on(id, (f) => this.active(id, f));
    else if (state === 'completed') this.on(id, (f) => this.completed(id, f, job.returnvalue));
    else if (state === 'failed') this.on(id, (f) => this.failed(id, f, job.failedReason));
  }

  /** Runs `handle` after the job's earlier events; jobs of other front ends (or forgotten ones) are ignored. */
  private on(jobId: string, handle: (f: Followed, jobId: string) => Promise<void>): void {
    const f = this.followed.get(jobId);
    if (!f || f.done || this.paused) return;
    const chain = f.chain
      .then(() => (f.done || this.paused ? undefined : handle(f, jobId)))
      .catch((err: unknown) => this.opts.log.error(`Job ${jobId}: an event was not handled:`, err));
    f.chain = chain;
    this.handling.add(chain);
    void chain.finally(() => this.handling.delete(chain));
  }

  private async active(jobId: string, f: Followed): Promise<void> {
    this.refresh();
    if (f.worker !== null) return;
    const job = await this.queue.getJob(queueJobId(jobId));
    await this.runsOn(f, job?.processedBy ?? SHARED_QUEUE);
  }

  /** The job runs on `worker` (again, on another worker, when the first one died). */
  private async runsOn(f: Followed, worker: string): Promise<void> {
    if (f.worker === worker) return;
    f.worker = worker;
    await f.listener.starting(worker);
  }

  private async progress(jobId: string, f: Followed, event: WireProgress): Promise<void> {
    if (f.worker === null) await this.active(jobId, f);
    if (event.type === 'phase') {
      await this.runsOn(f, event.worker);
      return f.listener.sink.phase(event.name);
    }
    if (event.type === 'progress') {
      const preview = event.preview ? await this.redis.getBuffer(keys.image(jobId, 'preview')) : null;
      f.listener.sink.progress(event.name, {
        step: event.step,
        total: event.total,
        elapsedMs: event.elapsedMs,
        losses: event.losses,
        ...(preview ? { preview } : {}),
      });
      return;
    }
    if (event.name === 'palette') {
      const png = await this.redis.getBuffer(keys.image(jobId, 'palette'));
      if (png) await f.listener.sink.palette(png);
    }
  }

  private async completed(jobId: string, f: Followed, result: WireResult | undefined): Promise<void> {
    this.refresh();
    if (f.worker === null) await this.active(jobId, f);
    const kind = (await this.queue.getJob(queueJobId(jobId)))?.data.kind;
    const [palette, image] = await Promise.all([this.redis.getBuffer(keys.image(jobId, 'palette')), this.redis.getBuffer(keys.image(jobId, 'result'))]);
    this.forget(jobId);
    // An upscale makes no palette (its job's palette was shown before); the others make one first.
    if ((kind !== 'upscale' && !palette) || (kind !== 'palette' && !image)) {
      await f.listener.finished({ ok: false, error: new Error(`the images of job ${jobId} expired in Redis before they were collected`) });
      return;
    }
    if (palette) await f.listener.sink.palette(palette);
    if (kind !== 'palette') await f.listener.sink.result(image!);
    await f.listener.finished({ ok: true, device: result?.worker ?? SHARED_QUEUE });
  }

  private async failed(jobId: string, f: Followed, reason: string | undefined): Promise<void> {
    const failure = parseFailure(reason);
    const error =
      failure?.kind === 'cancelled'
        ? new JobCancelledError()
        : failure?.kind === 'input'
          ? new UserFacingError(failure.message)
          : new Error(reason ?? 'failed on a worker');
    this.forget(jobId);
    this.refresh();
    await f.listener.finished({ ok: false, error });
  }

  private forget(jobId: string): void {
    const f = this.followed.get(jobId);
    if (f) f.done = true;
    this.followed.delete(jobId);
    if (this.followed.size === 0) {
      for (const wake of [...this.idleWaiters]) {
        this.idleWaiters.delete(wake);
        wake();
      }
    }
  }

  /** The waiting jobs in the order workers take them: the plain waiting list (jobs of older versions) first. */
  private async waitingIds(): Promise<string[]> {
    const waiting = await this.queue.getJobs(['waiting', 'prioritized'], 0, -1, true);
    return waiting.map((j) => jobIdOf(j.id!));
  }

  /** Counts for admission, and the places of this front end's waiting jobs (coalesced). */
  private refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        const [counts, workers, ids] = await Promise.all([
          this.queue.getJobCounts('waiting', 'prioritized', 'active'),
          this.queue.getWorkersCount(),
          this.waitingIds(),
        ]);
        this.counts = { waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0), active: counts.active ?? 0, workers };
        ids.forEach((id, index) => {
          const f = this.followed.get(id);
          if (f && f.worker === null) f.listener.moved({ device: SHARED_QUEUE, position: index + 1 });
        });
      } catch (err) {
        this.opts.log.warn(`Redis: the queue could not be read (${(err as Error).message}).`);
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }
}
