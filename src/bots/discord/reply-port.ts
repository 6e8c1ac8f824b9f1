/**
 * ReplyPort for Discord: what the commands say becomes messages, edits, files and reactions in a
 * thread started from the command's reply (or in the thread the command was used in). Where the bot
 * lacks a permission it falls back — channel instead of thread, the interaction's webhook instead of
 * the channel, text instead of images, no reactions — and never throws for that alone.
 */
import {
  ButtonStyle,
  ComponentType,
  MessageFlags,
  type APIActionRowComponent,
  type APIButtonComponentWithCustomId,
  type REST,
  type RouteLike,
  Routes,
} from 'discord.js';
import sharp from 'sharp';
import type { EditBudget } from '../shared/edit-budget.js';
import { apiCode, isNotAllowed } from './api-errors.js';
import { ThreadReopener } from './thread-reopener.js';
import { buttonId } from '../../commands/buttons.js';
import type { Attachment, Fallback, Frontend, JobButton, MessageRef, Reaction, ReplyPort, ThreadRef } from '../../commands/port.js';

/** The emoji the commands' reactions are shown as. */
export const REACTION_EMOJI: Record<Reaction, string> = { rerun: '🔁', cancel: '❌', upscale: '⬆️', send: '✉️' };

/** "A thread has already been created for this message": its thread has the message's id. */
const THREAD_EXISTS = 160004;
/** "Cannot execute action on a DM channel": no threads in DMs, so the answer stays in the DM. */
const DM_CHANNEL = 50003;
/** "Invalid Webhook Token": the interaction's token expired (15 minutes). */
const INVALID_WEBHOOK_TOKEN = 50027;
/**
 * Threads stay in the channel list for a week after their last activity (the longest
 * auto_archive_duration, 10080 minutes), so results stay reachable; after that the bot unarchives a
 * thread it started whenever it must edit or react there (Discord's threads topic: the thread's
 * creator may set archived: false; sending a message unarchives it by itself, unless locked).
 */
export const AUTO_ARCHIVE_MINUTES = 10080;
/** "Unknown Message": deleting a message that is gone already. */
const UNKNOWN_MESSAGE = 10008;
/** "Cannot send messages to this user": the user takes no DMs from the bot (privacy settings). */
const CANNOT_DM = 50007;
/** "Request entity too large": the files are over the channel's upload limit (10 MiB by default). */
const TOO_LARGE = 40005;

const MAX_CONTENT = 2000;
/** A public deferred reply that ends in a refusal; the reason goes to the user alone. */
export const NOT_TAKEN = "I couldn't take that request; I've told you why in a message only you can see.";
/** Interaction tokens live 15 minutes; after that only channel messages work. */
const INTERACTION_TOKEN_MS = 14 * 60 * 1000;

export { apiCode, isNotAllowed };

function clip(text: string): string {
  return text.length <= MAX_CONTENT ? text : `${text.slice(0, MAX_CONTENT - 1)}…`;
}

/** The `attachments` field that names the uploaded files (by index) of a message body. */
function attachmentsOf(files: Attachment[]) {
  return files.map((f, id) => ({ id, filename: f.filename, ...(f.description ? { description: f.description.slice(0, 1024) } : {}) }));
}

/**
 * Buttons as message components: action rows (type 1) of at most 5 buttons (type 2, style 2
 * secondary, custom_id ≤ 100 characters, label ≤ 80), at most 5 rows — Discord's component
 * reference (https://discord.com/developers/docs/components/reference#button). [] clears them.
 */
export function componentsOf(buttons: JobButton[]): APIActionRowComponent<APIButtonComponentWithCustomId>[] {
  const rows: APIActionRowComponent<APIButtonComponentWithCustomId>[] = [];
  for (let i = 0; i < buttons.length && rows.length < 5; i += 5) {
    rows.push({
      type: ComponentType.ActionRow,
      components: buttons.slice(i, i + 5).map((b) => ({
        type: ComponentType.Button,
        style: b.action === 'cancel' || b.action === 'delete' ? ButtonStyle.Danger : ButtonStyle.Secondary,
        label: b.label.slice(0, 80),
        custom_id: buttonId(b),
      })),
    });
  }
  return rows;
}

function uploadsOf(files: Attachment[]) {
  return files.map((f) => ({ name: f.filename, data: f.data, contentType: f.filename.endsWith('.jpg') ? 'image/jpeg' : 'image/png' }));
}

