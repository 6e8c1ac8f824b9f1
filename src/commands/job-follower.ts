/**
 * The front end's side of every job it queued: the status message, what the user is told as the
 * job waits, runs and ends, and the job's state in the store. Where the job runs is the transport's
 * business; this class hears about it through a JobListener.
 */
import { ImageInputError, JobCancelledError, OptionError, type Progress } from '../engine/types.js';
import { cancelButtons } from './buttons.js';
import { followedJob, type FollowedJob } from './followed-job.js';
import { CANCEL_HINT, queuedText, seconds, shortNumber } from './messages.js';
import { HELD_TEXT, QUEUE_PAUSED_NOTE } from './admin-messages.js';
import { QueueGate } from './queue-gate.js';
import type { JobReplies } from './job-replies.js';
import type { Phase, RunSink } from '../jobs/run-job.js';
import { StatusLine } from './status-line.js';
import type { FinalPlan, JobStore } from '../jobs/job-store.js';
import type { JobRecord, JobState } from '../jobs/job-record.js';
import type { ReplyPort } from './port.js';
import { jobLog } from '../ops/job-log.js';
import type { JobObserver } from '../ops/metrics.js';
import { UserFacingError, type JobListener, type Placement, type RunOutcome, type Transport } from '../jobs/transport/transport.js';

function lossLine(progress: Progress): string {
  const l = progress.losses;
  const layout = l.layout === undefined ? '' : `, layout ${shortNumber(l.layout)}`;
  return `loss ${shortNumber(l.total)} (style ${shortNumber(l.style)}, content ${shortNumber(l.content)}${layout})`;
}

export class JobFollower {
  private readonly active = new Map<string, FollowedJob>();
  private readonly started = new Map<string, number>();
  private pausing = false;

  constructor(
    private readonly store: JobStore,
    private readonly transport: Transport,
    private readonly replies: JobReplies,
    private readonly progressIntervalMs: number,
    private readonly log: Pick<Console, 'error'>,
    /** The operators' pause: a job at the front of its queue waits here while it is closed. */
    private readonly gate: QueueGate = new QueueGate(),
    /** Metrics and job log lines (src/ops): told when a job is queued, starts and ends. */
    private readonly observer?: JobObserver,
  ) {}

  get(id: string): FollowedJob | undefined {
    return this.active.get(id);
  }

  has(id: string): boolean {
    return this.active.has(id);
  }

  /** Jobs of this front end that are queued and not yet running. */
  waiting(): FollowedJob[] {
    return [...this.active.values()].filter((job) => job.device === null);
  }

  all(): FollowedJob[] {
    return [...this.active.values()];
  }

  /** Puts a job (new or resumed) in line and posts its status message. */
  async queue(record: JobRecord, port: ReplyPort, intro: string): Promise<void> {
    const job = followedJob(record, port, intro);
    this.active.set(job.id, job);
    let posted!: () => void;
    job.ready = new Promise<void>((resolve) => (posted = resolve));
    try {
      this.observer?.queued(record);
      const placement = await this.transport.enqueue(record, this.listenerFor(job));
      job.lastPosition = placement.position;
      const paused = this.gate.paused ? ` ${QUEUE_PAUSED_NOTE}` : '';
      const text = `${job.intro}${queuedText(placement.position, placement.device)}${paused} ${CANCEL_HINT}`;
      const ref = await this.replies.post(job, text, 'status', undefined, cancelButtons(job.id));
      if (ref) {
        job.status = new StatusLine(job.port, ref, this.progressIntervalMs, jobLog(this.log, job.record));
        await this.replies.safely(() => job.port.react(ref, 'cancel'));
      }
    } finally {
      posted();
    }
  }

  /** Cancels a job of this front end: out of line if waiting, else stopped within a step. */
  async cancel(job: FollowedJob): Promise<'removed' | 'stopping'> {
    job.cancelRequested = true;
    // A job held by the pause is out of the transport's line already: it wakes and ends itself.
    this.gate.nudge();
    if (await this.transport.remove(job.id)) {
      this.active.delete(job.id);
      await this.conclude(job, 'cancelled', { posts: [], status: `${job.intro}Cancelled before it started.` });
      return 'removed';
    }
    await this.transport.abort(job.id);
    return 'stopping';
  }

  /** Stops handing out jobs: waiting ones stay queued in the store, running ones are paused for resume. */
  async pause(): Promise<void> {
    this.pausing = true;
    this.gate.nudge();
    for (const job of this.active.values()) if (job.device !== null) job.pausedForShutdown = true;
    const taken = await this.transport.pause();
    for (const id of taken) {
      const job = this.active.get(id);
      if (!job) continue;
      await job.status?.set(`${job.intro}Paused: I'm restarting. This job will start when I'm back.`, []);
      this.active.delete(id);
    }
  }

  /** Palette answered from the cache: no queue, no engine. */
  async answerFromCache(record: JobRecord, png: Buffer, port: ReplyPort, intro: string): Promise<void> {
    const job = followedJob(record, port, intro);
    job.lastPosition = 0;
    const started = Date.now();
    this.store.setState(record.id, 'running', { device: 'cache', startedAt: started });
    await this.replies.files.saveResult(record.id, 'palette', png);
    const settings = this.replies.settingsLine(job, Date.now() - started, 'the cache (computed earlier)');
    await this.conclude(job, 'done', {
      posts: [
        { role: 'palette', text: '', image: 'palette' },
        { role: 'settings', text: settings },
      ],
      status: '',
    });
  }

