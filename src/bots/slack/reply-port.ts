/** ReplyPort for Slack: what the commands say becomes messages, uploads and reactions in a thread. */
import type { webApi } from '@slack/bolt';
import { buttonId } from '../../commands/buttons.js';
import type { EditBudget } from '../shared/edit-budget.js';
import type { Attachment, Fallback, Frontend, JobButton, MessageRef, Reaction, ReplyPort, ThreadRef } from '../../commands/port.js';

type WebClient = webApi.WebClient;

/** Slack's names for the reactions the commands use (🔁, ❌, ⬆️ and ✉️). */
export const REACTION_NAMES: Record<Reaction, string> = { rerun: 'repeat', cancel: 'x', upscale: 'arrow_up', send: 'envelope' };

/** Slack's rate limits apply per workspace and app: one front end serves one workspace. */
const WORKSPACE = 'workspace';

/** Slack reads &, < and > as markup in message text. */
export function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * A message's text with its buttons as Block Kit: a section (mrkdwn, at most 3000 characters) and an
 * actions block of buttons (plain_text labels of at most 75 characters, action_id unique in the
 * message and at most 255, value at most 2000) — Slack's Block Kit reference
 * (https://docs.slack.dev/reference/block-kit/blocks/actions-block, .../block-elements/button-element).
 * With blocks, `text` is only the notification's fallback, so the section repeats it.
 */
export function blocksFor(text: string, buttons: JobButton[]): Record<string, unknown>[] {
  if (buttons.length === 0) return [];
  return [
    { type: 'section', text: { type: 'mrkdwn', text: text.slice(0, 3000) } },
    {
      type: 'actions',
      elements: buttons.slice(0, 25).map((b) => ({
        type: 'button',
        text: { type: 'plain_text', text: b.label.slice(0, 75) },
        action_id: buttonId(b),
        value: b.jobId,
        ...(b.action === 'cancel' || b.action === 'delete' ? { style: 'danger' } : {}),
      })),
    },
  ];
}

function errorCode(err: unknown): string | undefined {
  return (err as { data?: { error?: string } })?.data?.error;
}

/**
 * A response_url takes "up to 5 times within 30 minutes" (Slack's "Handling user interaction",
 * https://api.slack.com/interactivity/handling#message_responses).
 */
export const RESPONSE_URL_USES = 5;
export const RESPONSE_URL_MS = 30 * 60 * 1000;

/**
 * conversations.open's answers that mean this user can't be written to privately (the method's
 * "Errors": a bot user, a deactivated or unknown one, or one hidden from the app).
 */
const NO_DM = new Set(['cannot_dm_bot', 'user_disabled', 'user_not_found', 'user_not_visible']);

/** Slack's answers that may pass if tried again later (each method's "Errors": server-side trouble). */
const TRANSIENT_ERRORS = new Set(['ratelimited', 'internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);

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
  /**
   * Scopes Slack said the app lacks (missing_scope): what needs them is not tried again, and the
   * user gets text instead of an image. Shared by every port of one front end.
   */
  missingScopes?: Set<string>;
  /**
   * The message of buttons posted right below an upload (by the upload's ts), so deleting the upload
   * deletes its buttons too. Kept in memory: after a restart such a message stays.
   */
  buttonsBelow?: Map<string, string>;
}

/** Methods answer missing_scope when the installed app lacks a scope (e.g. an old install of the manifest). */
function missingScope(err: unknown): string | undefined {
  const data = (err as { data?: { error?: string; needed?: string } })?.data;
  return data?.error === 'missing_scope' ? (data.needed ?? 'a scope') : undefined;
}

export interface SlackPortOptions {
  /** Posted in the channel as the thread's parent before the first reply, when there is no thread yet. */
  parentText?: string;
  /** A response_url reply (slash commands): works even where the bot is not a channel member. */
  respond?: (text: string) => Promise<void>;
  /** When the response_url stops working (default 30 minutes after the port was made). */
  respondUntil?: number;
  /** Delays between files.info look-ups for an upload's message (tests shorten them). */
  sharePollMs?: number[];
  /** Whether alt text is sent with uploads (see UploadState); default a fresh state that sends it. */
  uploads?: UploadState;
  /** The workspace's chat.update budget (Tier 3), shared by every port of one front end. */
  budget?: EditBudget;
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
  /**
   * The buttons of the messages this port posted: chat.update with text and without blocks drops a
   * message's blocks (Slack's chat.update reference), so every edit sends them again.
   */
  private readonly buttons = new Map<string, JobButton[]>();
  private respondUses = 0;
  private readonly respondUntil: number;
  /** The next update is a progress edit the budget allowed (it does not wait). */
  private progressGranted = false;

  constructor(
    private readonly client: WebClient,
    /** A user id for a DM port until the first post names the DM channel. */
    private channel: string,
    thread: string | undefined,
    private readonly user: string,
    private readonly opts: SlackPortOptions = {},
  ) {
    this.thread = thread;
    this.threadStarted = opts.threadStarted ?? true;
    this.uploads = opts.uploads ?? { altText: true };
    this.respondUntil = opts.respondUntil ?? Date.now() + RESPONSE_URL_MS;
  }

  /**
   * Where a job's last replies go when its thread refuses them: the channel itself, then a direct
   * message (chat.postMessage with the user's id as channel posts in the app's DM with them; needs
   * only chat:write, https://docs.slack.dev/reference/methods/chat.postMessage#channels).
   */
  fallbacks(): Fallback[] {
    if (this.channel === this.user) return [];
    const shared: SlackPortOptions = {
      ...(this.opts.uploads ? { uploads: this.opts.uploads } : {}),
      ...(this.opts.budget ? { budget: this.opts.budget } : {}),
      ...(this.opts.sharePollMs ? { sharePollMs: this.opts.sharePollMs } : {}),
    };
    const out: Fallback[] = [];
    if (this.thread)
      out.push({ place: 'channel', port: new SlackReplyPort(this.client, this.channel, undefined, this.user, { ...shared, parentText: `<@${this.user}>` }) });
    out.push({ place: 'dm', port: new SlackReplyPort(this.client, this.user, undefined, this.user, shared) });
    return out;
  }

  /**
   * Worth another try later: a 429 that outlasted the client's own retries (@slack/web-api counts each
   * Retry-After wait as one of them and then gives up with a request error), a dropped connection, a
   * server error. A refusal (not_in_channel, channel_not_found, …) is not.
   */
  transient(err: unknown): boolean {
    const e = err as { code?: string; statusCode?: number; data?: { error?: string } };
    if (e?.code === 'slack_webapi_request_error' || e?.code === 'slack_webapi_rate_limited_error') return true;
    if (e?.code === 'slack_webapi_http_error') return (e.statusCode ?? 0) >= 500;
    if (e?.code === 'slack_webapi_platform_error') return TRANSIENT_ERRORS.has(e.data?.error ?? '');
    return err instanceof Error && (err.name === 'TimeoutError' || err.message === 'fetch failed');
  }

  async post(text: string, files?: Attachment[], buttons: JobButton[] = []): Promise<MessageRef> {
    const hasFiles = files !== undefined && files.length > 0;
    if (!this.thread) {
      if (!this.opts.parentText && !hasFiles) {
        // The first message becomes the thread's parent.
        const ts = await this.postMessage(text, undefined, buttons);
        this.thread = ts;
        return { id: ts };
      }
      await this.ensureThread();
    }
    let id: string;
    if (hasFiles && this.uploads.missingScopes?.has('files:write')) {
      id = await this.postMessage(`${text}\n(I can't upload images here: the app lacks the files:write scope; reinstall it from the manifest.)`, this.thread);
    } else if (hasFiles) {
      id = await this.uploadOrSay(text, files);
      // Whether an upload's message takes an actions block is not documented: the buttons go in a
      // message of their own right below it (each names its job, so they work from there).
      if (buttons.length > 0) {
        const below = await this.postMessage(`Next for job ${buttons[0]!.jobId}:`, this.thread, buttons);
        (this.uploads.buttonsBelow ??= new Map()).set(id, below);
      }
    } else {
      id = await this.postMessage(text, this.thread, buttons);
    }
    this.threadStarted = true;
    return { id };
  }

  async update(ref: MessageRef, text: string, _files?: Attachment[], buttons?: JobButton[]): Promise<void> {
    // Previews that come with progress updates are dropped: chat.update cannot carry files, and an
    // upload per step would flood the thread.
    const shown = buttons ?? this.buttons.get(ref.id) ?? [];
    if (buttons) this.buttons.set(ref.id, buttons);
    // Progress edits were let through by mayShowProgress; the others wait their turn here.
    if (this.progressGranted) this.opts.budget?.take(WORKSPACE);
    else await this.opts.budget?.acquire(WORKSPACE);
    this.progressGranted = false;
    await this.client.chat.update({
      channel: this.channel,
      ts: ref.id,
      text: escapeText(text),
      ...(shown.length > 0 || buttons ? { blocks: blocksFor(escapeText(text), shown) } : {}),
    });
  }

  /** chat.update is Tier 3 per workspace: the jobs running here share it (EditBudget). */
  mayShowProgress(): boolean {
    this.progressGranted = this.opts.budget?.tryProgress(WORKSPACE, this) ?? true;
    return this.progressGranted;
  }

  async react(ref: MessageRef, reaction: Reaction): Promise<void> {
    if (this.uploads.missingScopes?.has('reactions:write')) return;
    try {
      await this.client.reactions.add({ channel: this.channel, timestamp: ref.id, name: REACTION_NAMES[reaction] });
    } catch (err) {
      if (errorCode(err) === 'already_reacted') return;
      const scope = missingScope(err);
      if (!scope) throw err;
      this.noteMissing(scope, 'reactions');
    }
  }

  private noteMissing(scope: string, what: string): void {
    this.uploads.missingScopes ??= new Set();
    for (const s of scope.split(',')) {
      if (this.uploads.missingScopes.has(s)) continue;
      this.uploads.missingScopes.add(s);
      console.warn(`Slack: the app lacks the ${s} scope, so ${what} are skipped; reinstall it from slack-app-manifest.yml.`);
    }
  }

  /** Uploads the files; without files:write, the text alone with a note saying why. */
  private async uploadOrSay(text: string, files: Attachment[]): Promise<string> {
    try {
      return await this.upload(text, files);
    } catch (err) {
      const scope = missingScope(err);
      if (!scope) throw err;
      this.noteMissing(scope, 'image uploads');
      return this.postMessage(`${text}\n(I can't upload images here: the app lacks the files:write scope; reinstall it from the manifest.)`, this.thread);
    }
  }

  /**
   * chat.delete: a bot token deletes only the bot's own messages (Slack's chat.delete reference);
   * message_not_found means it is gone already. An upload's buttons below it go with it.
   */
  async remove(ref: MessageRef, where: ThreadRef = this.where()): Promise<void> {
    const below = this.uploads.buttonsBelow?.get(ref.id);
    for (const ts of below ? [ref.id, below] : [ref.id]) {
      try {
        await this.client.chat.delete({ channel: where.channel, ts });
      } catch (err) {
        if (errorCode(err) !== 'message_not_found') throw err;
      }
    }
    this.uploads.buttonsBelow?.delete(ref.id);
  }

  /**
   * conversations.open with the user (needs im:write; https://docs.slack.dev/reference/methods/conversations.open)
   * names the app's DM with them; the text and files are posted there like anywhere else.
   */
  async sendPrivately(text: string, files: Attachment[] = []): Promise<'sent' | 'refused'> {
    let dm: string | undefined;
    try {
      dm = (await this.client.conversations.open({ users: this.user })).channel?.id;
    } catch (err) {
      if (NO_DM.has(errorCode(err) ?? '')) return 'refused';
      throw err;
    }
    if (!dm) throw new Error('conversations.open returned no channel');
    const shared = {
      uploads: this.uploads,
      parentText: 'Here is the result you asked me to send you:',
      ...(this.opts.sharePollMs ? { sharePollMs: this.opts.sharePollMs } : {}),
    };
    await new SlackReplyPort(this.client, dm, undefined, this.user, shared).post(text, files);
    return 'sent';
  }

  async whisper(text: string): Promise<void> {
    if (this.canRespond() && !this.thread) {
      try {
        await this.respond(escapeText(text));
        return;
      } catch (err) {
        // Expired or used up on Slack's side: an ephemeral message instead.
        this.respondUses = RESPONSE_URL_USES;
        console.warn('Slack: a response_url reply was refused; answering with an ephemeral message instead:', (err as Error)?.message ?? err);
      }
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
      if (!this.canRespond()) throw err;
      await this.respond(escapeText(text));
    }
  }

  /** A response_url takes at most 5 responses within 30 minutes: after that, ephemeral messages only. */
  private canRespond(): boolean {
    return this.opts.respond !== undefined && this.respondUses < RESPONSE_URL_USES && Date.now() < this.respondUntil;
  }

  private async respond(text: string): Promise<void> {
    this.respondUses += 1;
    await this.opts.respond!(text);
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
        if (res.channel) this.channel = res.channel;
        this.thread = res.ts;
        return res.ts;
      })
      .finally(() => (this.creatingThread = null));
    return this.creatingThread;
  }

  private async postMessage(text: string, thread: string | undefined, buttons: JobButton[] = []): Promise<string> {
    const res = await this.client.chat.postMessage({
      channel: this.channel,
      text: escapeText(text),
      ...(buttons.length > 0 ? { blocks: blocksFor(escapeText(text), buttons) } : {}),
      ...(thread ? { thread_ts: thread } : {}),
    });
    if (!res.ts) throw new Error('chat.postMessage returned no ts');
    if (res.channel) this.channel = res.channel; // a DM port learns its channel here
    if (buttons.length > 0) this.buttons.set(res.ts, buttons);
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
export function slackFrontend(client: WebClient, portOptions: Pick<SlackPortOptions, 'sharePollMs' | 'uploads' | 'budget'> = {}): Frontend {
  return {
    platform: 'slack',
    portFor(where: ThreadRef, user: { id: string }): ReplyPort {
      return new SlackReplyPort(client, where.channel, where.thread, user.id, portOptions);
    },
  };
}
