/**
 * The Slack front end on Bolt: mentions with images, /stylize and /palette (images from the channel's
 * history), 🔁 / ❌ reactions. It translates Slack events into commands and nothing else.
 */
import type { AddressInfo } from 'node:net';
import { App, HTTPReceiver, LogLevel, webApi, type Logger, type types } from '@slack/bolt';
import { buttonRequest, parseButtonId } from '../../commands/buttons.js';
import { RecentIds } from '../shared/recent-ids.js';
import type { CommandHandler, CommandRequest, Frontend, ImageSource, Invocation, RawOptions, ReplyPort } from '../../commands/port.js';
import { ConfigError } from '../../config.js';
import type { SlackConfig } from './config.js';
import { imageSourceFor, fileName, resolveStub, type DownloadOptions, type SlackFile } from './files.js';
import { findRecentImages } from './find-images.js';
import { EditBudget } from '../shared/edit-budget.js';
import { escapeText, RESPONSE_URL_MS, SlackReplyPort, slackFrontend, type SlackPortOptions, type UploadState } from './reply-port.js';
import { adminText, commandArgument, historyError, mentionTooFew, parseCommandText, slackUsage, slashTooFew, stripMentions } from './requests.js';
import { SlackOperators } from './operators.js';
import { parseAdminText } from '../../commands/admin-text.js';

type WebClient = webApi.WebClient;

export interface SlackHandle {
  /** HTTP mode: where the receiver listens (Slack's Request URL is <url>/slack/events). */
  url?: string;
  stop(): Promise<void>;
}

export interface SlackStartOptions {
  /** Delays between look-ups of an upload's message (tests shorten them). */
  sharePollMs?: number[];
  log?: Pick<Console, 'error' | 'warn' | 'info'>;
}

const EVENTS_PATH = '/slack/events';
/** Slack retries an event it thinks was not received; the same event must not start a second job. */
const REMEMBERED_EVENTS = 1000;

/** A message that may carry a request: an app_mention, or a direct message to the bot. */
interface IncomingMessage {
  user?: string;
  channel: string;
  ts: string;
  thread_ts?: string;
  text?: string;
  files?: SlackFile[];
}

interface SlashCommand {
  user_id: string;
  user_name?: string;
  channel_id: string;
  text: string;
}

/** What a block_actions click says of itself (the fields used here). */
interface ButtonClick {
  user: { id: string; name?: string };
  channel?: { id: string };
  message?: { ts: string; thread_ts?: string };
  response_url?: string;
}

/** Reactions the bot acts on, by Slack's emoji name. */
const REACTIONS: Record<string, CommandRequest> = {
  repeat: { kind: 'rerun' },
  arrow_up: { kind: 'rerun', change: 'upscale' },
  x: { kind: 'cancel' },
  envelope: { kind: 'send' },
  email: { kind: 'send' },
};

/** reaction_added as Bolt types it; Slack's docs make item_user optional, so it is read as such. */
type ReactionEvent = Omit<types.ReactionAddedEvent, 'item_user'> & { item_user?: string };

/** The fields of a file in an event (Bolt's types allow null names), as SlackFile. */
function slackFile(file: {
  id: string;
  name?: string | null;
  title?: string | null;
  mimetype?: string;
  size?: number;
  url_private?: string;
  url_private_download?: string;
  mode?: string;
  file_access?: string;
}): SlackFile {
  const out: SlackFile = { id: file.id };
  if (file.name) out.name = file.name;
  if (file.title) out.title = file.title;
  if (file.mimetype) out.mimetype = file.mimetype;
  if (typeof file.size === 'number') out.size = file.size;
  if (file.url_private) out.url_private = file.url_private;
  if (file.url_private_download) out.url_private_download = file.url_private_download;
  if (file.mode) out.mode = file.mode;
  if (file.file_access) out.file_access = file.file_access;
  return out;
}

