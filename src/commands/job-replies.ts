/**
 * Posting for a job: every message is remembered in the store (so a reaction on it finds the job,
 * also after a restart) and a thread created by the first post becomes the job's place. A message is
 * recorded only once the front end holds it durably, so "recorded" means "the user can see it", and a
 * job run again (resumed, or redelivered by a queue) does not post an image twice.
 */
import { paletteSizeFor, paletteTilesFor } from '../engine/index.js';
import { SWEEP_TILES, sweepCellSize } from '../engine/sweep.js';
import { resultButtons } from './buttons.js';
import type { DataFiles, ResultName } from '../jobs/data-files.js';
import type { FollowedJob } from './followed-job.js';
import { seconds } from './messages.js';
import { formatOptions, nextTiles, tilesText, type OptionLimits } from './user-options.js';
import type { Attachment, JobButton, MessageRef } from './port.js';
import type { FinalPlan, JobStore, MessageRole } from '../jobs/job-store.js';

export class JobReplies {
  constructor(
    private readonly store: JobStore,
    readonly files: DataFiles,
    private readonly log: Pick<Console, 'error'>,
    /** What the buttons under a result may offer (no Upscale at the size limit). */
    private readonly limits: Pick<OptionLimits, 'maxSize' | 'maxTiles'>,
  ) {}

  /** Posts in the job's thread and remembers the message; null when the platform refused it (logged). */
  async post(job: FollowedJob, text: string, role: MessageRole, files?: Attachment[], buttons?: JobButton[]): Promise<MessageRef | null> {
    try {
      const ref = await job.port.post(text, files, buttons);
      await job.port.flush?.();
      this.store.addMessage(job.record.platform, ref.id, job.id, role);
      const where = job.port.where();
      if (where.thread !== job.record.where.thread || where.channel !== job.record.where.channel) {
        job.record.where = where;
        this.store.setWhere(job.id, where);
      }
      return ref;
    } catch (err) {
      this.log.error(`Could not post for job ${job.id}:`, err);
      return null;
    }
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
   * Sends a job's final replies (committed with its final state): posts not yet recorded, then the
   * status line; the outbox entry goes once all of it is durable. Safe to call again after a crash.
   */
  async deliver(job: FollowedJob, plan: FinalPlan): Promise<void> {
    if (plan.statusFirst) await this.setStatus(job, plan.status);
    for (const post of plan.posts) {
      if (this.store.hasMessage(job.id, post.role)) continue;
      if (post.image) await this.postResult(job, post.image, await this.files.loadResult(job.id, post.image));
      else await this.post(job, post.text, post.role);
    }
    if (!plan.statusFirst) await this.setStatus(job, plan.status);
    await this.safely(async () => await job.port.flush?.());
    this.store.sent(job.id);
  }

  /** The status message's last words (its Cancel button goes): through its StatusLine when this process posted it, else by id. */
  private async setStatus(job: FollowedJob, text: string): Promise<void> {
    if (!text) return; // answered without a status message
    if (job.status) return job.status.set(text, []);
    const ref = this.store.messagesOf(job.id).filter((m) => m.role === 'status').at(-1);
    if (ref) await this.safely(() => job.port.update(ref, text, undefined, []));
  }

  /** Posts a palette or result image with its caption, its buttons and the 🔁 reaction. */
  async postResult(job: FollowedJob, name: ResultName, png: Buffer): Promise<void> {
    const filename = `${name}-${job.id}.png`;
    const description = name === 'palette' ? 'The palette of the style image' : 'The content image redrawn in the style';
    // A sweep already shows the finer tilings: each is one palette command away, named in its caption.
    const buttons = job.record.options.sweep ? [] : resultButtons(job.record, name, this.limits);
    const ref = await this.post(job, captionFor(job, name), name, [{ filename, data: png, description }], buttons);
    if (ref && !job.record.options.sweep) await this.safely(() => job.port.react(ref, 'rerun'));
  }

  settingsLine(job: FollowedJob, elapsedMs: number, where: string): string {
    const r = job.record;
    return `Settings: ${formatOptions(r.options, r.kind)} · took ${seconds(elapsedMs)} on ${where} · job ${r.id}`;
  }
}

function captionFor(job: FollowedJob, name: ResultName): string {
  const o = job.record.options;
  if (o.sweep) {
    const counts = SWEEP_TILES.filter((t) => t > 1).map((t) => `palette tiles=${t}`);
    return `Palette sweep — the style alone at ${SWEEP_TILES.join(', ')} tiles, each ${sweepCellSize(o.size)} px. For one of them at full size: ${counts.join(', ')} (or tiles=1 for none).`;
  }
  const tiling = tilesText(o);
  const hint = nextTiles(o.tiles) === null ? 'This is the finest tiling.' : 'React 🔁 for finer tiles.';
  const size = name === 'palette' && job.record.kind === 'stylize' ? paletteSizeFor(o.size) : o.size;
  const n = paletteTilesFor(o.tiles, o.size);
  const drawn = size === o.size ? `, ${size} px` : `; drawn at ${size} px with ${n}×${n} copies, each as large as in the result`;
  return name === 'palette'
    ? `Palette of the style — the style alone, redrawn from noise (${tiling}${drawn}). ${hint}`
    : `Result — ${tiling}, ${o.size} px${o.preserveColors ? ', colours kept' : ''}. ${hint}`;
}
