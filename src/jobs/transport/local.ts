/** Jobs run in this process: one queue per device (in fair order), each with its own engine (the embedded default). */
import type { DataFiles } from '../data-files.js';
import type { JobRecord, OptionDefaults } from '../job-record.js';
import { DeviceQueues, type DeviceQueue } from '../device-queues.js';
import { ownerOf } from '../fair-turns.js';
import { runJob, type PaletteStore, type StyleEngine } from '../run-job.js';
import { loadEngineJob } from '../engine-job.js';
import type { PartHealth } from '../../ops/health.js';
import type { DeviceLoad, JobListener, Placement, Transport } from './transport.js';

interface LocalJob {
  id: string;
  owner: string;
  record: JobRecord;
  listener: JobListener;
  abort: AbortController | null;
}

export interface LocalTransportOptions {
  engines: { label: string; engine: StyleEngine }[];
  files: DataFiles;
  cache: PaletteStore;
  defaults: OptionDefaults;
  log: Pick<Console, 'warn'>;
}

export class LocalTransport implements Transport {
  readonly devices: string[];
  private readonly queues: DeviceQueues<LocalJob, StyleEngine>;
  private readonly jobs = new Map<string, LocalJob>();
  private readonly runs = new Set<Promise<void>>();

  constructor(private readonly opts: LocalTransportOptions) {
    this.devices = opts.engines.map((e) => e.label);
    this.queues = new DeviceQueues<LocalJob, StyleEngine>(opts.engines, (device) => this.announce(device));
  }

  async enqueue(record: JobRecord, listener: JobListener): Promise<Placement> {
    const job: LocalJob = { id: record.id, owner: ownerOf(record), record, listener, abort: null };
    this.jobs.set(job.id, job);
    const placement = this.queues.enqueue(job, (j, device) => this.track(this.run(j, device)));
    return { device: placement.device.label, position: placement.position };
  }

  async remove(jobId: string): Promise<boolean> {
    const removed = this.queues.remove(jobId);
    if (removed) this.jobs.delete(jobId);
    return removed;
  }

  async abort(jobId: string): Promise<void> {
    this.jobs.get(jobId)?.abort?.abort();
  }

  wouldWait(): boolean {
    return this.queues.soonest().load > 0;
  }

  async find(jobId: string): Promise<Placement | undefined> {
    const place = this.queues.find(jobId);
    return place ? { device: place.device.label, position: place.position } : undefined;
  }

  async loads(): Promise<DeviceLoad[]> {
    return this.queues.loads();
  }

  /** Takes the waiting jobs out of line and stops the running ones; resolves once they have stopped. */
  async pause(): Promise<string[]> {
    const taken = this.queues.drain().map((job) => job.id);
    for (const id of taken) this.jobs.delete(id);
    for (const job of this.queues.runningJobs()) job.abort?.abort();
    await this.idle();
    return taken;
  }

  async idle(): Promise<void> {
    await this.queues.onIdle();
    await Promise.allSettled([...this.runs]);
  }

  async close(): Promise<void> {
    await this.idle();
  }

  async health(): Promise<PartHealth[]> {
    return this.opts.engines.map(({ label, engine }) => ({ part: `engine ${label}`, ...(engine.health?.() ?? { up: true }) }));
  }

  private async run(job: LocalJob, device: DeviceQueue<LocalJob, StyleEngine>): Promise<void> {
    try {
      if (!(await job.listener.starting(device.label))) return;
      job.abort = new AbortController();
      try {
        const work = await loadEngineJob(job.record, this.opts.files, this.opts.defaults);
        await runJob(work, device.engine, this.opts.cache, job.listener.sink, job.abort.signal, this.opts.log);
      } catch (error) {
        await job.listener.finished({ ok: false, error });
        return;
      }
      await job.listener.finished({ ok: true, device: device.label });
    } finally {
      job.abort = null;
      this.jobs.delete(job.id);
    }
  }

  private track(run: Promise<void>): Promise<void> {
    this.runs.add(run);
    return run.finally(() => this.runs.delete(run));
  }

  private announce(device: DeviceQueue<LocalJob, StyleEngine>): void {
    for (const [index, job] of device.waiting.entries()) job.listener.moved({ device: device.label, position: index + 1 });
  }
}