function incoming(event: types.AppMentionEvent | types.GenericMessageEvent | types.FileShareMessageEvent): IncomingMessage {
  const message: IncomingMessage = { channel: event.channel, ts: event.ts, text: event.text ?? '' };
  if (event.user) message.user = event.user;
  if (event.thread_ts) message.thread_ts = event.thread_ts;
  if (event.files) message.files = event.files.map(slackFile);
  return message;
}

function apiError(err: unknown): string {
  return (err as { data?: { error?: string } })?.data?.error ?? (err instanceof Error ? err.message : String(err));
}

class SlackFrontEnd {
  private botUserId = '';
  /** How users write the bot's name in messages, e.g. "@tilestyle". */
  private botName = '@tilestyle';
  private readonly inflight = new Set<Promise<void>>();
  private readonly seenEvents = new RecentIds(REMEMBERED_EVENTS);
  private readonly download: DownloadOptions;
  /** One for all of this front end's ports: whether uploads still carry alt text. */
  private readonly uploads: UploadState = { altText: true };
  /**
   * chat.update is Tier 3, "50+ per minute" per workspace (https://docs.slack.dev/apis/web-api/rate-limits):
   * the running jobs' progress edits share 40 a minute, leaving room for final edits and other calls.
   */
  private readonly budget = new EditBudget({ perMinute: 40, burst: 5 });
  private readonly operators: SlackOperators;
  /** The workspace the bot is installed in (auth.test), named as every command's server outside DMs. */
  private teamId = '';

  constructor(
    private readonly app: App,
    private readonly client: WebClient,
    /** For conversations.history/replies: a 429 is answered at once, not waited out (see find-images.ts). */
    private readonly historyClient: WebClient,
    private readonly commands: CommandHandler,
    config: SlackConfig,
    private readonly opts: SlackStartOptions,
    private readonly log: Pick<Console, 'error' | 'warn' | 'info'>,
  ) {
    this.operators = new SlackOperators(client, config.adminUsers, log);
    this.download = {
      token: config.botToken,
      allowedOrigins: config.fileOrigins,
      timeoutMs: config.downloadTimeoutMs,
      maxBytes: commands.limits.maxImageBytes,
    };
  }

  async identify(): Promise<void> {
    let res: webApi.AuthTestResponse;
    try {
      res = await this.client.auth.test();
    } catch (err) {
      if ((err as { code?: string }).code !== 'slack_webapi_platform_error') {
        throw new Error(`Slack: could not reach the Slack API to check the bot token (${apiError(err)}).`);
      }
      throw new ConfigError('SLACK_BOT_TOKEN', `was refused by Slack (${apiError(err)}). Copy the Bot User OAuth Token of the installed app.`);
    }
    this.botUserId = res.user_id ?? '';
    this.teamId = res.team_id ?? '';
    if (res.user) this.botName = `@${res.user}`;
  }

  register(): void {
    this.app.command('/stylize', async ({ command, ack, respond }) => {
      await ack();
      const until = Date.now() + RESPONSE_URL_MS;
      this.track(() => this.onSlash('stylize', command, (text) => respond({ response_type: 'ephemeral', text }).then(() => undefined), until));
    });
    this.app.command('/palette', async ({ command, ack, respond }) => {
      await ack();
      const until = Date.now() + RESPONSE_URL_MS;
      this.track(() => this.onSlash('palette', command, (text) => respond({ response_type: 'ephemeral', text }).then(() => undefined), until));
    });
    this.app.event('app_mention', async ({ event, body }) => {
      if (this.seen(body)) return;
      this.track(() => this.onMessage(incoming(event)));
    });
    // Direct messages to the bot work like mentions (no @ needed there). In channels, a message that
    // shares files and mentions the bot may come as a `file_share` message without any app_mention
    // (slackapi/bolt-python#925), or as both: it is acted on once, whichever arrives first.
    this.app.message(async ({ message, body }) => {
      if (message.subtype !== undefined && message.subtype !== 'file_share') return;
      if ('bot_id' in message && message.bot_id) return;
      const direct = message.channel_type === 'im';
      const mentionsBot = message.subtype === 'file_share' && this.botUserId !== '' && (message.text ?? '').includes(`<@${this.botUserId}>`);
      if (!direct && !mentionsBot) return;
      if (this.seen(body)) return;
      this.track(() => this.onMessage(incoming(message)));
    });
    this.app.event('reaction_added', async ({ event, body }) => {
      if (this.seen(body)) return;
      this.track(() => this.onReaction(event));
    });
    // Buttons: acknowledged at once (Slack wants it within 3 s), the work runs after.
    this.app.action({ type: 'block_actions', action_id: /^tilestyle:/ }, async ({ ack, body, action }) => {
      await ack();
      const id = (action as { action_id?: string }).action_id ?? '';
      this.track(() => this.onButton(body as unknown as ButtonClick, id));
    });
    this.app.error(async (error) => {
      this.log.error('Slack: error while handling a request:', error.message);
    });
  }

