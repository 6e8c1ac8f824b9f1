/**
 * One status message per job, edited as the job moves. Progress edits are thinned: at most one per
 * interval, none while the previous edit is still on its way (a platform holding edits back for its
 * rate limits then gets fewer, not a backlog), and none the front end's budget refuses. State
 * changes always go.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Attachment, JobButton, MessageRef, ReplyPort } from './port.js';

export class StatusLine {
  private last = 0;
  private chain: Promise<void> = Promise.resolve();
  private pendingPreview: Buffer | undefined;
  private previewShown = false;
  private inFlight = 0;

  constructor(
    private readonly port: ReplyPort,
    readonly ref: MessageRef,
    private readonly intervalMs: number,
    private readonly log: Pick<Console, 'error'>,
  ) {}

  /**
   * Progress: dropped when the last edit is too recent (the preview is kept for the next one), except
   * the job's first preview, which goes at once: the picture starting to show is the first answer.
   */
  progress(text: string, preview?: Buffer): void {
    if (preview) this.pendingPreview = preview;
    const now = Date.now();
    const firstPreview = !this.previewShown && this.pendingPreview !== undefined;
    if ((!firstPreview && now - this.last < this.intervalMs) || this.inFlight > 0) return;
    if (this.port.mayShowProgress && !this.port.mayShowProgress()) return;
    this.last = now;
    const files: Attachment[] | undefined = this.pendingPreview
      ? [{ filename: 'preview.png', data: this.pendingPreview, description: 'Work in progress' }]
      : undefined;
    this.pendingPreview = undefined;
    if (files) this.previewShown = true;
    this.send(text, files);
  }

  /**
   * A state change: always shown, tried again after a transient failure (a rate-limit storm longer
   * than the client's own retries). `buttons` replace the message's buttons ([] when the job is over).
   */
  set(text: string, buttons?: JobButton[]): Promise<void> {
    this.last = Date.now();
    return this.send(text, undefined, buttons, STATE_RETRY_MS);
  }

  private send(text: string, files?: Attachment[], buttons?: JobButton[], retryMs: readonly number[] = []): Promise<void> {
    this.inFlight += 1;
    this.chain = this.chain
      .then(() => this.update(text, files, buttons, retryMs))
      .catch((err: unknown) => this.log.error('Could not update a status message:', err))
      .finally(() => (this.inFlight -= 1));
    return this.chain;
  }

  settled(): Promise<void> {
    return this.chain;
  }

  private async update(text: string, files: Attachment[] | undefined, buttons: JobButton[] | undefined, retryMs: readonly number[]): Promise<void> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await this.port.update(this.ref, text, files, buttons);
      } catch (err) {
        const wait = retryMs[attempt];
        if (wait === undefined || !(this.port.transient?.(err) ?? false)) throw err;
        await sleep(wait);
      }
    }
  }
}

/** Waits before a state change's next try after a transient failure. */
const STATE_RETRY_MS: readonly number[] = [1000, 4000, 15000];
