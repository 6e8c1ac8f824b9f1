/**
 * One queue per compute device, each running one job at a time. A new job goes to the device that
 * will start it soonest: the fewest jobs waiting plus running, ties to the device listed first. Each
 * device's waiting line is kept in fair order (fair-turns.ts: round-robin between users), re-sorted
 * whenever a job arrives, starts, ends or leaves, so positions can be told and updated.
 */
import type { DeviceLoad } from './transport/transport.js';
import { fairOrder, type InLine } from './fair-turns.js';

export interface Queueable {
  id: string;
  /** Whose turn it takes (fair-turns.ts ownerOf). */
  owner: string;
}

type Run<J extends Queueable, E> = (job: J, device: DeviceQueue<J, E>) => Promise<void>;

interface Entry<J> extends InLine {
  job: J;
}

export class DeviceQueue<J extends Queueable, E> {
  /** Waiting jobs in the order they will start (1 = next). */
  waiting: J[] = [];
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
  /** Waiting jobs: their arrival and what runs them when their turn comes. */
  private readonly entries = new Map<string, Entry<J> & { run: Run<J, E> }>();
  private arrivals = 0;
  /**
   * When each owner last had a turn (the count of starts so far), kept while they have a job waiting or
   * running: someone who comes back later, with nothing in line, is as new as anyone.
   */
  private readonly lastTurn = new Map<string, number>();
  private starts = 0;
  private readonly idleWaiters = new Set<() => void>();

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
   * device idle starts at once, so the next caller sees the device busy.
   */
  enqueue(job: J, run: Run<J, E>): QueuePlace<J, E> {
    const device = this.soonest();
    if (device.load === 0) {
      this.start(device, job, run);
      this.reorder();
      return { device, position: 0 };
    }
    this.entries.set(job.id, { job, owner: job.owner, seq: this.arrivals++, run });
    device.waiting.push(job);
    this.reorder();
    return { device, position: device.waiting.indexOf(job) + 1 };
  }

  /** Takes a waiting job out of its line; false when it is not waiting (running, finished, unknown). */
  remove(jobId: string): boolean {
    for (const device of this.devices) {
      const index = device.waiting.findIndex((job) => job.id === jobId);
      if (index < 0) continue;
      device.waiting.splice(index, 1);
      this.entries.delete(jobId);
      this.onMoved(device); // the ones behind it moved up
      this.reorder();
      this.settleIdle();
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
    for (const device of this.devices) taken.push(...device.waiting.splice(0));
    this.entries.clear();
    this.settleIdle();
    return taken;
  }

  /** Resolves once no job is waiting or running. */
  onIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.add(resolve));
  }

  private isIdle(): boolean {
    return this.devices.every((d) => d.load === 0);
  }

  private settleIdle(): void {
    if (!this.isIdle()) return;
    for (const wake of [...this.idleWaiters]) {
      this.idleWaiters.delete(wake);
      wake();
    }
  }

  private start(device: DeviceQueue<J, E>, job: J, run: Run<J, E>): void {
    device.running = job;
    this.lastTurn.set(job.owner, ++this.starts);
    const running = (async () => {
      try {
        await run(job, device);
      } finally {
        device.running = null;
      }
    })();
    // run() reports its own failures to the job's listener; nothing here may stop the next job.
    void running.catch(() => undefined).then(() => this.next(device));
  }

  /** The device is free: its next job in fair order starts (the lines are kept sorted). */
  private next(device: DeviceQueue<J, E>): void {
    const job = device.waiting.shift();
    if (job) {
      const entry = this.entries.get(job.id)!;
      this.entries.delete(job.id);
      this.start(device, job, entry.run);
      this.onMoved(device); // the others moved up
      this.reorder(); // its owner's turn was taken: other devices' lines may change
    }
    this.settleIdle();
  }

  private forgetIdleOwners(): void {
    const present = new Set([...this.entries.values()].map((e) => e.owner).concat(this.runningJobs().map((j) => j.owner)));
    for (const owner of [...this.lastTurn.keys()]) if (!present.has(owner)) this.lastTurn.delete(owner);
  }

  /** Sorts every waiting line in fair order; tells each device whose order changed. */
  private reorder(): void {
    this.forgetIdleOwners();
    for (const device of this.devices) {
      const line = device.waiting.map((job) => this.entries.get(job.id)!);
      const sorted = fairOrder(line, this.lastTurn).map((entry) => entry.job);
      const changed = sorted.some((job, index) => job !== device.waiting[index]);
      device.waiting = sorted;
      if (changed) this.onMoved(device);
    }
  }
}