  frontend(): Frontend {
    return slackFrontend(this.client, this.portOptions());
  }

  async drain(): Promise<void> {
    await Promise.allSettled([...this.inflight]);
  }

  private portOptions(): Pick<SlackPortOptions, 'sharePollMs' | 'uploads' | 'budget'> {
    return { uploads: this.uploads, budget: this.budget, ...(this.opts.sharePollMs ? { sharePollMs: this.opts.sharePollMs } : {}) };
  }

  /** Work runs after the acknowledgement, so Slack gets its answer within 3 s however long it takes. */
  private track(work: () => Promise<void>): void {
    const run = work()
      .catch((err: unknown) => this.log.error('Slack: a request failed:', err))
      .finally(() => this.inflight.delete(run));
    this.inflight.add(run);
  }

  private readonly answeredMessages = new RecentIds(REMEMBERED_EVENTS);

  /** Whether a message was already acted on (remembered like events: the latest 1000). */
  private answered(key: string): boolean {
    return !this.answeredMessages.firstTime(key);
  }

  /**
   * Slack sends an event again (X-Slack-Retry-Num 1–3, the same event_id) when it did not see the
   * 2xx in 3 s, up to about five minutes later (Events API, "Error handling",
   * https://api.slack.com/apis/events-api#retries): a retry must not start a second job, also after a
   * restart in between, so the ids are kept with the jobs where the commands offer it.
   */
  private seen(body: unknown): boolean {
    const id = (body as { event_id?: string }).event_id;
    if (!id) return false;
    if (this.commands.firstSeen) {
      try {
        const repeat = !this.commands.firstSeen('slack', id);
        if (repeat) this.log.info(`Slack: event ${id} was handled before (Slack's retry); not acted on again.`);
        return repeat;
      } catch (err) {
        this.log.warn('Slack: could not record an event id; remembering it in memory only:', err);
      }
    }
    return !this.seenEvents.firstTime(id);
  }

  /** A DM (a D… channel) belongs to no workspace channel list: it names no server. */
  private async invocation(user: string, channel: string, thread?: string, name?: string): Promise<Invocation> {
    return {
      platform: 'slack',
      user: name ? { id: user, name } : { id: user },
      where: thread ? { channel, thread } : { channel },
      ...(this.teamId && !channel.startsWith('D') ? { server: this.teamId } : {}),
      admin: await this.operators.isOperator(user),
    };
  }

  /** help, status and cancel need no images; help starts with how to send them on Slack. */
  private async simpleCommand(command: 'help' | 'status' | 'cancel', invocation: Invocation, port: ReplyPort): Promise<void> {
    const request: CommandRequest = { kind: command };
    if (command !== 'help') return this.commands.handle(request, invocation, port);
    const usage = slackUsage(this.botName);
    const withUsage: ReplyPort = {
      post: (text, files) => port.post(text, files),
      update: (ref, text, files) => port.update(ref, text, files),
      react: (ref, reaction) => port.react(ref, reaction),
      whisper: (text) => port.whisper(`${usage}\n${text}`),
      where: () => port.where(),
    };
    return this.commands.handle(request, invocation, withUsage);
  }