/** The same pictures as JPEG, usually a fraction of the PNG's bytes, for a channel that refused the PNGs. */
async function asJpeg(files: Attachment[]): Promise<Attachment[]> {
  return Promise.all(
    files.map(async (f) => ({
      ...f,
      filename: `${f.filename.replace(/\.png$/i, '')}.jpg`,
      data: await sharp(f.data).flatten({ background: '#ffffff' }).jpeg({ quality: 88, mozjpeg: true }).toBuffer(),
    })),
  );
}

const TOO_LARGE_NOTE = '(The image is larger than Discord lets me upload here, even as a JPEG; run it again with a smaller size.)';

type Log = Pick<Console, 'error' | 'warn' | 'info'>;

/** What the port needs of the slash command's interaction (discord.js's interaction, deferred already). */
export interface InteractionReply {
  /** Deferred ephemerally (help, status): the reply itself is the whisper. */
  readonly ephemeral: boolean;
  readonly createdAt: number;
  editReply(text: string): Promise<{ id: string }>;
  deleteReply(): Promise<void>;
  followUp(text: string, opts: { ephemeral: boolean; files?: Attachment[]; buttons?: JobButton[] }): Promise<{ id: string }>;
  /** Edits a message sent through the webhook; files, where given, replace its attachments; buttons, its buttons. */
  editFollowUp(id: string, text: string, files?: Attachment[], buttons?: JobButton[]): Promise<void>;
}

export interface DiscordPortOptions {
  /** Present for slash commands: the deferred reply becomes the thread's starter message. */
  interaction?: InteractionReply;
  /** The reply's text, shown in the channel above the thread. */
  header?: string;
  /** Name of the thread to start. */
  threadName?: string;
  /**
   * A button click (acknowledged with deferUpdate): whispers go to the clicking user alone as an
   * ephemeral follow-up while its token lives; everything else is posted in the channel.
   */
  privateReply?: { createdAt: number; send(text: string): Promise<void> };
  /** The edit budget per channel, shared by every port of one front end. */
  budget?: EditBudget;
  /**
   * What the bot may do in the channel, from the interaction's `app_permissions` (or the last one
   * seen there): the port then skips what it may not do instead of collecting 403s, which Discord
   * counts toward its invalid-request limit. Unknown: it tries, and falls back on a refusal.
   */
  permissions?: ChannelPermissions;
  /** Everything goes to the user's DM (the last fallback for a job's final replies). */
  toUser?: boolean;
  log?: Log;
}

interface Sent {
  id: string;
  /** Messages that went through the interaction's webhook are edited through it too. */
  viaWebhook: boolean;
}

/** What the bot may do in a channel, read from `app_permissions`. */
export interface ChannelPermissions {
  threads: boolean;
  files: boolean;
  reactions: boolean;
  /** View Channel and Send Messages (in threads too). */
  post: boolean;
}

/** Permission bits (https://discord.com/developers/docs/topics/permissions). */
const BIT = {
  ADD_REACTIONS: 1n << 6n,
  VIEW_CHANNEL: 1n << 10n,
  SEND_MESSAGES: 1n << 11n,
  ATTACH_FILES: 1n << 15n,
  CREATE_PUBLIC_THREADS: 1n << 35n,
  SEND_MESSAGES_IN_THREADS: 1n << 38n,
};

/** `app_permissions` (a decimal string of bits) as what the port needs to know. */
export function channelPermissions(bits: bigint): ChannelPermissions {
  const has = (b: bigint) => (bits & b) === b;
  return {
    threads: has(BIT.CREATE_PUBLIC_THREADS) && has(BIT.SEND_MESSAGES_IN_THREADS),
    files: has(BIT.ATTACH_FILES),
    reactions: has(BIT.ADD_REACTIONS),
    post: has(BIT.VIEW_CHANNEL) && has(BIT.SEND_MESSAGES),
  };
}

export class DiscordReplyPort implements ReplyPort {
  private channel: string;
  private thread: string | undefined;
  /** Thread, channel or (when the channel is closed to the bot) the interaction's webhook. */
  private prepared: Promise<void> | null = null;
  private useWebhook = false;
  private replyPending: boolean;
  private readonly sent = new Map<string, Sent>();
  /** Cleared when an edit with a preview is refused, so later progress goes as text alone. */
  private canAttach = true;
  private readonly reopener: ThreadReopener;
  /** Set when Discord refused the interaction's token (expired): nothing more goes through it. */
  private tokenDead = false;
  /** Set once the user's DM channel is used instead of a channel closed to the bot. */
  private direct: string | undefined;
  private readonly log: Log;

