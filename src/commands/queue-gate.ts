/**
 * The operators' pause: while closed, a job that reaches the front of its queue waits before it
 * starts (JobFollower.starting), so waiting jobs keep their places and new ones still queue behind
 * them. Anyone waiting on changed() wakes at every change, and checks what it waits for again.
 */
export class QueueGate {
  private waiters: (() => void)[] = [];

  /**
   * `holds` false where jobs are started elsewhere (Redis workers, paused in Redis itself): the gate
   * then only tells whether the queue is paused, and holds no job.
   */
  constructor(
    private closed = false,
    readonly holds = true,
  ) {}

  get paused(): boolean {
    return this.closed;
  }

  close(): void {
    this.closed = true;
    this.nudge();
  }

  open(): void {
    this.closed = false;
    this.nudge();
  }

  /** Wakes every waiter (the gate, a cancel or a shutdown changed). */
  nudge(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves at the next change. */
  changed(): Promise<void> {
    return new Promise<void>((resolve) => this.waiters.push(resolve));
  }
}