  private async onSlash(kind: 'stylize' | 'palette', command: SlashCommand, respond: (text: string) => Promise<void>, respondUntil: number): Promise<void> {
    const { user_id: user, channel_id: channel } = command;
    const invocation = await this.invocation(user, channel, undefined, command.user_name);
    const control = adminText(command.text ?? '', this.botUserId);
    if (control !== null) {
      const port = new SlackReplyPort(this.client, channel, undefined, user, { ...this.portOptions(), respond, respondUntil });
      return this.commands.handle({ kind: 'admin', action: parseAdminText(control) }, invocation, port);
    }
    const parsed = parseCommandText(command.text ?? '', kind);
    if (parsed.command === 'help' || parsed.command === 'status' || parsed.command === 'cancel' || parsed.command === 'settings') {
      const port = new SlackReplyPort(this.client, channel, undefined, user, { ...this.portOptions(), respond, respondUntil });
      if (parsed.command === 'settings') return this.commands.handle({ kind: 'settings', options: parsed.options }, invocation, port);
      return this.simpleCommand(parsed.command, invocation, port);
    }
    if (parsed.command === 'show') {
      const jobId = commandArgument(command.text ?? '');
      const parentText = `<@${user}> asked to see job ${escapeText(jobId.slice(0, 64))} again`;
      const port = new SlackReplyPort(this.client, channel, undefined, user, { ...this.portOptions(), respond, respondUntil, parentText });
      return this.commands.handle({ kind: 'show', jobId }, invocation, port);
    }
    const job = parsed.command;
    const needed = job === 'stylize' ? 2 : 1;
    const found = await findRecentImages(this.historyClient, channel, user, needed, this.log);
    if (!found.ok) {
      await respond(escapeText(historyError(found.error, this.botName)));
      return;
    }
    if (found.images.length < needed) {
      await respond(
        escapeText(
          slashTooFew(
            job,
            found.images.map((i) => ({ name: fileName(i.file) })),
            this.botName,
          ),
        ),
      );
      return;
    }
    // Answer in the thread the images came from; otherwise start one under a message saying what was asked.
    const threads = new Set(found.images.map((i) => i.thread));
    const thread = threads.size === 1 ? [...threads][0] : undefined;
    const names = found.images.map((i) => `*${escapeText(fileName(i.file))}*`);
    const what = job === 'stylize' ? `content ${names[0]}, style ${names[1]}` : `style ${names[0]}`;
    const optionText = (command.text ?? '').trim();
    const parentText = `<@${user}> asked for /${job}${optionText ? ` ${escapeText(optionText)}` : ''} — ${what}`;
    const port = new SlackReplyPort(this.client, channel, thread, user, { ...this.portOptions(), respond, respondUntil, parentText });
    const sources = found.images.map((i) => imageSourceFor(i.file, this.download));
    await this.commands.handle(this.jobRequest(job, sources, parsed.options), await this.invocation(user, channel, thread, command.user_name), port);
  }

  private jobRequest(kind: 'stylize' | 'palette', sources: ImageSource[], options: RawOptions): CommandRequest {
    return kind === 'stylize'
      ? { kind: 'stylize', content: sources[0]!, style: sources[1]!, options }
      : { kind: 'palette', style: sources[sources.length - 1]!, options };
  }

