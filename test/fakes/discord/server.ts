/**
 * A fake Discord on 127.0.0.1 for tests, speaking the real protocol to the real discord.js client:
 * the REST API (v10) that the front end calls, a CDN for attachments, and the gateway WebSocket
 * (HELLO → IDENTIFY → READY → GUILD_CREATE, heartbeats, RESUME → RESUMED, dispatches). Every REST
 * call is recorded with its JSON body or multipart files; messages and threads are kept in memory
 * so fetches answer like Discord does. Shapes follow Discord's documentation.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { Conditions } from '../../helpers/conditions.js';

const DISCORD_EPOCH = 1420070400000n;
let increment = 0n;

/** A snowflake for now, so discord.js derives a current createdTimestamp from it. */
export function snowflake(): string {
  increment = (increment + 1n) & 0xfffn;
  return (((BigInt(Date.now()) - DISCORD_EPOCH) << 22n) | increment).toString();
}

export interface RecordedFile {
  field: string;
  name: string;
  contentType: string;
  data: Buffer;
}

export interface RecordedRequest {
  method: string;
  /** Path after /api/v10, e.g. /channels/1/messages (percent-encoding kept). */
  path: string;
  query: URLSearchParams;
  body: Record<string, unknown> | null;
  files: RecordedFile[];
  at: number;
  /** The id of the message the request created, if it created one. */
  messageId?: string;
  /** The HTTP status the fake answered with. */
  status?: number;
}

/**
 * Per-route rate limits, as Discord's rate-limits topic describes them
 * (https://discord.com/developers/docs/topics/rate-limits): each route has a bucket (channel routes
 * per channel, the "major parameter"); every answer carries X-RateLimit-Limit, -Remaining, -Reset,
 * -Reset-After and -Bucket; past the limit the answer is 429 with Retry-After and a JSON body with
 * `retry_after` (seconds) and `global: false`. Discord publishes no numbers: these are the ones
 * commonly observed, and tests may shrink the windows.
 */
export interface RateLimits {
  /** POST and PATCH of messages in one channel share a bucket. */
  messages: { limit: number; windowMs: number };
  /** Adding reactions in one channel. */
  reactions: { limit: number; windowMs: number };
}

export const DISCORD_RATE_LIMITS: RateLimits = {
  messages: { limit: 5, windowMs: 5000 },
  reactions: { limit: 1, windowMs: 250 },
};

/** Interaction tokens are valid for 15 minutes (interactions, "Receiving and Responding"). */
export const INTERACTION_TOKEN_MS = 15 * 60 * 1000;
/**
 * "You must send an initial response within 3 seconds of receiving the event. If the 3 second
 * deadline is exceeded, the token will be invalidated" (https://discord.com/developers/docs/interactions/receiving-and-responding#responding-to-an-interaction);
 * a late callback gets 404 Unknown interaction (10062, topics/opcodes-and-status-codes).
 */
export const INITIAL_RESPONSE_MS = 3000;

/** Permission bits (topics/permissions). */
export const PERMISSION = {
  ADMINISTRATOR: 1n << 3n,
  MANAGE_GUILD: 1n << 5n,
  ADD_REACTIONS: 1n << 6n,
  VIEW_CHANNEL: 1n << 10n,
  SEND_MESSAGES: 1n << 11n,
  MANAGE_MESSAGES: 1n << 13n,
  ATTACH_FILES: 1n << 15n,
  READ_MESSAGE_HISTORY: 1n << 16n,
  MANAGE_THREADS: 1n << 34n,
  CREATE_PUBLIC_THREADS: 1n << 35n,
  SEND_MESSAGES_IN_THREADS: 1n << 38n,
} as const;

/** Gateway intents (events/gateway, "List of Intents"). */
export const INTENT = { GUILDS: 1 << 0, GUILD_MESSAGE_REACTIONS: 1 << 10, DIRECT_MESSAGE_REACTIONS: 1 << 13 } as const;

interface FakeUser {
  id: string;
  username: string;
  discriminator: string;
  global_name: string | null;
  avatar: null;
  bot?: boolean;
}

interface FakeMessage {
  id: string;
  channel_id: string;
  author: FakeUser;
  content: string;
  attachments: { id: string; filename: string; size: number; url: string; proxy_url: string; content_type: string }[];
  type: number;
  webhook_id?: string;
  flags: number;
  /** Message components (action rows of buttons), as the bot last set them. */
  components: Record<string, unknown>[];
}

export interface AttachmentSpec {
  filename: string;
  contentType: string;
  data: Buffer;
  width?: number;
  height?: number;
}

/** A thread the bot started (archived by a test, as Discord does after inactivity). */
export interface FakeThread {
  id: string;
  parent_id: string;
  name: string;
  archived: boolean;
  locked: boolean;
  auto_archive_duration: number;
}

/** Which REST actions answer 403 Missing Permissions, as Discord does when the bot lacks them. */
export interface Denials {
  threads?: boolean;
  files?: boolean;
  reactions?: boolean;
  /** Channel messages at all (403 Missing Access, code 50001). */
  channel?: boolean;
  /** Manage Threads: without it, a locked thread takes no messages (160005). */
  manageThreads?: boolean;
  /** Manage Messages: without it, only the bot's own messages can be deleted (50013). */
  manageMessages?: boolean;
}

const ALL_PERMISSIONS = '2251799813685247';
/**
 * A plain member's permissions: everything but Administrator and Manage Server, so the bot's admin
 * check has someone to refuse; setMember() gives a member other permissions or roles.
 */
const MEMBER_PERMISSIONS = BigInt(ALL_PERMISSIONS) & ~(1n << 3n) & ~(1n << 5n);

/**
 * What Discord refuses in a command or option it is asked to register
 * (interactions/application-commands, "Application Command Naming" and "Application Command Object"):
 * a name of 1–32 lowercase letters, digits, '-' or '_'; a description of 1–100 characters; at most
 * 25 options (or subcommands) at each level.
 */