  constructor(
    private readonly rest: REST,
    where: ThreadRef,
    private readonly user: string,
    private readonly opts: DiscordPortOptions = {},
  ) {
    this.channel = where.channel;
    this.thread = where.thread;
    this.replyPending = opts.interaction !== undefined;
    this.log = opts.log ?? console;
    this.reopener = new ThreadReopener(rest, this.log);
  }

  where(): ThreadRef {
    return this.thread ? { channel: this.channel, thread: this.thread } : { channel: this.channel };
  }

  async post(text: string, files?: Attachment[], buttons?: JobButton[]): Promise<MessageRef> {
    await this.prepare();
    if (this.opts.toUser && !this.direct) this.direct = await this.openDirect();
    return { id: await this.send(clip(text), files ?? [], [], buttons) };
  }

  /**
   * A thread may refuse what its channel takes (locked: 160005, "Thread is locked", without Manage
   * Threads), and a channel what a DM takes: the job's last replies go there instead.
   */
  fallbacks(): Fallback[] {
    if (this.direct || this.opts.toUser) return [];
    const shared = { ...(this.opts.log ? { log: this.opts.log } : {}), ...(this.opts.budget ? { budget: this.opts.budget } : {}) };
    const out: Fallback[] = [];
    if (this.thread) {
      const permissions = this.opts.permissions;
      out.push({
        place: 'channel',
        port: new DiscordReplyPort(this.rest, { channel: this.channel }, this.user, { ...shared, ...(permissions ? { permissions } : {}) }),
      });
    }
    out.push({ place: 'dm', port: new DiscordReplyPort(this.rest, { channel: this.channel }, this.user, { ...shared, toUser: true }) });
    return out;
  }

  /**
   * Worth another try later: a server error or a dropped connection (discord.js has already waited
   * out each 429's Retry-After and retried 5xx answers by then). A refusal (4xx) is not.
   */
  transient(err: unknown): boolean {
    const status = (err as { status?: unknown })?.status;
    if (typeof status === 'number') return status === 429 || status >= 500;
    const code = (err as { code?: unknown })?.code;
    return (
      err instanceof Error &&
      (err.name === 'AbortError' ||
        err.name === 'TimeoutError' ||
        (typeof code === 'string' && /^(E[A-Z]+|UND_ERR_)/.test(code)) ||
        err.message === 'fetch failed')
    );
  }

  /** Message edits are limited per channel: the jobs editing in one share it (EditBudget). */
  mayShowProgress(): boolean {
    return this.opts.budget?.tryProgress(this.target(), this) ?? true;
  }

  /** Edits a message; a preview that comes with it replaces the message's attachments, buttons its buttons. */
  async update(ref: MessageRef, text: string, files: Attachment[] = [], buttons?: JobButton[]): Promise<void> {
    const previews = this.canAttach && this.opts.permissions?.files !== false ? files : [];
    this.opts.budget?.take(this.target());
    const sent = this.sent.get(ref.id);
    if (sent?.viaWebhook) {
      // Only the interaction's webhook can edit what it sent; once its token expired, the message stays.
      if (!this.interactionAlive()) return;
      try {
        await this.opts.interaction!.editFollowUp(ref.id, clip(text), previews, buttons);
      } catch (err) {
        if (apiCode(err) !== INVALID_WEBHOOK_TOKEN) throw err;
        this.expired();
      }
      return;
    }
    const route = Routes.channelMessage(this.direct ?? this.target(), ref.id);
    const body = { content: clip(text), allowed_mentions: { parse: [] }, ...(buttons ? { components: componentsOf(buttons) } : {}) };
    if (previews.length === 0) {
      await this.inOpenThread(() => this.rest.patch(route, { body }));
      return;
    }
    await this.inOpenThread(() => this.editWithPreviews(route, body, previews));
  }

