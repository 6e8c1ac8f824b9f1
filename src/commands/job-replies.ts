/**
 * Posting for a job: every message is remembered in the store (so a reaction on it finds the job,
 * also after a restart) and a thread created by the first post becomes the job's place. A message is
 * recorded only once the front end holds it durably, so "recorded" means "the user can see it", and a
 * job run again (resumed, or redelivered by a queue) does not post an image twice.
 *
 * A job's final replies are delivered or known not to be: a transient failure is tried again after a
 * wait, a refusal (or transient failures past the last wait) sends the reply to the port's fallbacks
 * (the channel, then a DM), and the job records where its replies went. A job whose replies reached
 * no one stays in the outbox (retried at the next start), is named by `status` and in the log.
 *
 * Final replies go out in the background (deliverLater), so their retry waits never hold a device:
 * the next job starts at once. idle() waits for them; stop() cuts their waits short, and what was not
 * delivered by then stays in the outbox for the next start.
 */
import { resultButtons, takeBackButtons } from './buttons.js';
import type { DataFiles, ResultName } from '../jobs/data-files.js';
import type { FollowedJob } from './followed-job.js';
import { captionFor, imageDescription, settingsLineText } from './messages.js';
import { formatOptions, type OptionLimits } from './user-options.js';
import type { Attachment, Fallback, JobButton, MessageRef, ReplyPort } from './port.js';
import type { FinalPlan, JobStore, MessageRole } from '../jobs/job-store.js';
import type { Delivery } from '../jobs/job-record.js';
import { jobLog } from '../ops/job-log.js';

/** Resolves after `ms`, or at once when `signal` aborts (a shutdown cuts a retry's wait short). */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Worst first: a job's delivery is the worst place any of its final replies went. */
const DELIVERY_ORDER: Delivery[] = ['undelivered', 'web', 'dm', 'channel', 'thread'];

/** The words above a final reply that could not go to the job's thread. */
function movedNote(job: FollowedJob, place: Fallback['place']): string {
  if (place === 'web') {
    const user = job.record.user.name ? `${job.record.user.name} (${job.record.user.id})` : job.record.user.id;
    return `(Job ${job.id} of ${user} on ${job.record.platform}: its thread, channel and DM all refused it, so it is kept here.)`;
  }
  return place === 'dm'
    ? `(Job ${job.id}: I couldn't post in its thread or channel, so here it is.)`
    : `(Job ${job.id}: I couldn't post in its thread, so here it is.)`;
}

const PLACE_WORDS: Record<Fallback['place'], string> = {
  channel: 'channel',
  dm: 'user in a DM',
  web: "web page's conversation for results that reached no one",
};

/** A delivery cut short by a shutdown: neither delivered nor given up on. */
type Went = Delivery | 'interrupted';

export class JobReplies {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly stopping = new AbortController();

  constructor(
    private readonly store: JobStore,
    readonly files: DataFiles,
    private readonly log: Pick<Console, 'error' | 'warn'>,
    /** What the buttons under a result may offer (no Upscale at the size limit). */
    private readonly limits: Pick<OptionLimits, 'maxSize' | 'maxTiles'>,
    /** Waits between tries of a final reply that failed transiently (ServiceLimits.deliveryRetryMs). */
    private readonly retryMs: number[] = [5_000, 20_000, 60_000],
    /** The place after all of a port's own (Frontend.lastResort of another front end), if any. */
    private readonly lastResort: (job: FollowedJob['record']) => Fallback | undefined = () => undefined,
  ) {}

  /** Posts in the job's thread and remembers the message; null when the platform refused it (logged). */
  async post(job: FollowedJob, text: string, role: MessageRole, files?: Attachment[], buttons?: JobButton[]): Promise<MessageRef | null> {
    try {
      return await this.postVia(job, job.port, text, role, files, buttons);
    } catch (err) {
      jobLog(this.log, job.record).error(`Could not post for job ${job.id}:`, err);
      return null;
    }
  }

