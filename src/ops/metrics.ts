/**
 * Prometheus metrics of one process (prom-client, on a registry of its own so two services in one
 * process never share counters): jobs by outcome, how long they waited and ran, the queues' depth,
 * results not delivered, and memory (the engines run in this process's threads, so its RSS is
 * theirs). The command service and the workers report jobs through the JobObserver hooks; the gauges
 * are read from their sources at each scrape.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DeviceLoad } from '../jobs/transport/transport.js';

/** What a job did, as its tracker sees it: enough to count and time it. */
export interface ObservedJob {
  id: string;
  kind: string;
  user?: { id: string };
  /** When it was queued, where the tracker knows it better than the queued() hook (a worker: BullMQ's timestamp). */
  queuedAt?: number;
}

/** Hooks where jobs are tracked (JobFollower; RedisWorkers). Each must be cheap and never throw. */
export interface JobObserver {
  queued(job: ObservedJob): void;
  started(job: ObservedJob, device: string): void;
  /** done, failed or cancelled. */
  ended(job: ObservedJob, outcome: string): void;
}

/** Several observers as one. */
export function observers(...list: (JobObserver | undefined)[]): JobObserver {
  const all = list.filter((o): o is JobObserver => o !== undefined);
  return {
    queued: (job) => {
      for (const o of all) o.queued(job);
    },
    started: (job, device) => {
      for (const o of all) o.started(job, device);
    },
    ended: (job, outcome) => {
      for (const o of all) o.ended(job, outcome);
    },
  };
}

/** Where the gauges are read from at each scrape; a source that throws leaves its gauge unset. */
export interface MetricSources {
  /** Jobs waiting and running per queue (device, or the workers' shared queue). */
  loads?: () => Promise<DeviceLoad[]>;
  /** Jobs whose final replies reached no one yet. */
  undelivered?: () => number;
}

/** Seconds: a palette from the cache takes a moment, a large CPU upscale many minutes. */
const WAIT_BUCKETS = [0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600];
const RUN_BUCKETS = [1, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200];

export class OpsMetrics implements JobObserver {
  readonly registry = new Registry();
  private readonly jobs: Counter<'kind' | 'outcome'>;
  private readonly waits: Histogram<'kind'>;
  private readonly runs: Histogram<'kind' | 'outcome'>;
  private readonly times = new Map<string, { queuedAt: number; startedAt?: number }>();
  private sources: MetricSources = {};

  constructor(opts: { defaults?: boolean } = {}) {
    const registers = [this.registry];
    this.jobs = new Counter({
      name: 'tilestyle_jobs_total',
      help: 'Jobs that ended, by kind and outcome (done, failed, cancelled).',
      labelNames: ['kind', 'outcome'],
      registers,
    });
    this.waits = new Histogram({
      name: 'tilestyle_job_wait_seconds',
      help: 'Time from queued to started.',
      labelNames: ['kind'],
      buckets: WAIT_BUCKETS,
      registers,
    });
    this.runs = new Histogram({
      name: 'tilestyle_job_run_seconds',
      help: 'Time from started to ended.',
      labelNames: ['kind', 'outcome'],
      buckets: RUN_BUCKETS,
      registers,
    });
    const sources = () => this.sources;
    // Read from the queues' loads at each scrape: how many wait, and how many run, per queue.
    const loadGauge = (name: string, help: string, count: (load: DeviceLoad) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['queue'],
        registers,
        async collect() {
          const loads = await sources()
            .loads?.()
            .catch(() => undefined);
          this.reset();
          for (const load of loads ?? []) this.set({ queue: load.device }, count(load));
        },
      });
    loadGauge('tilestyle_queue_depth', 'Jobs waiting, per queue.', (load) => load.waiting);
    loadGauge('tilestyle_jobs_running', 'Jobs running, per device or worker.', (load) => load.running);
    new Gauge({
      name: 'tilestyle_undelivered_results',
      help: 'Jobs whose final replies reached no one yet (kept, tried again at the next start).',
      registers,
      collect() {
        try {
          const count = sources().undelivered?.();
          if (count !== undefined) this.set(count);
        } catch {
          // The store is closed: no value rather than a wrong one.
        }
      },
    });
    new Gauge({
      name: 'tilestyle_memory_bytes',
      help: 'Memory of this process and its engine threads (rss), and of its JavaScript heap.',
      labelNames: ['kind'],
      registers,
      collect() {
        const m = process.memoryUsage();
        this.set({ kind: 'rss' }, m.rss);
        this.set({ kind: 'heap_used' }, m.heapUsed);
        this.set({ kind: 'heap_total' }, m.heapTotal);
        this.set({ kind: 'external' }, m.external);
        this.set({ kind: 'array_buffers' }, m.arrayBuffers);
      },
    });
    if (opts.defaults !== false) collectDefaultMetrics({ register: this.registry });
  }

  watch(sources: MetricSources): void {
    this.sources = { ...this.sources, ...sources };
  }

  queued(job: ObservedJob): void {
    this.times.set(job.id, { queuedAt: Date.now() });
  }

  started(job: ObservedJob, _device: string): void {
    const now = Date.now();
    const queuedAt = this.times.get(job.id)?.queuedAt ?? job.queuedAt;
    if (queuedAt !== undefined) this.waits.observe({ kind: job.kind }, Math.max(0, now - queuedAt) / 1000);
    this.times.set(job.id, { queuedAt: queuedAt ?? now, startedAt: now });
  }

  ended(job: ObservedJob, outcome: string): void {
    const times = this.times.get(job.id);
    this.times.delete(job.id);
    this.jobs.inc({ kind: job.kind, outcome });
    if (times?.startedAt !== undefined) this.runs.observe({ kind: job.kind, outcome }, (Date.now() - times.startedAt) / 1000);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