  private async editWithPreviews(route: RouteLike, body: Record<string, unknown>, previews: Attachment[]): Promise<void> {
    try {
      await this.rest.patch(route, { body: { ...body, attachments: attachmentsOf(previews) }, files: uploadsOf(previews) });
    } catch (err) {
      if (apiCode(err) === TOO_LARGE) {
        await this.rest.patch(route, { body }); // this preview is too large here; the next may fit
        return;
      }
      if (!isNotAllowed(err)) throw err;
      this.log.warn(`Discord: cannot attach files in channel ${this.target()} (missing Attach Files); progress goes without previews.`);
      this.canAttach = false;
      await this.rest.patch(route, { body });
    }
  }

  async react(ref: MessageRef, reaction: Reaction): Promise<void> {
    const emoji = encodeURIComponent(REACTION_EMOJI[reaction]);
    if (this.sent.get(ref.id)?.viaWebhook || this.direct) return;
    if (this.opts.permissions?.reactions === false) {
      this.warnOnce('reactions', `Discord: cannot add reactions in channel ${this.target()} (app_permissions lacks Add Reactions); skipping.`);
      return;
    }
    try {
      await this.inOpenThread(() => this.rest.put(Routes.channelMessageOwnReaction(this.target(), ref.id, emoji)));
    } catch (err) {
      if (!isNotAllowed(err)) throw err;
      this.log.warn(`Discord: cannot add reactions in channel ${this.target()} (missing Add Reactions / Read Message History); skipping.`);
    }
  }

  /**
   * DELETE /channels/{channel.id}/messages/{message.id} (channel resource, "Delete Message"): the bot
   * may always delete its own messages; 204 on success. Unknown Message (10008) means it is gone already.
   */
  async remove(ref: MessageRef, where: ThreadRef = this.where()): Promise<void> {
    const channel = where.thread ?? where.channel;
    try {
      await this.reopener.run(where.thread, () => this.rest.delete(Routes.channelMessage(channel, ref.id)));
    } catch (err) {
      if (apiCode(err) !== UNKNOWN_MESSAGE) throw err;
    }
  }

  /** The user's DM channel (POST /users/@me/channels), then the message there; 50007 when they take no DMs from the bot. */
  async sendPrivately(text: string, files: Attachment[] = []): Promise<'sent' | 'refused'> {
    try {
      await this.sendToChannel(await this.openDirect(), clip(text), files, [], []);
      return 'sent';
    } catch (err) {
      if (apiCode(err) === CANNOT_DM) return 'refused';
      throw err;
    }
  }

  async whisper(text: string): Promise<void> {
    const click = this.opts.privateReply;
    if (click && Date.now() - click.createdAt < INTERACTION_TOKEN_MS) {
      try {
        await click.send(clip(text));
        return;
      } catch (err) {
        this.log.warn('Discord: an ephemeral reply to a button failed; posting instead:', err);
      }
    }
    const interaction = this.opts.interaction;
    if (interaction && this.interactionAlive()) {
      try {
        if (this.replyPending) {
          this.replyPending = false;
          if (interaction.ephemeral) {
            await interaction.editReply(clip(text));
            return;
          }
          // Discord: the first message after a public defer is that public reply (an ephemeral flag is
          // ignored, and deleting the reply first leaves nothing to follow up). So the reply says only
          // that the request was not taken, and the reason follows as a new, ephemeral message.
          await interaction.editReply(NOT_TAKEN);
        }
        await interaction.followUp(clip(text), { ephemeral: true });
        return;
      } catch (err) {
        if (apiCode(err) === INVALID_WEBHOOK_TOKEN) this.expired();
        this.log.warn('Discord: an ephemeral reply failed; posting instead:', err);
      }
    }
    await this.prepare();
    await this.send(clip(`<@${this.user}> ${text}`), [], [this.user]);
  }

  /** Called once the command was handled: a reply still "thinking" is resolved, never left hanging. */
  async finish(): Promise<void> {
    if (!this.replyPending || !this.opts.interaction) return;
    this.replyPending = false;
    await this.opts.interaction.deleteReply().catch(() => undefined);
  }

  private target(): string {
    return this.thread ?? this.channel;
  }

  /** Runs an edit or reaction in the job's thread, unarchiving it first when it has archived (thread-reopener.ts). */
  private inOpenThread(action: () => Promise<unknown>): Promise<void> {
    return this.reopener.run(this.thread, action);
  }

  private interactionAlive(): boolean {
    const i = this.opts.interaction;
    return i !== undefined && !this.tokenDead && Date.now() - i.createdAt < INTERACTION_TOKEN_MS;
  }