  /** Posts through `port` and remembers the message; the job's place moves only with its own port. */
  private async postVia(job: FollowedJob, port: ReplyPort, text: string, role: MessageRole, files?: Attachment[], buttons?: JobButton[]): Promise<MessageRef> {
    const ref = await port.post(text, files, buttons);
    await port.flush?.();
    this.store.addMessage(job.record.platform, ref.id, job.id, role, port.where());
    if (port !== job.port) return ref;
    const where = port.where();
    if (where.thread !== job.record.where.thread || where.channel !== job.record.where.channel) {
      job.record.where = where;
      this.store.setWhere(job.id, where);
    }
    return ref;
  }

  /**
   * A final reply: its thread, tried again after each wait while the failure is transient; then each
   * fallback the same way. Where it went, or 'undelivered' (logged) when no place took it.
   */
  private async postFinal(
    job: FollowedJob,
    text: string,
    role: MessageRole,
    files?: Attachment[],
    buttons?: JobButton[],
  ): Promise<{ delivery: Went; ref?: MessageRef; port?: ReplyPort }> {
    const places: { delivery: Delivery; port: ReplyPort; text: string }[] = [{ delivery: 'thread', port: job.port, text }];
    let fallbacks: Fallback[] = [];
    try {
      fallbacks = job.port.fallbacks?.() ?? [];
    } catch (err) {
      jobLog(this.log, job.record).error(`Job ${job.id}: no fallback places for its replies:`, err);
    }
    try {
      const web = this.lastResort(job.record);
      if (web) fallbacks = [...fallbacks, web];
    } catch (err) {
      jobLog(this.log, job.record).error(`Job ${job.id}: the web page cannot keep its replies:`, err);
    }
    for (const f of fallbacks) places.push({ delivery: f.place, port: f.port, text: `${movedNote(job, f.place)}\n${text}` });
    let last: unknown;
    for (const place of places) {
      for (let attempt = 0; ; attempt += 1) {
        try {
          // On the web page, another platform's job offers no buttons: they would start web jobs.
          const ref = await this.postVia(job, place.port, place.text, role, files, place.delivery === 'web' ? undefined : buttons);
          if (place.delivery !== 'thread')
            jobLog(this.log, job.record).warn(
              `Job ${job.id}: its ${role} went to the ${PLACE_WORDS[place.delivery as Fallback['place']]} (the thread refused it).`,
            );
          return { delivery: place.delivery, ref, port: place.port };
        } catch (err) {
          last = err;
          const wait = this.retryMs[attempt];
          if (wait === undefined || !(place.port.transient?.(err) ?? false)) break;
          // Stopping: no wait; the reply stays owed for the next start rather than go elsewhere.
          if (this.stopping.signal.aborted) return { delivery: 'interrupted' };
          jobLog(this.log, job.record).warn(`Job ${job.id}: posting its ${role} failed for now; trying again in ${wait} ms:`, err);
          await sleep(wait, this.stopping.signal);
          if (this.stopping.signal.aborted) return { delivery: 'interrupted' };
        }
      }
    }
    jobLog(this.log, job.record).error(
      `Job ${job.id}: UNDELIVERED — its ${role} reached no one (${places.map((p) => p.delivery).join(', ')} refused it); the result is kept and will be tried again at the next start:`,
      last,
    );
    return { delivery: 'undelivered' };
  }

  /** Runs a reply that may fail without failing the job. */
  async safely(action: () => Promise<void>): Promise<void> {
    try {
      await action();
    } catch (err) {
      this.log.error('A reply failed:', err);
    }
  }

  /** Posts a palette or result image, unless the job already did (a job run twice shows it once). */
  async postResultOnce(job: FollowedJob, name: ResultName, png: Buffer): Promise<void> {
    if (this.store.hasMessage(job.id, name)) return;
    await this.postResult(job, name, png);
  }

  /**
   * Sends a job's final replies in the background (see deliver); idle() and stop() wait for it. The
   * promise is for callers that want to wait anyway; it never rejects (failures are logged).
   */
  deliverLater(job: FollowedJob, plan: FinalPlan): Promise<void> {
    const sending: Promise<void> = this.deliver(job, plan)
      .catch((err: unknown) => jobLog(this.log, job.record).error(`Job ${job.id}: its final replies failed (they stay in the outbox):`, err))
      .finally(() => this.inFlight.delete(sending));
    this.inFlight.add(sending);
    return sending;
  }

