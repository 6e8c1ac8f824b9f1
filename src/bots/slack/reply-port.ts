/** ReplyPort for Slack: what the commands say becomes messages, uploads and reactions in a thread. */
import type { webApi } from '@slack/bolt';
import type { Attachment, Frontend, MessageRef, Reaction, ReplyPort, ThreadRef } from '../../commands/port.js';

type WebClient = webApi.WebClient;

/** Slack's names for the reactions the commands use (🔁 and ❌). */
export const REACTION_NAMES: Record<Reaction, string> = { rerun: 'repeat', cancel: 'x', upscale: 'arrow_up' };

/** Slack reads &, < and > as markup in message text. */
export function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function errorCode(err: unknown): string | undefined {
  return (err as { data?: { error?: string } })?.data?.error;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface FileShare {
  ts?: string;
}
interface FileWithShares {
  id?: string;
  shares?: { public?: Record<string, FileShare[]>; private?: Record<string, FileShare[]> };
}

/** The ts of the message that shared `file` in `channel`, if the file object already knows it. */
function shareTs(file: FileWithShares | undefined, channel: string): string | undefined {
  const shares = file?.shares;
  return shares?.public?.[channel]?.[0]?.ts ?? shares?.private?.[channel]?.[0]?.ts;
}

/**
 * Whether uploads carry alt text. Slack documents `alt_txt` on files.getUploadURLExternal (the SDK's
 * uploadV2 sends `alt_text`, which Slack does not document); one open SDK report says a file sent with
 * `alt_txt` was uploaded but never shared. So the first upload that is not shared is sent again
 * without it, and later uploads leave it out. Shared by every port of one front end.
 */
export interface UploadState {
  altText: boolean;
}

export interface SlackPortOptions {
  /** Posted in the channel as the thread's parent before the first reply, when there is no thread yet. */
  parentText?: string;
  /** A response_url reply (slash commands): works even where the bot is not a channel member. */
  respond?: (text: string) => Promise<void>;
  /** Delays between files.info look-ups for an upload's message (tests shorten them). */
  sharePollMs?: number[];
  /** Whether alt text is sent with uploads (see UploadState); default a fresh state that sends it. */
  uploads?: UploadState;
  /**
   * False when `thread` is the ts of a message with no replies yet (a top-level mention): whispers go to
   * the channel, where the user sees them, until something is posted in the thread. Default true.
   */
  threadStarted?: boolean;
}

export class SlackReplyPort implements ReplyPort {
  private thread: string | undefined;
  private threadStarted: boolean;
  private creatingThread: Promise<string> | null = null;
  private readonly uploads: UploadState;

  constructor(
    private readonly client: WebClient,
    private readonly channel: string,
    thread: string | undefined,
    private readonly user: string,
    private readonly opts: SlackPortOptions = {},
  ) {
    this.thread = thread;
    this.threadStarted = opts.threadStarted ?? true;
    this.uploads = opts.uploads ?? { altText: true };
  }

  async post(text: string, files?: Attachment[]): Promise<MessageRef> {
    const hasFiles = files !== undefined && files.length > 0;
    if (!this.thread) {
      if (!this.opts.parentText && !hasFiles) {
        // The first message becomes the thread's parent.
        const ts = await this.postMessage(text, undefined);
        this.thread = ts;
        return { id: ts };
      }
      await this.ensureThread();
    }
    const id = hasFiles ? await this.upload(text, files) : await this.postMessage(text, this.thread);
    this.threadStarted = true;
    return { id };
  }

  async update(ref: MessageRef, text: string): Promise<void> {
    // Previews that come with progress updates are dropped: chat.update cannot carry files, and an
    // upload per step would flood the thread.
    await this.client.chat.update({ channel: this.channel, ts: ref.id, text: escapeText(text) });
  }

  async react(ref: MessageRef, reaction: Reaction): Promise<void> {
    try {
      await this.client.reactions.add({ channel: this.channel, timestamp: ref.id, name: REACTION_NAMES[reaction] });
    } catch (err) {
      if (errorCode(err) !== 'already_reacted') throw err;
    }
  }

  async whisper(text: string): Promise<void> {
    if (this.opts.respond && !this.thread) {
      await this.opts.respond(escapeText(text));
      return;
    }
    try {
      await this.client.chat.postEphemeral({
        channel: this.channel,
        user: this.user,
        text: escapeText(text),
        ...(this.thread && this.threadStarted ? { thread_ts: this.thread } : {}),
      });
    } catch (err) {
      // Not a member of the channel: the response_url still reaches the user.
      if (!this.opts.respond) throw err;
      await this.opts.respond(escapeText(text));
    }
  }

  where(): ThreadRef {
    return this.thread ? { channel: this.channel, thread: this.thread } : { channel: this.channel };
  }

  private async ensureThread(): Promise<string> {
    if (this.thread) return this.thread;
    this.creatingThread ??= this.client.chat
      .postMessage({ channel: this.channel, text: this.opts.parentText ?? 'Results of a job:', unfurl_links: false })
      .then((res) => {
        if (!res.ts) throw new Error('chat.postMessage returned no ts');
        this.thread = res.ts;
        return res.ts;
      })
      .finally(() => (this.creatingThread = null));
    return this.creatingThread;
  }

  private async postMessage(text: string, thread: string | undefined): Promise<string> {
    const res = await this.client.chat.postMessage({
      channel: this.channel,
      text: escapeText(text),
      ...(thread ? { thread_ts: thread } : {}),
    });
    if (!res.ts) throw new Error('chat.postMessage returned no ts');
    return res.ts;
  }

  /**
   * Uploads the files into the thread with the text as their comment, and returns the ts of the
   * message that shows them, so a 🔁 on the image itself finds the job.
   *
   * files.uploadV2 does not return that ts, and Slack shares an upload asynchronously, so it is looked
   * up: the completion's own file object, then files.info a few times (its `shares` list the message),
   * then the thread itself. If all of that fails, the caption is posted as its own message and that
   * message is returned: a reaction target the commands can always find again.
   */
  private async upload(text: string, files: Attachment[]): Promise<string> {
    const thread = this.thread!;
    const withAltText = this.uploads.altText && files.some((f) => f.description);
    const first = await this.uploadOnce(text, files, withAltText);
    const ts = shareTs(first, this.channel) ?? (first?.id ? await this.findShare(first.id, thread) : undefined);
    if (ts) return ts;
    if (withAltText) {
      console.warn('Slack: an upload with alt text (alt_txt) was not shared; uploading without alt text from now on.');
      this.uploads.altText = false;
      return this.upload(text, files);
    }
    return this.postMessage(text, thread);
  }

  /** files.uploadV2's three steps, done here so that the documented `alt_txt` is what is sent. */
  private async uploadOnce(text: string, files: Attachment[], withAltText: boolean): Promise<FileWithShares | undefined> {
    const ids: { id: string; title: string }[] = [];
    for (const file of files) {
      const args: { filename: string; length: number; alt_txt?: string } = { filename: file.filename, length: file.data.length };
      if (withAltText && file.description) args.alt_txt = file.description.slice(0, 1000);
      const target = await this.client.files.getUploadURLExternal(args);
      if (!target.upload_url || !target.file_id) throw new Error('files.getUploadURLExternal returned no upload_url');
      const sent = await fetch(target.upload_url, { method: 'POST', body: new Uint8Array(file.data), signal: AbortSignal.timeout(60_000) });
      await sent.body?.cancel().catch(() => undefined);
      if (!sent.ok) throw new Error(`Slack refused the upload of ${file.filename} (${sent.status})`);
      ids.push({ id: target.file_id, title: file.filename });
    }
    const [head, ...rest] = ids;
    if (!head) return undefined;
    const done = await this.client.files.completeUploadExternal({
      files: [head, ...rest],
      channel_id: this.channel,
      thread_ts: this.thread!,
      initial_comment: escapeText(text),
    });
    return (done.files as FileWithShares[] | undefined)?.[0];
  }

  private async findShare(fileId: string, thread: string): Promise<string | undefined> {
    for (const delay of this.opts.sharePollMs ?? [0, 500, 1000, 2000]) {
      if (delay > 0) await sleep(delay);
      try {
        const info = await this.client.files.info({ file: fileId });
        const ts = shareTs(info.file as FileWithShares | undefined, this.channel);
        if (ts) return ts;
      } catch {
        break; // e.g. missing files:read: try the thread instead
      }
    }
    try {
      const replies = await this.client.conversations.replies({ channel: this.channel, ts: thread, limit: 200 });
      const message = [...(replies.messages ?? [])].reverse().find((m) => m.files?.some((f) => f.id === fileId));
      return message?.ts;
    } catch {
      return undefined;
    }
  }
}

/** Lets the commands reach a Slack thread again, e.g. for a job resumed after a restart. */
export function slackFrontend(client: WebClient, portOptions: Pick<SlackPortOptions, 'sharePollMs' | 'uploads'> = {}): Frontend {
  return {
    platform: 'slack',
    portFor(where: ThreadRef, user: { id: string }): ReplyPort {
      return new SlackReplyPort(client, where.channel, where.thread, user.id, portOptions);
    },
  };
}
