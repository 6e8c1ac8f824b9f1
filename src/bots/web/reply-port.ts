/** ReplyPort for the web: what the commands say becomes messages in the browser's conversation. */
import type { Attachment, Frontend, JobButton, MessageRef, Reaction, ReplyPort, ThreadRef } from '../../commands/port.js';
import { newId, type Conversations, type WebFile } from './conversations.js';
import type { FileStore } from './files.js';
import { imageExtension } from './files.js';

/** The page has no direct messages (its conversation is the user's own already): no Send to me there. */
function withoutSend(buttons: JobButton[]): JobButton[] {
  return buttons.filter((b) => b.action !== 'send');
}

export class WebReplyPort implements ReplyPort {
  constructor(
    private readonly conversations: Conversations,
    private readonly files: FileStore,
    private readonly conversation: string,
    private readonly thread: string,
    /** Runs once, before the first post: the commands post only once they have accepted the request. */
    private accepted?: () => Promise<void>,
  ) {}

  async post(text: string, files?: Attachment[], shown?: JobButton[]): Promise<MessageRef> {
    const buttons = shown && withoutSend(shown);
    const accepted = this.accepted;
    this.accepted = undefined;
    await accepted?.().catch((error: unknown) => console.error(`web: could not show the user's images: ${String(error)}`));
    // Files are named after their job (result-<job>.png): one already in this thread was posted before a
    // crash that came between the post and the job store's note of it, so it is not shown twice.
    const again = files?.length ? await this.postedBefore(files) : undefined;
    if (again) return { id: again.id };
    const stored = await this.store(files);
    const message = await this.conversations.add(this.conversation, {
      thread: this.thread,
      author: 'bot',
      text,
      files: stored,
      ...(buttons?.length ? { buttons } : {}),
    });
    return { id: message.id };
  }

  async update(ref: MessageRef, text: string, files?: Attachment[], shown?: JobButton[]): Promise<void> {
    const buttons = shown && withoutSend(shown);
    const stored = files ? await this.store(files) : undefined;
    const before = await this.conversations.edit(this.conversation, ref.id, (m) => {
      m.text = text;
      if (stored) m.files = stored;
      if (buttons) m.buttons = buttons;
    });
    if (!before) {
      // The message is gone (trimmed from a long conversation): say it anew rather than lose it.
      await this.conversations.add(this.conversation, { thread: this.thread, author: 'bot', text, files: stored });
      return;
    }
    // Replaced previews are no longer shown anywhere.
    if (stored) await Promise.all(before.files.map((f) => this.files.remove(f.url)));
  }

  async react(ref: MessageRef, reaction: Reaction): Promise<void> {
    await this.conversations.edit(this.conversation, ref.id, (m) => {
      if (!m.reactions.includes(reaction)) m.reactions.push(reaction);
    });
  }

  /** A job taken back: the message leaves its conversation (open pages drop it too) and its images go. */
  async remove(ref: MessageRef, where?: ThreadRef): Promise<void> {
    const removed = await this.conversations.remove(where?.channel ?? this.conversation, ref.id);
    if (removed) await Promise.all(removed.files.map((f) => this.files.remove(f.url)));
  }

  async whisper(text: string): Promise<void> {
    await this.conversations.add(this.conversation, { thread: this.thread, author: 'bot', text, whisper: true });
  }

  where(): ThreadRef {
    return { channel: this.conversation, thread: this.thread };
  }

  /** Writes the coalesced saves now, so what the commands posted survives a crash. */
  flush(): Promise<void> {
    return this.conversations.flush();
  }

  private async postedBefore(files: Attachment[]): Promise<{ id: string } | undefined> {
    const names = files
      .map((f) => f.filename)
      .sort()
      .join('\n');
    const messages = await this.conversations.messages(this.conversation);
    return messages.find(
      (m) =>
        m.thread === this.thread &&
        m.author === 'bot' &&
        m.files.length > 0 &&
        m.files
          .map((f) => f.filename)
          .sort()
          .join('\n') === names,
    );
  }

  private async store(files: Attachment[] | undefined): Promise<WebFile[]> {
    const stored: WebFile[] = [];
    for (const file of files ?? []) {
      const extension = imageExtension(file.filename);
      if (!extension) continue; // the page only shows images
      stored.push({
        url: await this.files.save(file.data, extension),
        filename: file.filename,
        description: file.description,
      });
    }
    return stored;
  }
}

/**
 * Lets the commands reach a web conversation again, e.g. for a job resumed after a restart. With
 * `unreached` (a conversation id), another platform's results that reached no one there are kept in
 * that conversation, one thread per job.
 */
export function webFrontend(conversations: Conversations, files: FileStore, unreached?: string): Frontend {
  return {
    platform: 'web',
    portFor(where: ThreadRef): ReplyPort {
      return new WebReplyPort(conversations, files, where.channel, where.thread ?? newId('t'));
    },
    ...(unreached
      ? { lastResort: (job: { id: string }) => ({ place: 'web' as const, port: new WebReplyPort(conversations, files, unreached, `t-${job.id}`) }) }
      : {}),
  };
}