  /** Resolves once no delivery is in flight (those started meanwhile included). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /**
   * Shutdown: waits between tries end now, and a transient failure is not waited out; every other
   * post is still tried once. What did not go out stays in the outbox for the next start.
   */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.idle();
  }

  /**
   * Sends a job's final replies (committed with its final state): posts not yet recorded, then the
   * status line; the outbox entry goes once all of it is durable. Safe to call again after a crash.
   */
  async deliver(job: FollowedJob, plan: FinalPlan): Promise<void> {
    if (plan.statusFirst) await this.setStatus(job, plan.status);
    let delivery: Delivery = 'thread';
    for (const post of plan.posts) {
      if (this.store.hasMessage(job.id, post.role)) continue;
      const went = post.image
        ? await this.postFinalResult(job, post.image, await this.files.loadResult(job.id, post.image))
        : (await this.postFinal(job, post.text, post.role)).delivery;
      if (went === 'interrupted') {
        jobLog(this.log, job.record).warn(`Job ${job.id}: stopping before its ${post.role} was delivered; it is sent at the next start.`);
        return;
      }
      if (DELIVERY_ORDER.indexOf(went) < DELIVERY_ORDER.indexOf(delivery)) delivery = went;
    }
    if (!plan.statusFirst) await this.setStatus(job, plan.status);
    await this.safely(async () => await job.port.flush?.());
    job.record.delivery = delivery;
    this.store.setDelivery(job.id, delivery);
    // Only what reached someone leaves the outbox; the rest is tried again at the next start.
    if (delivery !== 'undelivered') this.store.sent(job.id);
  }

  /** A final palette or result, with its buttons and 🔁 where it landed; where it went. */
  private async postFinalResult(job: FollowedJob, name: ResultName, png: Buffer): Promise<Went> {
    const filename = `${name}-${job.id}.png`;
    const description = imageDescription(name);
    const buttons = buttonsUnder(job, name, this.limits);
    const went = await this.postFinal(job, captionFor(job, name), name, [{ filename, data: png, description }], buttons);
    if (went.ref && went.port && went.delivery !== 'web' && !job.record.options.sweep) await this.safely(() => went.port!.react(went.ref!, 'rerun'));
    return went.delivery;
  }

  /** The status message's last words (its Cancel button goes): through its StatusLine when this process posted it, else by id. */
  private async setStatus(job: FollowedJob, text: string): Promise<void> {
    if (!text) return; // answered without a status message
    if (job.status) return job.status.set(text, []);
    const ref = this.store
      .messagesOf(job.id)
      .filter((m) => m.role === 'status')
      .at(-1);
    if (ref) await this.safely(() => job.port.update(ref, text, undefined, []));
  }

  /** Posts a palette or result image with its caption, its buttons and the 🔁 reaction. */
  async postResult(job: FollowedJob, name: ResultName, png: Buffer): Promise<void> {
    const filename = `${name}-${job.id}.png`;
    const description = imageDescription(name);
    // A sweep already shows the finer tilings: each is one palette command away, named in its caption.
    const buttons = buttonsUnder(job, name, this.limits);
    const ref = await this.post(job, captionFor(job, name), name, [{ filename, data: png, description }], buttons);
    if (ref && !job.record.options.sweep) await this.safely(() => job.port.react(ref, 'rerun'));
  }

  settingsLine(job: FollowedJob, elapsedMs: number, where: string): string {
    const r = job.record;
    return settingsLineText(formatOptions(r.options, r.kind), elapsedMs, where, r.id);
  }
}

/** The buttons under a palette or result; the job's last picture also offers Send to me and Delete. */
function buttonsUnder(job: FollowedJob, name: ResultName, limits: Pick<OptionLimits, 'maxSize' | 'maxTiles'>): JobButton[] {
  const last = name === 'result' || job.record.kind === 'palette';
  return [...(job.record.options.sweep ? [] : resultButtons(job.record, name, limits)), ...(last ? takeBackButtons(job.id) : [])];
}