function commandProblem(command: Record<string, unknown>, depth = 0): string | null {
  const name = String(command.name ?? '');
  if (!/^[-_\p{Ll}\p{Lo}\p{N}]{1,32}$/u.test(name)) return `invalid name "${name}"`;
  const description = String(command.description ?? '');
  if (description.length < 1 || description.length > 100) return `"${name}": a description is 1 to 100 characters`;
  const options = Array.isArray(command.options) ? (command.options as Record<string, unknown>[]) : [];
  if (options.length > 25) return `"${name}": at most 25 options`;
  if (depth > 2) return `"${name}": nested too deep`;
  for (const option of options) {
    const problem = commandProblem(option, depth + 1);
    if (problem) return problem;
  }
  return null;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function send(res: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status);
    res.end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/**
 * What Discord refuses in a message's `components` (https://discord.com/developers/docs/components/reference):
 * at most 5 action rows (type 1), each with 1–5 buttons (type 2); a non-link button needs a
 * custom_id of at most 100 characters and a style 1–4; a label is at most 80 characters.
 */
function componentProblem(body: Record<string, unknown> | null): string | null {
  if (!body || !('components' in body)) return null;
  const rows = body.components;
  if (!Array.isArray(rows)) return 'components must be an array';
  if (rows.length > 5) return 'at most 5 action rows';
  for (const row of rows as Record<string, unknown>[]) {
    if (row.type !== 1 || !Array.isArray(row.components)) return 'a top-level component must be an action row (type 1)';
    const buttons = row.components as Record<string, unknown>[];
    if (buttons.length < 1 || buttons.length > 5) return 'an action row holds 1 to 5 buttons';
    for (const b of buttons) {
      if (b.type !== 2) return 'only buttons (type 2) are expected here';
      if (typeof b.label === 'string' && [...b.label].length > 80) return 'a button label is at most 80 characters';
      if (b.style === 5) continue;
      if (typeof b.custom_id !== 'string' || b.custom_id.length < 1 || b.custom_id.length > 100) return 'a button needs a custom_id of 1 to 100 characters';
      if (typeof b.style !== 'number' || b.style < 1 || b.style > 4) return 'a button style is 1 to 4 (5 is a link)';
    }
  }
  return null;
}

export class FakeDiscord {
  readonly token = 'fake-bot-token.not-a-secret';
  readonly appId = snowflake();
  readonly guildId = snowflake();
  readonly channelId = snowflake();
  readonly bot: FakeUser = { id: snowflake(), username: 'tilestyle', discriminator: '0000', global_name: null, avatar: null, bot: true };
  readonly requests: RecordedRequest[] = [];
  readonly messages = new Map<string, FakeMessage>();
  readonly threads = new Map<string, FakeThread>();
  readonly users = new Map<string, FakeUser>([[this.bot.id, this.bot]]);
  /** The guild's roles besides @everyone (sent with the guild when the client connects: add them before). */
  readonly roles: { id: string; name: string }[] = [];
  /** Members' own permission totals and role ids, where set (setMember). */
  private readonly memberships = new Map<string, { permissions?: bigint; roles?: string[] }>();
  /** Gateway opcodes the clients sent, in order (heartbeats left out). */
  readonly gatewayLog: { op: number; d: unknown }[] = [];
  denials: Denials = {};
  /** Per-route rate limits (off unless a test sets them; see RateLimits). */
  rateLimits: RateLimits | null = null;
  /** The intents the client identified with; events they do not cover are not sent (events/gateway). */
  intents = 0;
  /** Dispatches left out because the client did not ask for their intent. */
  readonly withheld: string[] = [];
  /** How far the fake's clock is ahead of the real one (token expiry), moved by advanceClock(). */
  private clockOffsetMs = 0;
  /** When each interaction token was issued, on the fake's clock. */
  private readonly tokenIssued = new Map<string, number>();
  private readonly buckets = new Map<string, { count: number; resetAt: number }>();
  /** How many times a request took the last place in its bucket (the limit was reached, not passed). */
  bucketsFilled = 0;
  /**
   * Largest file Discord takes in a message: 10 MiB by default (Discord's "Uploading Files" reference;
   * the interaction's attachment_size_limit says the same); over it, 413 with code 40005.
   */
  uploadLimit = 10 * 2 ** 20;
  /** Direct-message channels (type 1), by id, with their one recipient. */
  readonly dms = new Map<string, FakeUser>();
  /** Users who take no DMs from the bot (privacy settings): 403 with 50007 "Cannot send messages to this user". */
  readonly closedDms = new Set<string>();
  private readonly cdn = new Map<string, { data: Buffer; contentType: string }>();
  private readonly sockets = new Set<WebSocket>();
  private readonly conditions = new Conditions();
  private readonly server: Server;
  private readonly wss = new WebSocketServer({ noServer: true });
  private port = 0;
  private current: RecordedRequest | null = null;
  private sessionId = '';
  private seq = 0;
  private socket: WebSocket | null = null;

  constructor(private readonly fixturesDir: string) {
    this.server = createServer((req, res) => {
      this.route(req, res).catch((err: unknown) => {
        if (!res.headersSent) send(res, 500, { message: String(err), code: 0 });
      });
    });
    this.server.on('upgrade', (req, socket, head) => {
      if (!req.url?.startsWith('/gateway')) return socket.destroy();
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onGateway(ws, new URL(req.url!, 'http://x').searchParams));
    });
  }

  async start(): Promise<void> {
    // Node closes idle keep-alive connections after 5 s, racing a client that reuses one (ECONNRESET);
    // Discord's own servers keep them far longer.
    this.server.keepAliveTimeout = 120_000;
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The REST base for discord.js (`rest.api`). */
  get apiUrl(): string {
    return `${this.origin}/api`;
  }

  async stop(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** A role of the guild; returns its id. */
  addRole(name: string): string {
    const id = snowflake();
    this.roles.push({ id, name });
    return id;
  }

  /** Gives a member their total permissions (default: a plain member's) and role ids. */
  setMember(user: FakeUser, membership: { permissions?: bigint; roles?: string[] }): void {
    this.memberships.set(user.id, membership);
  }

  addUser(username: string, bot = false): FakeUser {
    const user: FakeUser = { id: snowflake(), username, discriminator: '0', global_name: username, avatar: null, ...(bot ? { bot } : {}) };
    this.users.set(user.id, user);
    return user;
  }

  /** Puts a file on the fake CDN; returns its resolved attachment object for an interaction. */
  async attachment(spec: AttachmentSpec | string): Promise<Record<string, unknown>> {
    const file: AttachmentSpec =
      typeof spec === 'string'
        ? { filename: spec, contentType: spec.endsWith('.png') ? 'image/png' : 'image/jpeg', data: await readFile(path.join(this.fixturesDir, spec)) }
        : spec;
    const id = snowflake();
    this.cdn.set(`${id}/${file.filename}`, { data: file.data, contentType: file.contentType });
    const url = `${this.origin}/cdn/attachments/${this.channelId}/${id}/${encodeURIComponent(file.filename)}`;
    return {
      id,
      filename: file.filename,
      size: file.data.length,
      url,
      proxy_url: url,
      content_type: file.contentType,
      ...(file.width ? { width: file.width, height: file.height } : {}),
    };
  }

  /** The DM channel between the bot and a user. */
  dmWith(user: FakeUser): string {
    for (const [id, recipient] of this.dms) if (recipient.id === user.id) return id;
    const id = snowflake();
    this.dms.set(id, user);
    return id;
  }

  /** A message a user wrote (it exists only on the server; the bot has no reason to know it). */
  userMessage(user: FakeUser, channelId: string, text: string): string {
    const message: FakeMessage = { id: snowflake(), channel_id: channelId, author: user, content: text, attachments: [], type: 0, flags: 0, components: [] };
    this.messages.set(message.id, message);
    return message.id;
  }

  /** Moves the fake's clock on (for token expiry) without waiting. */
  advanceClock(ms: number): void {
    this.clockOffsetMs += ms;
  }

  private now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  /** Answers that count toward Discord's invalid-request limit (401, 403 and 429; topics/rate-limits). */
  invalidRequests(from = 0): RecordedRequest[] {
    return this.requests.slice(from).filter((r) => r.status === 401 || r.status === 403 || r.status === 429);
  }

  /** The bot's permissions in the channel, as `app_permissions` says them: all but what `denials` takes away. */
  /**
   * What every interaction in a guild channel or thread carries besides its type and data
   * (https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-object).
   */
  private guildInteractionFields(thread: { id: string; parent_id: string; name: string } | undefined, user: FakeUser, token: string) {
    return {
      channel: thread
        ? { id: thread.id, type: 11, guild_id: this.guildId, parent_id: thread.parent_id, name: thread.name, permissions: ALL_PERMISSIONS }
        : { ...this.channel(), permissions: ALL_PERMISSIONS },
      // The member's total permissions in the channel, overwrites included: sent with interactions only
      // (resources/guild, "Guild Member Object": `permissions`).
      member: { ...this.member(user), permissions: String(this.memberships.get(user.id)?.permissions ?? MEMBER_PERMISSIONS) },
      token,
      version: 1,
      app_permissions: this.appPermissions(),
      locale: 'en-US',
      guild_locale: 'en-US',
      entitlements: [],
      authorizing_integration_owners: { '0': this.guildId },
      context: 0,
      attachment_size_limit: 10485760,
    };
  }

  appPermissions(): string {
    let bits = BigInt(ALL_PERMISSIONS);
    if (this.denials.threads) bits &= ~PERMISSION.CREATE_PUBLIC_THREADS;
    if (this.denials.files) bits &= ~PERMISSION.ATTACH_FILES;
    if (this.denials.reactions) bits &= ~PERMISSION.ADD_REACTIONS;
    if (this.denials.channel) bits &= ~(PERMISSION.VIEW_CHANNEL | PERMISSION.SEND_MESSAGES | PERMISSION.SEND_MESSAGES_IN_THREADS);
    if (this.denials.manageThreads) bits &= ~PERMISSION.MANAGE_THREADS;
    if (this.denials.manageMessages) bits &= ~PERMISSION.MANAGE_MESSAGES;
    return bits.toString();
  }

  /** A 429 for a request over its bucket, else the bucket's headers on the way out; true when answered. */
  private rateLimited(method: string, route: string, res: ServerResponse): boolean {
    const limits = this.rateLimits;
    if (!limits) return false;
    let m: RegExpExecArray | null;
    let key: string | undefined;
    let rule: { limit: number; windowMs: number } | undefined;
    if ((m = /^\/channels\/(\d+)\/messages(\/\d+)?$/.exec(route)) && (method === 'POST' || method === 'PATCH')) {
      key = `messages:${m[1]}`;
      rule = limits.messages;
    } else if (method === 'PUT' && (m = /^\/channels\/(\d+)\/messages\/\d+\/reactions\//.exec(route))) {
      key = `reactions:${m[1]}`;
      rule = limits.reactions;
    }
    if (!key || !rule) return false;
    const now = Date.now();
    let bucket = this.buckets.get(key);
    if (!bucket || now >= bucket.resetAt) {
      bucket = { count: 0, resetAt: now + rule.windowMs };
      this.buckets.set(key, bucket);
    }
    const resetAfter = Math.max(0, bucket.resetAt - now) / 1000;
    const hash = key.split(':')[0]!;
    res.setHeader('X-RateLimit-Limit', String(rule.limit));
    res.setHeader('X-RateLimit-Reset', String(bucket.resetAt / 1000));
    res.setHeader('X-RateLimit-Reset-After', resetAfter.toFixed(3));
    res.setHeader('X-RateLimit-Bucket', `fake-${hash}`);
    if (bucket.count >= rule.limit) {
      res.setHeader('X-RateLimit-Remaining', '0');
      res.setHeader('X-RateLimit-Scope', 'user');
      res.setHeader('Retry-After', String(Math.ceil(resetAfter)));
      send(res, 429, { message: 'You are being rate limited.', retry_after: resetAfter, global: false });
      return true;
    }
    bucket.count += 1;
    if (bucket.count === rule.limit) this.bucketsFilled += 1;
    res.setHeader('X-RateLimit-Remaining', String(rule.limit - bucket.count));
    return false;
  }

  /** 401 Invalid Webhook Token (50027) for an interaction token older than 15 minutes; true when answered. */
  private tokenExpired(route: string, res: ServerResponse): boolean {
    const m = /^\/(?:webhooks\/\d+|interactions\/\d+)\/([^/]+)/.exec(route);
    const issued = m ? this.tokenIssued.get(m[1]!) : undefined;
    if (issued === undefined || this.now() - issued < INTERACTION_TOKEN_MS) return false;
    send(res, 401, { message: 'Invalid Webhook Token', code: 50027 });
    return true;
  }

  // ---- gateway ----

  private onGateway(ws: WebSocket, query: URLSearchParams): void {
    this.sockets.add(ws);
    ws.on('close', () => this.sockets.delete(ws));
    if (query.get('v') !== '10' || query.get('encoding') !== 'json') {
      ws.close(4012, 'Invalid API version');
      return;
    }
    ws.on('message', (raw) => this.onPayload(ws, JSON.parse(raw.toString()) as { op: number; d: Record<string, unknown> }));
    ws.send(JSON.stringify({ op: 10, d: { heartbeat_interval: 41250 }, s: null, t: null }));
  }

  private onPayload(ws: WebSocket, payload: { op: number; d: Record<string, unknown> }): void {
    if (payload.op === 1) {
      ws.send(JSON.stringify({ op: 11, d: null, s: null, t: null }));
      return;
    }
    this.gatewayLog.push({ op: payload.op, d: payload.d });
    this.notify();
    if (payload.op === 2) {
      if (payload.d.token !== this.token) return ws.close(4004, 'Authentication failed.');
      this.intents = Number(payload.d.intents ?? 0);
      this.socket = ws;
      this.sessionId = `session-${snowflake()}`;
      this.seq = 0;
      this.dispatch('READY', {
        v: 10,
        user: { ...this.bot, verified: true, mfa_enabled: false, flags: 0 },
        guilds: [{ id: this.guildId, unavailable: true }],
        session_id: this.sessionId,
        resume_gateway_url: `ws://127.0.0.1:${this.port}/gateway`,
        shard: [0, 1],
        application: { id: this.appId, flags: 0 },
        private_channels: [],
      });
      this.dispatch('GUILD_CREATE', this.guild());
    } else if (payload.op === 6) {
      if (payload.d.token !== this.token || payload.d.session_id !== this.sessionId) {
        ws.send(JSON.stringify({ op: 9, d: false, s: null, t: null }));
        return;
      }
      this.socket = ws;
      this.dispatch('RESUMED', {});
    }
  }

  /**
   * Sends a dispatch (op 0) on the current gateway connection, unless the client's intents leave it
   * out (events/gateway: reactions need GUILD_MESSAGE_REACTIONS in a guild and
   * DIRECT_MESSAGE_REACTIONS in a DM; guilds and threads need GUILDS; interactions always come).
   */
  dispatch(t: string, d: unknown): void {
    if (!this.socket) throw new Error('no gateway connection');
    const needed =
      t === 'MESSAGE_REACTION_ADD'
        ? (d as { guild_id?: string }).guild_id
          ? INTENT.GUILD_MESSAGE_REACTIONS
          : INTENT.DIRECT_MESSAGE_REACTIONS
        : /^(GUILD_CREATE|THREAD_)/.test(t)
          ? INTENT.GUILDS
          : 0;
    if (needed !== 0 && (this.intents & needed) === 0) {
      this.withheld.push(t);
      return;
    }
    this.socket.send(JSON.stringify({ op: 0, t, s: ++this.seq, d }));
  }

  /** Closes the gateway connection as Discord does on a server-side problem (4000: resumable). */
  dropConnection(code = 4000): void {
    const ws = this.socket;
    this.socket = null;
    ws?.close(code, 'Unknown error');
  }

  /** The session id READY gave out, which a RESUME must quote. */
  get session(): string {
    return this.sessionId;
  }

  get connected(): boolean {
    return this.socket !== null;
  }

  private member(user: FakeUser): Record<string, unknown> {
    return {
      user,
      roles: this.memberships.get(user.id)?.roles ?? [],
      joined_at: new Date().toISOString(),
      deaf: false,
      mute: false,
      flags: 0,
      nick: null,
      avatar: null,
      premium_since: null,
      pending: false,
    };
  }

  private channel(): Record<string, unknown> {
    return {
      id: this.channelId,
      type: 0,
      guild_id: this.guildId,
      name: 'general',
      position: 0,
      permission_overwrites: [],
      parent_id: null,
      nsfw: false,
      topic: null,
      last_message_id: null,
      rate_limit_per_user: 0,
    };
  }

  private guild(): Record<string, unknown> {
    return {
      id: this.guildId,
      name: 'Test guild',
      icon: null,
      owner_id: this.bot.id,
      afk_channel_id: null,
      afk_timeout: 300,
      verification_level: 0,
      default_message_notifications: 0,
      explicit_content_filter: 0,
      roles: [
        {
          id: this.guildId,
          name: '@everyone',
          permissions: ALL_PERMISSIONS,
          position: 0,
          color: 0,
          hoist: false,
          managed: false,
          mentionable: false,
          flags: 0,
        },
        ...this.roles.map((r, i) => ({ ...r, permissions: '0', position: i + 1, color: 0, hoist: false, managed: false, mentionable: false, flags: 0 })),
      ],
      emojis: [],
      stickers: [],
      features: [],
      mfa_level: 0,
      application_id: null,
      system_channel_id: null,
      system_channel_flags: 0,
      rules_channel_id: null,
      joined_at: new Date().toISOString(),
      large: false,
      unavailable: false,
      member_count: 1,
      voice_states: [],
      members: [this.member(this.bot)],
      channels: [this.channel()],
      threads: [],
      presences: [],
      stage_instances: [],
      guild_scheduled_events: [],
      premium_tier: 0,
      preferred_locale: 'en-US',
      nsfw_level: 0,
      premium_progress_bar_enabled: false,
    };
  }

  /** Sends INTERACTION_CREATE for a slash command; returns the interaction's id and token. */
  interaction(
    user: FakeUser,
    name: string,
    options: { name: string; type: number; value?: unknown; options?: unknown[] }[],
    attachments: Record<string, unknown>[] = [],
    channelId = this.channelId,
  ): { id: string; token: string } {
    const id = snowflake();
    const token = `interaction-token-${id}`;
    this.tokenIssued.set(token, this.now());
    this.delivered.set(token, this.now());
    const thread = this.threads.get(channelId);
    const dm = this.dms.get(channelId);
    if (dm) this.tokenChannels.set(token, channelId);
    const resolved = this.resolvedFor(options, attachments);
    const data = { id: snowflake(), name, type: 1, options, ...(resolved ? { resolved } : {}) };
    if (dm) {
      // In a DM: no guild and no member, the user as `user`, and the DM channel (context 1: BOT_DM).
      this.dispatch('INTERACTION_CREATE', {
        id,
        application_id: this.appId,
        type: 2,
        data,
        channel_id: channelId,
        channel: { id: channelId, type: 1, last_message_id: null, flags: 0, recipients: [dm] },
        user: dm,
        token,
        version: 1,
        app_permissions: this.appPermissions(),
        locale: 'en-US',
        entitlements: [],
        authorizing_integration_owners: { '0': this.guildId },
        context: 1,
        attachment_size_limit: 10485760,
      });
      return { id, token };
    }
    this.dispatch('INTERACTION_CREATE', {
      id,
      application_id: this.appId,
      type: 2,
      data,
      guild_id: this.guildId,
      channel_id: channelId,
      ...this.guildInteractionFields(thread, user, token),
    });
    return { id, token };
  }

  /**
   * The interaction's resolved data: the attachments, and the users (type 6) and channels (type 7)
   * its options name, also inside subcommands ("Resolved Data Structure", interactions/receiving-and-responding).
   */
  private resolvedFor(
    options: { type: number; value?: unknown; options?: unknown[] }[],
    attachments: Record<string, unknown>[],
  ): Record<string, unknown> | undefined {
    const users: Record<string, unknown> = {};
    const channels: Record<string, unknown> = {};
    const walk = (list: { type: number; value?: unknown; options?: unknown[] }[]): void => {
      for (const option of list) {
        if (option.type === 6) {
          const user = this.users.get(String(option.value));
          if (user) users[user.id] = user;
        } else if (option.type === 7) {
          const id = String(option.value);
          channels[id] = { id, type: 0, name: id === this.channelId ? 'general' : `channel-${id.slice(-4)}`, permissions: ALL_PERMISSIONS };
        }
        if (option.options) walk(option.options as { type: number; value?: unknown; options?: unknown[] }[]);
      }
    };
    walk(options);
    const resolved: Record<string, unknown> = {};
    if (attachments.length > 0) resolved.attachments = Object.fromEntries(attachments.map((a) => [a.id, a]));
    if (Object.keys(users).length > 0) resolved.users = users;
    if (Object.keys(channels).length > 0) resolved.channels = channels;
    return Object.keys(resolved).length > 0 ? resolved : undefined;
  }

  /** When each interaction was sent to the bot, on the fake's clock (the 3-second rule). */
  private readonly delivered = new Map<string, number>();
  /**
   * Every initial response (callback) as the fake saw it: how long after the interaction was sent it
   * arrived, on the fake's clock, and whether it was in time (else it was refused with 10062).
   */
  readonly initialResponses: { token: string; afterMs: number; accepted: boolean }[] = [];

  /** Tokens of component interactions (button clicks): only they may be answered with type 6. */
  private readonly componentTokens = new Set<string>();

  /**
   * A user clicks a button (INTERACTION_CREATE type 3, MESSAGE_COMPONENT) on a message the bot
   * posted, as "Receiving and Responding" describes: `data.custom_id` and `component_type` 2, the
   * message itself, and a token for the response.
   */
  click(user: FakeUser, messageId: string, customId: string): { id: string; token: string } {
    const message = this.messages.get(messageId);
    if (!message) throw new Error(`no message ${messageId}`);
    const found = message.components.some((row) => ((row.components ?? []) as { custom_id?: string }[]).some((c) => c.custom_id === customId));
    if (!found) throw new Error(`message ${messageId} has no button ${customId}`);
    const id = snowflake();
    const token = `component-token-${id}`;
    this.tokenIssued.set(token, this.now());
    this.delivered.set(token, this.now());
    this.componentTokens.add(token);
    this.interactionIn(token, message.channel_id);
    const thread = this.threads.get(message.channel_id);
    this.dispatch('INTERACTION_CREATE', {
      id,
      application_id: this.appId,
      type: 3,
      data: { custom_id: customId, component_type: 2 },
      message: this.messageJson(message),
      guild_id: this.guildId,
      channel_id: message.channel_id,
      ...this.guildInteractionFields(thread, user, token),
    });
    return { id, token };
  }

  /**
   * A user's reaction (MESSAGE_REACTION_ADD) on a message. `withAuthor: false` leaves out
   * message_author_id, as older gateway payloads do, so the client must fetch the message.
   */
  react(user: FakeUser, messageId: string, emoji: string, { withAuthor = true } = {}): void {
    const message = this.messages.get(messageId);
    if (!message) throw new Error(`no message ${messageId}`);
    // Nobody can add a reaction in an archived thread (topics/threads), so no such event ever arrives.
    if (this.threads.get(message.channel_id)?.archived) throw new Error(`thread ${message.channel_id} is archived: Discord lets nobody react there`);
    this.dispatch('MESSAGE_REACTION_ADD', {
      user_id: user.id,
      channel_id: message.channel_id,
      message_id: messageId,
      guild_id: this.guildId,
      member: this.member(user),
      emoji: { id: null, name: emoji },
      ...(withAuthor ? { message_author_id: message.author.id } : {}),
      burst: false,
      burst_colors: [],
      type: 0,
    });
  }

  // ---- REST ----

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.origin);
    const method = req.method ?? 'GET';
    if (url.pathname.startsWith('/cdn/attachments/')) {
      this.requests.push({ method, path: url.pathname, query: url.searchParams, body: null, files: [], at: Date.now() });
      this.notify();
      const [, , , , id, name] = url.pathname.split('/');
      const file = this.cdn.get(`${id}/${decodeURIComponent(name ?? '')}`);
      if (!file) return send(res, 404, { message: 'Not found' });
      res.writeHead(200, { 'content-type': file.contentType, 'content-length': file.data.length });
      res.end(file.data);
      return;
    }
    if (!url.pathname.startsWith('/api/v10/')) return send(res, 404, { message: '404: Not Found', code: 0 });
    const route = url.pathname.slice('/api/v10'.length);
    const raw = await readBody(req);
    const contentType = req.headers['content-type'] ?? '';
    let body: Record<string, unknown> | null = null;
    const files: RecordedFile[] = [];
    if (contentType.startsWith('multipart/form-data')) {
      const form = await new Response(new Uint8Array(raw), { headers: { 'content-type': contentType } }).formData();
      for (const [field, value] of form.entries()) {
        if (field === 'payload_json') body = JSON.parse(String(value)) as Record<string, unknown>;
        else if (typeof value !== 'string') files.push({ field, name: value.name, contentType: value.type, data: Buffer.from(await value.arrayBuffer()) });
      }
    } else if (raw.length > 0) {
      body = JSON.parse(raw.toString()) as Record<string, unknown>;
    }
    const isInteractionCallback = route.startsWith('/interactions/');
    const isWebhook = route.startsWith('/webhooks/');
    if (!isInteractionCallback && !isWebhook && route !== '/gateway/bot' && req.headers.authorization !== `Bot ${this.token}`) {
      return send(res, 401, { message: '401: Unauthorized', code: 0 });
    }
    const record: RecordedRequest = { method, path: route, query: url.searchParams, body, files, at: Date.now() };
    this.requests.push(record);
    this.current = record;
    if (!this.tokenExpired(route, res) && !this.rateLimited(method, route, res)) this.answer(method, route, body, files, res);
    record.status = res.statusCode;
    this.notify();
  }

  private tooLarge(files: RecordedFile[]): boolean {
    return files.some((f) => f.data.length > this.uploadLimit);
  }

  private missingPermissions(res: ServerResponse): void {
    send(res, 403, { message: 'Missing Permissions', code: 50013 });
  }

  private attachmentsFor(channelId: string, files: RecordedFile[]): FakeMessage['attachments'] {
    return files.map((f) => {
      const id = snowflake();
      return {
        id,
        filename: f.name,
        size: f.data.length,
        url: `${this.origin}/cdn/attachments/${channelId}/${id}/${f.name}`,
        proxy_url: '',
        content_type: f.contentType,
      };
    });
  }

  private newMessage(channelId: string, body: Record<string, unknown> | null, files: RecordedFile[], extra: Partial<FakeMessage> = {}): FakeMessage {
    const message: FakeMessage = {
      id: snowflake(),
      channel_id: channelId,
      author: this.bot,
      content: String(body?.content ?? ''),
      attachments: this.attachmentsFor(channelId, files),
      type: 0,
      flags: Number(body?.flags ?? 0),
      components: Array.isArray(body?.components) ? (body.components as Record<string, unknown>[]) : [],
      ...extra,
    };
    this.messages.set(message.id, message);
    if (this.current) this.current.messageId = message.id;
    return message;
  }

  private messageJson(message: FakeMessage): Record<string, unknown> {
    return {
      ...message,
      guild_id: this.guildId,
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      embeds: [],
      pinned: false,
    };
  }

  /** The reply message of an interaction token (PATCH @original creates it on first edit). */
  private readonly originals = new Map<string, string>();
  /**
   * The state of each interaction's response, following Discord's "Receiving and Responding" page
   * (https://discord.com/developers/docs/interactions/receiving-and-responding): an interaction is
   * answered once (type 4 message, or type 5 "thinking…" defer); after a defer, the first follow-up
   * edits the deferred original and its own flags are ignored, the defer's ephemeral flag holding; later
   * follow-ups are new messages with their own flags. Sending that first follow-up after deleting the
   * still-thinking original is undocumented; reports show 404 Unknown Message (10008), modelled here.
   */
  private readonly responses = new Map<string, { deferred: boolean; flags: number; state: 'thinking' | 'answered' | 'deleted' | 'deleted-thinking' }>();

  /** Takes a file off the CDN, as Discord does when an attachment expires or is deleted. */
  expire(attachment: Record<string, unknown>): void {
    this.cdn.delete(`${String(attachment.id)}/${String(attachment.filename)}`);
  }

  private answer(method: string, route: string, body: Record<string, unknown> | null, files: RecordedFile[], res: ServerResponse): void {
    let m: RegExpExecArray | null;
    const components = componentProblem(body);
    if (components)
      return send(res, 400, {
        message: 'Invalid Form Body',
        code: 50035,
        errors: { components: { _errors: [{ code: 'BASE_TYPE_INVALID', message: components }] } },
      });
    if (method === 'GET' && route === '/gateway/bot') {
      return send(res, 200, {
        url: `ws://127.0.0.1:${this.port}/gateway`,
        shards: 1,
        session_start_limit: { total: 1000, remaining: 999, reset_after: 14_400_000, max_concurrency: 1 },
      });
    }
    if (this.tooLarge(files)) return send(res, 413, { message: 'Request entity too large', code: 40005 });
    if (method === 'POST' && (m = /^\/interactions\/(\d+)\/([^/]+)\/callback$/.exec(route))) {
      const token = m[2]!;
      if (this.responses.has(token)) return send(res, 400, { message: 'Interaction has already been acknowledged.', code: 40060 });
      const sent = this.delivered.get(token);
      if (sent !== undefined) {
        const afterMs = this.now() - sent;
        const accepted = afterMs <= INITIAL_RESPONSE_MS;
        this.initialResponses.push({ token, afterMs, accepted });
        if (!accepted) {
          // The token is invalidated: nothing more can be sent with it.
          this.tokenIssued.set(token, -Infinity);
          return send(res, 404, { message: 'Unknown interaction', code: 10062 });
        }
      }
      const type = Number(body?.type);
      const data = (body?.data ?? {}) as Record<string, unknown>;
      const flags = Number(data.flags ?? 0);
      if (type === 5) {
        this.responses.set(token, { deferred: true, flags, state: 'thinking' });
      } else if (type === 6) {
        // DEFERRED_UPDATE_MESSAGE (components only): nothing is shown and the message stays as it is;
        // follow-ups are new messages with their own flags (an ephemeral one is seen by the user alone).
        if (!this.componentTokens.has(token)) return send(res, 400, { message: 'Invalid Form Body', code: 50035 });
        this.responses.set(token, { deferred: false, flags: 0, state: 'answered' });
      } else if (type === 4) {
        this.responses.set(token, { deferred: false, flags, state: 'answered' });
        const message = this.newMessage(this.channelOfToken(token), data, files, { type: 20, webhook_id: this.appId, flags });
        this.originals.set(token, message.id);
      } else {
        return send(res, 400, { message: 'Invalid Form Body', code: 50035 });
      }
      return send(res, 204);
    }
    if ((m = /^\/webhooks\/(\d+)\/([^/]+)\/messages\/(%40original|@original|\d+)$/.exec(route))) {
      const [, , token, which] = m;
      const isOriginal = which!.endsWith('original');
      const id = isOriginal ? this.originals.get(token!) : which;
      const response = this.responses.get(token!);
      if (method === 'DELETE') {
        if (isOriginal && response) response.state = response.state === 'thinking' ? 'deleted-thinking' : 'deleted';
        if (id) this.messages.delete(id);
        return send(res, 204);
      }
      if (method === 'PATCH') {
        let message = id ? this.messages.get(id) : undefined;
        if (!message) {
          if (!isOriginal || response?.state.startsWith('deleted')) return send(res, 404, { message: 'Unknown Message', code: 10008 });
          // The deferred original takes the defer's flags; an edit cannot change whether it is ephemeral.
          message = this.newMessage(this.channelOfToken(token!), body, files, { type: 20, webhook_id: this.appId, flags: response?.flags ?? 0 });
          this.originals.set(token!, message.id);
          if (response) response.state = 'answered';
        } else {
          if (body && 'content' in body) message.content = String(body.content);
          if (body && Array.isArray(body.components)) message.components = body.components as Record<string, unknown>[];
        }
        return send(res, 200, this.messageJson(message));
      }
    }
    if (method === 'POST' && (m = /^\/webhooks\/(\d+)\/([^/]+)$/.exec(route))) {
      const token = m[2]!;
      const response = this.responses.get(token);
      if (response?.state === 'deleted-thinking') return send(res, 404, { message: 'Unknown Message', code: 10008 });
      if (response?.deferred && response.state === 'thinking') {
        // The first follow-up after a defer is the deferred reply itself: its own flags are ignored.
        const message = this.newMessage(this.channelOfToken(token), body, files, { type: 20, webhook_id: this.appId, flags: response.flags });
        this.originals.set(token, message.id);
        response.state = 'answered';
        return send(res, 200, this.messageJson(message));
      }
      const message = this.newMessage(this.channelOfToken(token), body, files, { webhook_id: this.appId });
      return send(res, 200, this.messageJson(message));
    }
    if (method === 'POST' && (m = /^\/channels\/(\d+)\/messages\/(\d+)\/threads$/.exec(route))) {
      if (this.dms.has(m[1]!)) return send(res, 400, { message: 'Cannot execute action on a DM channel', code: 50003 });
      if (this.denials.threads) return this.missingPermissions(res);
      const [, parent, messageId] = m;
      // auto_archive_duration: one of 60, 1440, 4320, 10080 minutes (channel resource, "Start Thread from Message").
      const duration = Number(body?.auto_archive_duration ?? 4320);
      if (![60, 1440, 4320, 10080].includes(duration)) return send(res, 400, { message: 'Invalid Form Body', code: 50035 });
      const thread: FakeThread = {
        id: messageId!,
        parent_id: parent!,
        name: String(body?.name ?? ''),
        archived: false,
        locked: false,
        auto_archive_duration: duration,
      };
      this.threads.set(thread.id, thread);
      const channel = this.threadJson(thread);
      // Discord tells the gateway too, so the client caches the thread.
      if (this.socket) this.dispatch('THREAD_CREATE', { ...channel, newly_created: true });
      return send(res, 201, channel);
    }
    if ((m = /^\/channels\/(\d+)\/messages$/.exec(route)) && method === 'POST') {
      // Denials are about the guild channel (and its threads); a DM with the user stays open.
      if (this.denials.channel && !this.dms.has(m[1]!)) return send(res, 403, { message: 'Missing Access', code: 50001 });
      const recipient = this.dms.get(m[1]!);
      if (recipient && this.closedDms.has(recipient.id)) return send(res, 403, { message: 'Cannot send messages to this user', code: 50007 });
      if (files.length > 0 && this.denials.files) return this.missingPermissions(res);
      // "Sending a message will automatically unarchive the thread, unless the thread has been locked."
      const thread = this.threads.get(m[1]!);
      // A locked thread takes messages only from those with Manage Threads (topics/threads, "locked";
      // JSON error 160005 "Thread is locked", topics/opcodes-and-status-codes).
      if (thread?.locked && !thread.archived && this.denials.manageThreads) return send(res, 403, { message: 'Thread is locked', code: 160005 });
      if (thread?.archived) {
        if (thread.locked) return this.archivedThread(res);
        this.setArchived(thread, false);
      }
      return send(res, 200, this.messageJson(this.newMessage(m[1]!, body, files)));
    }
    if ((m = /^\/channels\/(\d+)\/messages\/(\d+)$/.exec(route))) {
      const message = this.messages.get(m[2]!);
      if (!message || message.channel_id !== m[1]) return send(res, 404, { message: 'Unknown Message', code: 10008 });
      // "Users cannot edit messages, add reactions, … in archived threads" (topics/threads).
      if (method === 'PATCH' && this.threads.get(m[1]!)?.archived) return this.archivedThread(res);
      if (method === 'PATCH') {
        if (body && 'content' in body) message.content = String(body.content);
        if (body && Array.isArray(body.components)) message.components = body.components as Record<string, unknown>[];
        // Like Discord: `attachments` lists what the message keeps; new uploads are added to it.
        if (body && Array.isArray(body.attachments)) {
          if (files.length > 0 && this.denials.files) return this.missingPermissions(res);
          message.attachments = this.attachmentsFor(m[1]!, files);
        }
        return send(res, 200, this.messageJson(message));
      }
      if (method === 'GET') return send(res, 200, this.messageJson(message));
      if (method === 'DELETE') {
        // Delete Message (https://discord.com/developers/docs/resources/message#delete-message): 204
        // with no body; anyone's own message, another's only with MANAGE_MESSAGES in a guild channel and
        // never in a DM (50003, "Cannot execute action on a DM channel"). In an archived thread it is
        // refused like an edit (50083), and the bot reopens the thread first.
        if (this.threads.get(m[1]!)?.archived) return this.archivedThread(res);
        if (message.author.id !== this.bot.id) {
          if (this.dms.has(m[1]!)) return send(res, 403, { message: 'Cannot execute action on a DM channel', code: 50003 });
          if (this.denials.manageMessages) return this.missingPermissions(res);
        }
        this.messages.delete(message.id);
        return send(res, 204);
      }
    }
    if (method === 'PUT' && (m = /^\/channels\/(\d+)\/messages\/\d+\/reactions\/[^/]+\/@me$/.exec(route))) {
      if (this.threads.get(m[1]!)?.archived) return this.archivedThread(res);
      if (this.denials.channel) return send(res, 403, { message: 'Missing Access', code: 50001 });
      if (this.denials.reactions) return this.missingPermissions(res);
      return send(res, 204);
    }
    if (method === 'PUT' && /^\/applications\/\d+(\/guilds\/\d+)?\/commands$/.test(route)) {
      const commands = Array.isArray(body) ? (body as Record<string, unknown>[]) : [];
      const problem = commands.map((c) => commandProblem(c)).find((p) => p !== null);
      if (problem) return send(res, 400, { message: 'Invalid Form Body', code: 50035, errors: { _errors: [{ code: 'BASE_TYPE_INVALID', message: problem }] } });
      return send(
        res,
        200,
        commands.map((c) => ({ ...c, id: snowflake(), application_id: this.appId, version: snowflake() })),
      );
    }
    if (method === 'POST' && route === '/users/@me/channels') {
      const user = this.users.get(String(body?.recipient_id ?? ''));
      if (!user) return send(res, 400, { message: 'Invalid Recipient(s)', code: 50033 });
      return send(res, 200, { id: this.dmWith(user), type: 1, last_message_id: null, flags: 0, recipients: [user] });
    }
    if (method === 'GET' && (m = /^\/users\/(\d+)$/.exec(route))) {
      const user = this.users.get(m[1]!);
      return user ? send(res, 200, user) : send(res, 404, { message: 'Unknown User', code: 10013 });
    }
    if (method === 'GET' && (m = /^\/channels\/(\d+)$/.exec(route))) {
      const dm = this.dms.get(m[1]!);
      if (dm) return send(res, 200, { id: m[1], type: 1, last_message_id: null, flags: 0, recipients: [dm] });
      const thread = this.threads.get(m[1]!);
      if (thread) return send(res, 200, this.threadJson(thread));
      if (m[1] === this.channelId) return send(res, 200, this.channel());
      return send(res, 404, { message: 'Unknown Channel', code: 10003 });
    }
    if (method === 'PATCH' && (m = /^\/channels\/(\d+)$/.exec(route))) {
      const thread = this.threads.get(m[1]!);
      if (!thread) return send(res, 404, { message: 'Unknown Channel', code: 10003 });
      // Editing `archived` or `auto_archive_duration` needs MANAGE_THREADS or being the thread's creator
      // (the bot, here); a locked thread only with MANAGE_THREADS (topics/threads, "Editing & Deleting Threads").
      if (thread.locked) return this.missingPermissions(res);
      if (body && 'auto_archive_duration' in body) thread.auto_archive_duration = Number(body.auto_archive_duration);
      if (body && 'archived' in body) this.setArchived(thread, Boolean(body.archived));
      return send(res, 200, this.threadJson(thread));
    }
    send(res, 404, { message: `fake Discord has no ${method} ${route}`, code: 0 });
  }

  private threadJson(thread: FakeThread): Record<string, unknown> {
    return {
      id: thread.id,
      type: 11,
      guild_id: this.guildId,
      parent_id: thread.parent_id,
      name: thread.name,
      owner_id: this.bot.id,
      last_message_id: null,
      rate_limit_per_user: 0,
      message_count: 0,
      member_count: 1,
      total_message_sent: 0,
      flags: 0,
      thread_metadata: {
        archived: thread.archived,
        auto_archive_duration: thread.auto_archive_duration,
        archive_timestamp: new Date().toISOString(),
        locked: thread.locked,
      },
    };
  }

  /** 400 with JSON error code 50083, "Operation cannot be performed on an archived thread" (topics/opcodes-and-status-codes). */
  private archivedThread(res: ServerResponse): void {
    send(res, 400, { message: 'Thread is archived', code: 50083 });
  }

  private setArchived(thread: FakeThread, archived: boolean): void {
    if (thread.archived === archived) return;
    thread.archived = archived;
    if (this.socket) this.dispatch('THREAD_UPDATE', this.threadJson(thread));
  }

  /** A moderator locks the thread (it stays open to read; see `denials.manageThreads`). */
  lock(threadId: string): void {
    const thread = this.threads.get(threadId);
    if (!thread) throw new Error(`no thread ${threadId}`);
    thread.locked = true;
    if (this.socket) this.dispatch('THREAD_UPDATE', this.threadJson(thread));
  }

  /** The thread archives, as Discord does after `auto_archive_duration` without activity (or a moderator locks it too). */
  archive(threadId: string, { locked = false } = {}): void {
    const thread = this.threads.get(threadId);
    if (!thread) throw new Error(`no thread ${threadId}`);
    thread.locked = locked;
    this.setArchived(thread, true);
  }

  private readonly tokenChannels = new Map<string, string>();

  private channelOfToken(token: string): string {
    return this.tokenChannels.get(token) ?? this.channelId;
  }

  /** Remembers where an interaction was used, so its webhook messages land in that channel. */
  interactionIn(token: string, channelId: string): void {
    this.tokenChannels.set(token, channelId);
  }

  // ---- assertions ----

  find(method: string, pattern: RegExp): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && pattern.test(r.path));
  }

  /** Resolves with the first recorded request that matches, waiting for it up to timeoutMs. */
  waitForRequest(match: (r: RecordedRequest) => boolean, timeoutMs = 300_000, after = 0): Promise<RecordedRequest> {
    return this.waitUntil(
      () => this.requests.slice(after).find(match),
      timeoutMs,
      () => this.describe(),
    );
  }

  waitUntil<T>(check: () => T | undefined | false, timeoutMs = 300_000, describe: () => string = () => ''): Promise<T> {
    return this.conditions.until(check, timeoutMs, describe);
  }

  describe(): string {
    return this.requests
      .map(
        (r) =>
          `${r.method} ${r.path} ${r.body ? JSON.stringify(r.body).slice(0, 200) : ''}${r.files.length ? ` files=${r.files.map((f) => f.name).join(',')}` : ''}`,
      )
      .join('\n');
  }

  private notify(): void {
    this.conditions.notify();
  }
}
