/**
 * One queue per compute device, each running one job at a time (p-queue, concurrency 1). A new job
 * goes to the device that will start it soonest: the fewest jobs waiting plus running, ties to the
 * device listed first. The waiting order is kept here too, so positions can be told and updated.
 */
import PQueue from 'p-queue';
import type { DeviceLoad } from './transport/transport.js';

export interface Queueable {
  id: string;
}

export class DeviceQueue<J extends Queueable, E> {
  readonly queue = new PQueue({ concurrency: 1 });
  readonly waiting: J[] = [];
  running: J | null = null;

  constructor(
    readonly label: string,
    readonly engine: E,
  ) {}

  get load(): number {
    return this.waiting.length + (this.running ? 1 : 0);
  }
}

/** Where a job went: the device queue itself (the transport's Placement names it by its label). */
export interface QueuePlace<J extends Queueable, E> {
  device: DeviceQueue<J, E>;
  /** 0 = starts now; otherwise the place in that device's waiting line (1 = next). */
  position: number;
}

export class DeviceQueues<J extends Queueable, E> {
  readonly devices: DeviceQueue<J, E>[];
  private readonly removers = new Map<string, AbortController>();

  /** `onMoved` is told whenever a device's waiting line changes, so positions can be re-announced. */
  constructor(
    devices: { label: string; engine: E }[],
    private readonly onMoved: (device: DeviceQueue<J, E>) => void,
  ) {
    if (devices.length === 0) throw new Error('at least one device is needed');
    this.devices = devices.map((d) => new DeviceQueue<J, E>(d.label, d.engine));
  }

  /** The device that would start a new job soonest. */
  soonest(): DeviceQueue<J, E> {
    let best = this.devices[0]!;
    for (const device of this.devices) if (device.load < best.load) best = device;
    return best;
  }

  /**
   * Queues a job on the soonest device; `run` is called when its turn comes. A job that finds its
   * device idle is marked running at once, so the next caller sees the device busy.
   */
  enqueue(job: J, run: (job: J, device: DeviceQueue<J, E>) => Promise<void>): QueuePlace<J, E> {
    const device = this.soonest();
    const startsNow = device.load === 0;
    if (startsNow) device.running = job;
    else device.waiting.push(job);
    const remover = new AbortController();
    this.removers.set(job.id, remover);
    device.queue
      .add(
        async () => {
          this.removers.delete(job.id);
          if (device.running !== job) {
            const index = device.waiting.indexOf(job);
            if (index >= 0) device.waiting.splice(index, 1);
            device.running = job;
            this.onMoved(device);
          }
          try {
            await run(job, device);
          } finally {
            if (device.running === job) device.running = null;
          }
        },
        { signal: remover.signal },
      )
      // A job removed while waiting rejects with an AbortError; its removal is handled by remove().
      .catch(() => undefined);
    return { device, position: startsNow ? 0 : device.waiting.length };
  }

  /** Takes a waiting job out of its line; false when it is not waiting (running, finished, unknown). */
  remove(jobId: string): boolean {
    for (const device of this.devices) {
      const index = device.waiting.findIndex((job) => job.id === jobId);
      if (index < 0) continue;
      device.waiting.splice(index, 1);
      this.removers.get(jobId)?.abort();
      this.removers.delete(jobId);
      this.onMoved(device);
      return true;
    }
    return false;
  }

  /** Where a job is: position 0 = running. */
  find(jobId: string): QueuePlace<J, E> | undefined {
    for (const device of this.devices) {
      if (device.running?.id === jobId) return { device, position: 0 };
      const index = device.waiting.findIndex((job) => job.id === jobId);
      if (index >= 0) return { device, position: index + 1 };
    }
    return undefined;
  }

  waitingJobs(): J[] {
    return this.devices.flatMap((device) => device.waiting);
  }

  runningJobs(): J[] {
    return this.devices.flatMap((device) => (device.running ? [device.running] : []));
  }

  loads(): DeviceLoad[] {
    return this.devices.map((d) => ({ device: d.label, running: d.running ? 1 : 0, waiting: d.waiting.length }));
  }

  /** Empties every waiting line without running the jobs (shutdown); returns the jobs taken out. */
  drain(): J[] {
    const taken: J[] = [];
    for (const device of this.devices) {
      for (const job of device.waiting.splice(0)) {
        this.removers.get(job.id)?.abort();
        this.removers.delete(job.id);
        taken.push(job);
      }
    }
    return taken;
  }

  async onIdle(): Promise<void> {
    await Promise.all(this.devices.map((d) => d.queue.onIdle()));
  }
}