  private async onMessage(message: IncomingMessage): Promise<void> {
    const user = message.user;
    if (!user || user === this.botUserId) return;
    // The same message as app_mention and as a file_share message: one answer.
    if (this.answered(`${message.channel}:${message.ts}`)) return;
    const inThread = message.thread_ts !== undefined && message.thread_ts !== message.ts;
    const thread = message.thread_ts ?? message.ts;
    const port = new SlackReplyPort(this.client, message.channel, thread, user, { ...this.portOptions(), threadStarted: inThread });
    const invocation = await this.invocation(user, message.channel, thread);
    const control = adminText(message.text ?? '', this.botUserId);
    if (control !== null) return this.commands.handle({ kind: 'admin', action: parseAdminText(control) }, invocation, port);
    const files = await this.fullFiles(message.files ?? []);
    const parsed = parseCommandText(stripMentions(message.text ?? ''), 'stylize');
    if (parsed.command === 'settings') return this.commands.handle({ kind: 'settings', options: parsed.options }, invocation, port);
    if (parsed.command === 'help' || parsed.command === 'status' || parsed.command === 'cancel') {
      return this.simpleCommand(parsed.command, invocation, port);
    }
    if (parsed.command === 'show') return this.commands.handle({ kind: 'show', jobId: commandArgument(stripMentions(message.text ?? '')) }, invocation, port);
    const kind = parsed.command;
    const needed = kind === 'stylize' ? 2 : 1;
    if (files.length < needed) {
      await port.whisper(mentionTooFew(kind, files.length, this.botName));
      return;
    }
    // Non-image files are passed on as they are: the commands name the file and say what is wrong with it.
    const sources = files.slice(0, kind === 'stylize' ? 2 : files.length).map((f) => imageSourceFor(f, this.download));
    await this.commands.handle(this.jobRequest(kind, sources, parsed.options), invocation, port);
  }

  /** Events may carry only a stub of a file (file_access: check_file_info); files.info has the rest. */
  private async fullFiles(files: SlackFile[]): Promise<SlackFile[]> {
    return Promise.all(files.map((file) => resolveStub(this.client, file, this.log)));
  }

  private async onReaction(event: ReactionEvent): Promise<void> {
    // Our own 🔁 and ❌ (put on every result and status message) are not requests.
    if (!event.user || event.user === this.botUserId) return;
    const name = event.reaction.split('::')[0] ?? '';
    const asked = Object.hasOwn(REACTIONS, name) ? REACTIONS[name] : undefined;
    if (!asked || event.item.type !== 'message' || !event.item.channel || !event.item.ts) return;
    // Only reactions on the bot's own messages can refer to a job.
    if (event.item_user && this.botUserId && event.item_user !== this.botUserId) return;
    const { channel, ts } = event.item;
    const thread = (await this.threadOf(channel, ts)) ?? ts;
    const port = new SlackReplyPort(this.client, channel, thread, event.user, this.portOptions());
    await this.commands.handle({ ...asked, messageId: ts } as CommandRequest, await this.invocation(event.user, channel, thread), port);
  }

  /**
   * A button under a result or a status. Its action_id names the job, so it works on old messages
   * and after a restart; refusals go to the clicking user alone (postEphemeral in the thread, else
   * the click's response_url), the new job's messages into the thread of the clicked message.
   */
  private async onButton(click: ButtonClick, actionId: string): Promise<void> {
    const parsed = parseButtonId(actionId);
    const channel = click.channel?.id;
    const message = click.message;
    if (!parsed || !channel || !message) return;
    const thread = message.thread_ts ?? message.ts;
    const responseUrl = click.response_url;
    const respondUntil = Date.now() + RESPONSE_URL_MS;
    const respond = responseUrl
      ? async (text: string) => {
          const res = await fetch(responseUrl, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ response_type: 'ephemeral', replace_original: false, text }),
            signal: AbortSignal.timeout(10_000),
          });
          await res.body?.cancel().catch(() => undefined);
          if (!res.ok) throw new Error(`Slack refused the response_url reply (${res.status})`);
        }
      : undefined;
    const port = new SlackReplyPort(this.client, channel, thread, click.user.id, { ...this.portOptions(), ...(respond ? { respond, respondUntil } : {}) });
    await this.commands.handle(buttonRequest(parsed), await this.invocation(click.user.id, channel, thread, click.user.name), port);
  }

  /** The thread a message belongs to (reaction events say only which message). */
  private async threadOf(channel: string, ts: string): Promise<string | undefined> {
    try {
      const res = await this.client.conversations.replies({ channel, ts, limit: 1 });
      const message = (res.messages ?? []).find((m) => m.ts === ts) ?? res.messages?.[0];
      return message?.thread_ts;
    } catch (err) {
      this.log.warn(`Slack: could not find the thread of a message: ${apiError(err)}`);
      return undefined;
    }
  }
}

