/**
 * Edits and reactions in a thread the bot started, which may have archived since: Discord refuses
 * them there (50083) until the thread is unarchived, which its creator may do (Discord's threads
 * topic: archived: false on PATCH /channels/{thread.id}). A thread a moderator locked stays as it is:
 * one refusal, then the job's messages are left alone rather than collect more refusals.
 */
import { Routes, type REST } from 'discord.js';
import { apiCode, ARCHIVED_THREAD, isNotAllowed } from './api-errors.js';

export class ThreadReopener {
  private locked = false;

  constructor(
    private readonly rest: REST,
    private readonly log: Pick<Console, 'info' | 'warn'>,
  ) {}

  /** Runs `action` (in `thread`, when there is one); unarchives the thread and tries once more if it had archived. */
  async run(thread: string | undefined, action: () => Promise<unknown>): Promise<void> {
    if (this.locked) return;
    try {
      await action();
    } catch (err) {
      if (apiCode(err) !== ARCHIVED_THREAD || !thread) throw err;
      try {
        await this.rest.patch(Routes.channel(thread), { body: { archived: false } });
      } catch (reopen) {
        if (!isNotAllowed(reopen)) throw reopen;
        this.locked = true;
        this.log.warn(`Discord: thread ${thread} is archived and locked; its job's messages stay as they are.`);
        return;
      }
      this.log.info(`Discord: thread ${thread} had archived; unarchived it to update the job there.`);
      await action();
    }
  }
}