  private expired(): void {
    if (!this.tokenDead) this.log.warn("Discord: the command's interaction token has expired; answering in the channel (or a DM) instead.");
    this.tokenDead = true;
  }

  private readonly warned = new Set<string>();

  private warnOnce(what: string, message: string): void {
    if (this.warned.has(what)) return;
    this.warned.add(what);
    this.log.warn(message);
  }

  private prepare(): Promise<void> {
    this.prepared ??= this.startConversation().catch((err: unknown) => {
      this.prepared = null;
      throw err;
    });
    return this.prepared;
  }

  /** First post of a slash command: the reply announces the job and a thread is started from it. */
  private async startConversation(): Promise<void> {
    const interaction = this.opts.interaction;
    if (!interaction || !this.replyPending) return;
    this.replyPending = false;
    const reply = await interaction.editReply(clip(this.opts.header ?? 'Working on it…'));
    if (this.thread) return; // used inside a thread: answer there
    if (this.opts.permissions?.threads === false) {
      this.log.warn(`Discord: cannot start a thread in channel ${this.channel} (app_permissions lacks Create Public Threads); answering in the channel.`);
      return;
    }
    if (this.opts.permissions?.post === false) return; // answered through the command's reply: no thread
    try {
      const thread = (await this.rest.post(Routes.threads(this.channel, reply.id), {
        body: { name: (this.opts.threadName ?? 'tilestyle').slice(0, 100), auto_archive_duration: AUTO_ARCHIVE_MINUTES },
      })) as { id: string };
      this.thread = thread.id;
    } catch (err) {
      if (apiCode(err) === THREAD_EXISTS) {
        this.thread = reply.id;
      } else if (apiCode(err) === DM_CHANNEL) {
        // A direct message: the conversation simply continues there.
      } else if (isNotAllowed(err)) {
        this.log.warn(`Discord: cannot start a thread in channel ${this.channel} (missing Create Public Threads?); answering in the channel.`);
      } else {
        this.log.error('Discord: starting a thread failed; answering in the channel:', err);
      }
    }
  }

  /**
   * Posts in the thread or channel; where the channel is closed to the bot, through the command's
   * reply while its token lives (15 minutes), and after that in a direct message to the user.
   */
  private async send(content: string, files: Attachment[], mention: string[] = [], buttons: JobButton[] = []): Promise<string> {
    if (this.direct) return this.sendToChannel(this.direct, content, files, mention, buttons);
    if (!this.useWebhook && this.opts.permissions?.post === false && this.interactionAlive()) {
      this.log.warn(
        `Discord: cannot post in channel ${this.target()} (app_permissions lacks View Channel / Send Messages); answering through the command's reply instead.`,
      );
      this.useWebhook = true;
      this.thread = undefined;
    }
    if (this.useWebhook && this.interactionAlive()) {
      try {
        const message = await this.opts.interaction!.followUp(content, { ephemeral: false, files, buttons });
        this.sent.set(message.id, { id: message.id, viaWebhook: true });
        return message.id;
      } catch (err) {
        if (apiCode(err) !== INVALID_WEBHOOK_TOKEN) throw err;
        this.expired();
      }
    }
    try {
      return await this.sendToChannel(this.target(), content, files, mention, buttons);
    } catch (err) {
      if (!isNotAllowed(err)) throw err;
      if (this.interactionAlive()) {
        this.log.warn(
          `Discord: cannot post in channel ${this.target()} (missing View Channel / Send Messages?); answering through the command's reply instead.`,
        );
        this.useWebhook = true;
        this.thread = undefined;
        return this.send(content, files, mention, buttons);
      }
      this.direct = await this.openDirect();
      this.log.warn(`Discord: cannot post in channel ${this.target()} and the command's token has expired; answering the user in a direct message.`);
      return this.sendToChannel(this.direct, content, files, mention, buttons);
    }
  }

  /** The DM channel with the user (POST /users/@me/channels, channel resource "Create DM"). */
  private async openDirect(): Promise<string> {
    const dm = (await this.rest.post(Routes.userChannels(), { body: { recipient_id: this.user } })) as { id: string };
    return dm.id;
  }