  private listenerFor(job: FollowedJob): JobListener {
    return {
      starting: (device) => this.starting(job, device),
      moved: (placement) => this.moved(job, placement),
      sink: this.sinkFor(job),
      finished: (outcome) => this.finished(job, outcome),
    };
  }

  private async starting(job: FollowedJob, device: string): Promise<boolean> {
    await job.ready;
    await this.held(job);
    this.started.set(job.id, Date.now());
    // Left 'queued' in the store: the next start() resumes it.
    if (this.pausing) return this.drop(job);
    if (job.cancelRequested) {
      await this.conclude(job, 'cancelled', { posts: [], status: `${job.intro}Cancelled before it started.` });
      return this.drop(job);
    }
    job.device = device;
    job.record.state = 'running';
    job.record.device = device;
    this.store.setState(job.id, 'running', { device, startedAt: this.started.get(job.id)! });
    this.observer?.started(job.record, device);
    return true;
  }

  /** While the operators hold the queue: the job keeps the front of its line and says why it waits. */
  private async held(job: FollowedJob): Promise<void> {
    const waits = () => this.gate.holds && this.gate.paused && !this.pausing && !job.cancelRequested;
    if (!waits()) return;
    await job.status?.set(`${job.intro}${HELD_TEXT} ${CANCEL_HINT}`);
    while (waits()) await this.gate.changed();
  }

  private drop(job: FollowedJob): false {
    this.active.delete(job.id);
    this.started.delete(job.id);
    return false;
  }

  private moved(job: FollowedJob, placement: Placement): void {
    if (placement.position === job.lastPosition) return;
    job.lastPosition = placement.position;
    void job.status?.set(`${job.intro}${queuedText(placement.position, placement.device)} ${CANCEL_HINT}`);
  }

  private sinkFor(job: FollowedJob): RunSink {
    const line = (name: Phase, detail: string) => `${job.intro}Running on ${job.device} — ${name}: ${detail} ${CANCEL_HINT}`;
    // A stylize job shows its palette at once; the last image goes out with the job's final replies.
    const image = async (name: 'palette' | 'result', png: Buffer) => {
      await this.replies.files.saveResult(job.id, name, png);
      if (name === 'result' || job.record.kind === 'palette') return;
      await job.status?.settled();
      await this.replies.postResultOnce(job, name, png);
    };
    return {
      phase: async (name) => void (await job.status?.set(line(name, 'starting…'))),
      progress: (name, p) => {
        const perStep = p.step > 0 ? p.elapsedMs / p.step : 0;
        const eta = perStep * (p.total - p.step);
        job.status?.progress(line(name, `step ${p.step}/${p.total}, about ${seconds(eta)} left · ${lossLine(p)}.`), p.preview);
      },
      palette: (png) => image('palette', png),
      result: (png) => image('result', png),
    };
  }

  private async finished(job: FollowedJob, outcome: RunOutcome): Promise<void> {
    try {
      await job.ready;
      if (!outcome.ok) return await this.failed(job, outcome.error);
      const elapsed = Date.now() - (this.started.get(job.id) ?? Date.now());
      const last = job.record.kind === 'palette' ? 'palette' : 'result';
      // Done before the last posts, so whoever sees the settings line finds the job finished.
      void this.conclude(job, 'done', {
        posts: [
          { role: last, text: '', image: last },
          { role: 'settings', text: this.replies.settingsLine(job, elapsed, outcome.device) },
        ],
        status: `${job.intro}Done in ${seconds(elapsed)} on ${outcome.device}.`,
      });
    } catch (err) {
      jobLog(this.log, job.record).error(`Job ${job.id} could not be finished:`, err);
    } finally {
      this.drop(job);
    }
  }

  /**
   * The job's final state and its last replies, committed together; the replies then go out in the
   * background (their retries must not hold the device). The promise is the delivery, for callers
   * that answer after it.
   */
  private conclude(job: FollowedJob, state: JobState, plan: FinalPlan, error?: string): Promise<void> {
    job.record.state = state;
    const extra: { finishedAt?: number; error?: string } = { finishedAt: Date.now() };
    if (error !== undefined) extra.error = error;
    this.store.conclude(job.id, state, extra, plan);
    this.observer?.ended(job.record, state);
    return this.replies.deliverLater(job, plan);
  }

  private async failed(job: FollowedJob, err: unknown): Promise<void> {
    if (job.pausedForShutdown) {
      // Stopped for a restart: stays 'queued' in the store, so the next start() resumes it.
      job.record.state = 'queued';
      this.store.setState(job.id, 'queued');
      await job.status?.set(`${job.intro}Paused: I'm restarting. This job will start again when I'm back.`, []);
      return;
    }
    if (err instanceof JobCancelledError || job.cancelRequested) {
      void this.conclude(job, 'cancelled', {
        posts: [{ role: 'note', text: `Job ${job.id} was cancelled.` }],
        status: `${job.intro}Cancelled.`,
        statusFirst: true,
      });
      return;
    }
    let message: string;
    if (err instanceof ImageInputError || err instanceof OptionError || err instanceof UserFacingError) {
      message = err.message;
    } else {
      jobLog(this.log, job.record).error(`Job ${job.id} failed:`, err);
      message = 'Something went wrong on my side while running this job; the operator can see the details in the log. Please try again.';
    }
    const note = `Sorry, job ${job.id} failed: ${message}`;
    void this.conclude(job, 'failed', { posts: [{ role: 'note', text: note }], status: `${job.intro}Failed.`, statusFirst: true }, message);
  }
}