/** Bolt's warnings and errors go to our log; its debug output (request dumps) never does. */
function boltLogger(log: Pick<Console, 'error' | 'warn'>): Logger {
  let level = LogLevel.WARN;
  return {
    debug: () => undefined,
    info: () => undefined,
    warn: (...msg: unknown[]) => log.warn('Slack:', ...msg),
    error: (...msg: unknown[]) => log.error('Slack:', ...msg),
    setLevel: (next: LogLevel) => void (level = next),
    getLevel: () => level,
    setName: () => undefined,
  };
}

/** Starts the Slack front end: Socket Mode with an app token, else an HTTP receiver that Bolt guards with the signing secret. */
export async function startSlack(config: SlackConfig, commands: CommandHandler, opts: SlackStartOptions = {}): Promise<SlackHandle> {
  const log = opts.log ?? console;
  const logger = boltLogger(log);
  const clientOptions: webApi.WebClientOptions = {
    // A failing call should fail soon rather than retry for half an hour: the client honours a 429's
    // Retry-After but counts each wait as a retry, so a longer rate-limit storm ends in an error that
    // the commands try again later (JobReplies) or answer plainly.
    retryConfig: { retries: 2, factor: 2, minTimeout: 500, maxTimeout: 2000 },
    ...(config.apiUrl ? { slackApiUrl: config.apiUrl } : {}),
  };
  const receiver = config.mode === 'http' ? new HTTPReceiver({ signingSecret: config.signingSecret!, endpoints: EVENTS_PATH, logger }) : undefined;
  const app = new App({
    token: config.botToken,
    ...(receiver ? { receiver } : { socketMode: true, appToken: config.appToken! }),
    clientOptions,
    logger,
    deferInitialization: true,
  });
  const historyClient = new webApi.WebClient(config.botToken, {
    ...clientOptions,
    logger,
    rejectRateLimitedCalls: true,
    retryConfig: { retries: 1, factor: 2, minTimeout: 500, maxTimeout: 2000 },
  });
  const frontEnd = new SlackFrontEnd(app, app.client, historyClient, commands, config, opts, log);
  await frontEnd.identify();
  await app.init();
  frontEnd.register();
  commands.registerFrontend(frontEnd.frontend());

  let url: string | undefined;
  if (receiver) {
    const server = await app.start({ port: config.port, ...(config.host ? { host: config.host } : {}) });
    const address = server.address() as AddressInfo;
    const host = config.host ?? 'localhost';
    url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
    log.info(`Slack: listening for events on ${url}${EVENTS_PATH} (HTTP mode).`);
  } else {
    try {
      await app.start();
    } catch (err) {
      await app.stop().catch(() => undefined);
      if ((err as { code?: string }).code !== 'slack_webapi_platform_error') throw err;
      throw new ConfigError(
        'SLACK_APP_TOKEN',
        `was refused by Slack (${apiError(err)}). Use an app-level token (xapp-…) with the connections:write scope, and turn Socket Mode on for the app.`,
      );
    }
    log.info('Slack: connected in Socket Mode.');
  }
  let stopped = false;
  return {
    ...(url ? { url } : {}),
    async stop() {
      if (stopped) return;
      stopped = true;
      await app.stop();
      await frontEnd.drain();
    },
  };
}