  private async sendToChannel(channel: string, content: string, files: Attachment[], mention: string[], buttons: JobButton[]): Promise<string> {
    const body = (text: string, withFiles: boolean) => ({
      content: text,
      allowed_mentions: { parse: [], users: mention },
      ...(buttons.length > 0 ? { components: componentsOf(buttons) } : {}),
      ...(withFiles ? { attachments: attachmentsOf(files) } : {}),
    });
    const path = Routes.channelMessages(channel);
    if (files.length > 0 && this.opts.permissions?.files === false && channel === this.target()) {
      this.warnOnce('files', `Discord: cannot attach files in channel ${channel} (app_permissions lacks Attach Files); posting text only.`);
      files = [];
      content = clip(`${content}\n(I can't attach images here: I'm missing the Attach Files permission in this channel.)`);
    }
    const attempt = async (text: string, attached: Attachment[]) => {
      const message = (await this.rest.post(path, {
        body: { ...body(text, false), ...(attached.length > 0 ? { attachments: attachmentsOf(attached) } : {}) },
        ...(attached.length > 0 ? { files: uploadsOf(attached) } : {}),
      })) as { id: string };
      this.sent.set(message.id, { id: message.id, viaWebhook: false });
      return message.id;
    };
    try {
      return await attempt(content, files);
    } catch (err) {
      if (files.length > 0 && apiCode(err) === TOO_LARGE) return sendSmaller(content, files, attempt);
      if (files.length === 0 || !isNotAllowed(err)) throw err;
      this.log.warn(`Discord: cannot attach files in channel ${channel} (missing Attach Files); posting text only.`);
      const note = `${content}\n(I can't attach images here: I'm missing the Attach Files permission in this channel.)`;
      const message = (await this.rest.post(path, { body: body(clip(note), false) })) as { id: string };
      this.sent.set(message.id, { id: message.id, viaWebhook: false });
      return message.id;
    }
  }
}

/** Over the upload limit: the pictures again as JPEG, else the text with a note saying why there is no image. */
async function sendSmaller(content: string, files: Attachment[], attempt: (text: string, files: Attachment[]) => Promise<string>): Promise<string> {
  try {
    return await attempt(content, await asJpeg(files));
  } catch (err) {
    if (apiCode(err) !== TOO_LARGE) throw err;
    return attempt(clip(`${content}\n${TOO_LARGE_NOTE}`), []);
  }
}

/** Lets the commands reach a Discord thread again, e.g. for a job resumed after a restart. */
export function discordFrontend(rest: REST, log?: Log, budget?: EditBudget, permissionsIn?: (channel: string) => ChannelPermissions | undefined): Frontend {
  return {
    platform: 'discord',
    portFor(where: ThreadRef, user: { id: string }): ReplyPort {
      const permissions = permissionsIn?.(where.channel);
      return new DiscordReplyPort(rest, where, user.id, { ...(log ? { log } : {}), ...(budget ? { budget } : {}), ...(permissions ? { permissions } : {}) });
    },
  };
}

/** Wraps a deferred discord.js interaction for the port. */
export function interactionReply(
  interaction: {
    createdTimestamp: number;
    editReply(o: { content: string; allowedMentions: { parse: [] } }): Promise<{ id: string }>;
    deleteReply(): Promise<void>;
    followUp(o: object): Promise<{ id: string }>;
    webhook: { editMessage(id: string, o: object): Promise<unknown> };
  },
  ephemeral: boolean,
): InteractionReply {
  return {
    ephemeral,
    createdAt: interaction.createdTimestamp,
    editReply: (text) => interaction.editReply({ content: text, allowedMentions: { parse: [] } }),
    deleteReply: () => interaction.deleteReply(),
    followUp: (text, opts) =>
      interaction.followUp({
        content: text,
        allowedMentions: { parse: [] },
        ...(opts.ephemeral ? { flags: MessageFlags.Ephemeral } : {}),
        ...(opts.files?.length
          ? { files: opts.files.map((f) => ({ attachment: f.data, name: f.filename, ...(f.description ? { description: f.description } : {}) })) }
          : {}),
        ...(opts.buttons?.length ? { components: componentsOf(opts.buttons) } : {}),
      }),
    editFollowUp: async (id, text, files = [], buttons) =>
      void (await interaction.webhook.editMessage(id, {
        content: text,
        allowedMentions: { parse: [] },
        ...(buttons ? { components: componentsOf(buttons) } : {}),
        ...(files.length ? { files: files.map((f) => ({ attachment: f.data, name: f.filename })), attachments: [] } : {}),
      })),
  };
}
