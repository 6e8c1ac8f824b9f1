/**
 * A fake Slack Web API on 127.0.0.1 for tests: the methods tilestyle's Slack front end calls, the
 * upload URL that files.uploadV2 posts to, private file downloads that need the bot token, and
 * response_url replies, and a Socket Mode WebSocket (apps.connections.open). Every call is recorded; messages, threads, reactions and files are kept in
 * memory so history and replies answer like Slack does.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, type WebSocket } from 'ws';
import { Conditions } from '../../helpers/conditions.js';

export interface FakeCall {
  method: string;
  args: Record<string, unknown>;
  at: number;
  /** What the fake answered: the error code, or 'ratelimited' for a 429. */
  error?: string;
}

/**
 * Rate-limit tiers of the Web API methods the bot calls (https://docs.slack.dev/apis/web-api/rate-limits
 * and each method's page): Tier 2 about 20 a minute, Tier 3 about 50, Tier 4 about 100, per workspace
 * and app; chat.postMessage is "special": about one a second per channel. Over the limit, HTTP 429 with
 * Retry-After (seconds) and `ratelimited`.
 */
const TIERS: Record<string, { perMinute: number; perChannel?: boolean }> = {
  'auth.test': { perMinute: 100 },
  'chat.postMessage': { perMinute: 60, perChannel: true },
  'chat.update': { perMinute: 50 },
  'chat.postEphemeral': { perMinute: 100 },
  'chat.delete': { perMinute: 50 },
  'conversations.open': { perMinute: 50 },
  'reactions.add': { perMinute: 50 },
  'files.getUploadURLExternal': { perMinute: 100 },
  'files.completeUploadExternal': { perMinute: 100 },
  'files.info': { perMinute: 100 },
  'conversations.history': { perMinute: 50 },
  'conversations.replies': { perMinute: 50 },
  'users.info': { perMinute: 100 },
};

/** The bot scopes each method needs (each method's page, "Required scopes"); history by the kind of channel. */
function scopesFor(method: string, channel: string | undefined): string[] {
  const history = channel?.startsWith('D') ? 'im:history' : channel?.startsWith('G') ? 'groups:history' : 'channels:history';
  const needs: Record<string, string[]> = {
    'chat.postMessage': ['chat:write'],
    'chat.update': ['chat:write'],
    'chat.postEphemeral': ['chat:write'],
    'chat.delete': ['chat:write'],
    'conversations.open': ['im:write'],
    'reactions.add': ['reactions:write'],
    'files.getUploadURLExternal': ['files:write'],
    'files.completeUploadExternal': ['files:write'],
    'files.info': ['files:read'],
    'conversations.history': [history],
    'conversations.replies': [history],
    'users.info': ['users:read'],
  };
  return needs[method] ?? [];
}

/** The bot scopes slack-app-manifest.yml asks for (oauth_config.scopes.bot), read without a YAML library. */
export function manifestScopes(manifest: string): string[] {
  const lines = manifest.split('\n');
  const start = lines.findIndex((l) => /^\s+bot:\s*$/.test(l) && lines.slice(0, lines.indexOf(l)).some((p) => /^\s+scopes:\s*$/.test(p)));
  const out: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (/^\s*#/.test(line)) continue; // a YAML comment between the items
    const m = /^\s+-\s+([a-z:._]+)\s*$/.exec(line);
    if (!m) break;
    out.push(m[1]!);
  }
  return out;
}

/** A response_url takes up to 5 replies within 30 minutes (see route()). */
const RESPONSE_URL_MS = 30 * 60 * 1000;

/** Methods that act in a channel answer not_in_channel where the bot is not a member. */
const IN_CHANNEL = new Set([
  'chat.postMessage',
  'chat.update',
  'chat.delete',
  'reactions.add',
  'conversations.history',
  'conversations.replies',
  'files.completeUploadExternal',
]);

export interface FakeFile {
  id: string;
  name: string;
  title: string;
  mimetype: string;
  filetype: string;
  size: number;
  user: string;
  url_private: string;
  url_private_download: string;
  mode?: string;
  shares?: { public?: Record<string, { ts: string; thread_ts?: string }[]> };
  /** Alt text, as files.getUploadURLExternal documents it (`alt_txt`). */
  alt_txt?: string;
  /** Shared over Slack Connect: messages carry only a stub of it (see fileStub). */
  connect?: boolean;
}

/**
 * What a message says of a Slack Connect file: Slack's file-object docs describe `file_access:
 * 'check_file_info'` stubs without a mimetype or addresses, to be completed with files.info.
 */
function fileStub(file: FakeFile): Record<string, unknown> {
  return { id: file.id, mode: 'file_access', file_access: 'check_file_info', created: 0, timestamp: 0, user: '' };
}

/** A message as conversations.history / replies return it. */
function asListed(message: FakeMessage): FakeMessage | Record<string, unknown> {
  if (!message.files?.some((f) => f.connect)) return message;
  return { ...message, files: message.files.map((f) => (f.connect ? fileStub(f) : f)) };
}

export interface FakeMessage {
  type: 'message';
  ts: string;
  channel: string;
  user: string;
  text: string;
  bot_id?: string;
  thread_ts?: string;
  reply_count?: number;
  latest_reply?: string;
  files?: FakeFile[];
  reactions?: { name: string; users: string[] }[];
  /** Block Kit blocks, as the bot last set them. */
  blocks?: Record<string, unknown>[];
}

/** Blocks as a method receives them: a JSON string (form-encoded calls) or an array (JSON calls). */
function blocksArg(value: unknown): Record<string, unknown>[] | 'invalid' | undefined {
  if (value === undefined) return undefined;
  try {
    const parsed: unknown = typeof value === 'string' ? JSON.parse(value) : value;
    return Array.isArray(parsed) ? (parsed as Record<string, unknown>[]) : 'invalid';
  } catch {
    return 'invalid';
  }
}

/**
 * What Slack refuses with `invalid_blocks` (Block Kit reference, https://docs.slack.dev/reference/block-kit/blocks
 * and .../block-elements/button-element): at most 50 blocks; a section's text at most 3000 characters;
 * an actions block at most 25 elements; a button's text plain_text of at most 75 characters, an
 * action_id of at most 255 characters unique within the message, a value of at most 2000 characters,
 * and a style of primary or danger when given.
 */
function blockProblem(blocks: Record<string, unknown>[]): string | null {
  if (blocks.length > 50) return 'more than 50 blocks';
  const actionIds = new Set<string>();
  for (const block of blocks) {
    if (block.type === 'section') {
      const text = block.text as { type?: string; text?: string } | undefined;
      if (!text || (text.type !== 'mrkdwn' && text.type !== 'plain_text') || typeof text.text !== 'string' || text.text.length > 3000)
        return 'bad section text';
    } else if (block.type === 'actions') {
      const elements = block.elements as Record<string, unknown>[] | undefined;
      if (!Array.isArray(elements) || elements.length === 0 || elements.length > 25) return 'an actions block holds 1 to 25 elements';
      for (const e of elements) {
        if (e.type !== 'button') return 'unexpected element';
        const text = e.text as { type?: string; text?: string } | undefined;
        if (text?.type !== 'plain_text' || typeof text.text !== 'string' || text.text.length > 75)
          return 'button text must be plain_text of at most 75 characters';
        const id = e.action_id;
        if (typeof id !== 'string' || id.length > 255 || actionIds.has(id)) return 'action_id missing, too long or repeated';
        actionIds.add(id);
        if (e.value !== undefined && (typeof e.value !== 'string' || e.value.length > 2000)) return 'value too long';
        if (e.style !== undefined && e.style !== 'primary' && e.style !== 'danger') return 'bad button style';
      }
    } else {
      return `unexpected block type ${String(block.type)}`;
    }
  }
  return null;
}

const TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.pdf': 'application/pdf',
  '.txt': 'text/plain',
};

function mimetypeOf(name: string): string {
  return TYPES[path.extname(name).toLowerCase()] ?? 'application/octet-stream';
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

export class FakeSlack {
  readonly botUserId = 'UBOT0001';
  readonly botId = 'BBOT0001';
  readonly botName = 'tilestyle';
  readonly teamId = 'T0000001';
  readonly calls: FakeCall[] = [];
  readonly messages: FakeMessage[] = [];
  readonly files = new Map<string, { file: FakeFile; data: Buffer }>();
  /** When true, files.info leaves `shares` out, as Slack does while it is still sharing an upload. */
  hideShares = false;
  /**
   * Models an open report against Slack's SDK (python-slack-sdk#1818): files uploaded with `alt_txt`
   * complete but are never shared to the channel.
   */
  altTxtPreventsShare = false;
  /**
   * How a token-bearing GET of a private file is answered: with the bytes ('none'), or first with a 302
   * to the same host ('same-origin'), to a presigned address on another Slack host that takes no token
   * ('cdn', served on `cdnOrigin`), or to a host that is not Slack's ('foreign').
   */
  fileRedirect: 'none' | 'same-origin' | 'cdn' | 'foreign' = 'none';
  /** Where 'foreign' redirects point; nothing listens there. */
  readonly foreignOrigin = 'http://127.0.0.2:9';
  /**
   * Workspace members' roles, as users.info reports them on the user object
   * (https://docs.slack.dev/reference/methods/users.info, https://docs.slack.dev/reference/objects/user-object):
   * `is_admin` (a workspace admin), `is_owner` (an owner), `is_primary_owner` (the primary owner, also
   * an owner). Anyone not listed is a plain member; an id starting with "X" is unknown (user_not_found).
   */
  readonly roles = new Map<string, { is_admin?: boolean; is_owner?: boolean; is_primary_owner?: boolean }>();
  /** Channels whose history the bot may not read, with the error Slack gives. */
  readonly historyErrors = new Map<string, string>();
  private readonly pendingUploads = new Map<string, { filename: string; length: number; altText?: string; data?: Buffer }>();
  private readonly conditions = new Conditions();
  private server: Server | null = null;
  private wss: WebSocketServer | null = null;
  private readonly sockets = new Set<WebSocket>();
  private counter = 0;
  private fileCounter = 0;
  private readonly second = Math.floor(Date.now() / 1000);
  url = '';

  constructor(
    readonly botToken = 'xoxb-fake-bot-token',
    readonly appToken = 'xapp-fake-app-token',
  ) {}

  /** Base for SLACK_API_URL. */
  get apiUrl(): string {
    return `${this.url}/api/`;
  }

  async start(): Promise<this> {
    // The app's scopes are what its manifest asks for: a method the manifest does not cover fails.
    const manifest = fileURLToPath(new URL('../../../slack-app-manifest.yml', import.meta.url));
    this.scopes ??= new Set(manifestScopes(await readFile(manifest, 'utf8')));
    this.server = createServer((req, res) => {
      this.route(req, res).catch((err: unknown) => {
        res.writeHead(500);
        res.end(String(err));
      });
    });
    // Idle keep-alive connections stay open as Slack's do, so a reused one is not reset under the client.
    this.server.keepAliveTimeout = 120_000;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    this.wss = new WebSocketServer({ server: this.server, path: '/link/' });
    this.wss.on('connection', (socket) => {
      this.sockets.add(socket);
      this.record('socket.connect', {});
      socket.on('message', (data) => this.record('socket.ack', JSON.parse(String(data)) as Record<string, unknown>));
      socket.on('close', () => this.sockets.delete(socket));
      socket.send(JSON.stringify({ type: 'hello', num_connections: 1, connection_info: { app_id: 'A0000001' }, debug_info: { host: 'fake' } }));
    });
    return this;
  }

  /** Sends a Socket Mode envelope to every connected client. */
  socketSend(envelope: Record<string, unknown>): void {
    for (const socket of this.sockets) socket.send(JSON.stringify(envelope));
  }

  async close(): Promise<void> {
    if (!this.server) return;
    for (const socket of this.sockets) socket.terminate();
    this.wss?.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = null;
  }

  // ---- what tests set up and read ----

  /** A user's message with files from the fixtures (or given bytes), like one posted in Slack. */
  async postUserMessage(opts: {
    channel: string;
    user: string;
    text?: string;
    thread_ts?: string;
    files?: (string | { name: string; data: Buffer; mimetype?: string })[];
    fixturesDir?: string;
    /** Posted from another organization over Slack Connect. */
    connect?: boolean;
  }): Promise<FakeMessage> {
    const files: FakeFile[] = [];
    for (const f of opts.files ?? []) {
      const name = typeof f === 'string' ? path.basename(f) : f.name;
      const data = typeof f === 'string' ? await readFile(opts.fixturesDir ? path.join(opts.fixturesDir, f) : f) : f.data;
      const mimetype = typeof f === 'string' ? mimetypeOf(name) : (f.mimetype ?? mimetypeOf(name));
      const file = this.storeFile(name, name, data, mimetype, opts.user);
      if (opts.connect) file.connect = true;
      files.push(file);
    }
    const message = this.addMessage({
      channel: opts.channel,
      user: opts.user,
      text: opts.text ?? '',
      ...(opts.thread_ts ? { thread_ts: opts.thread_ts } : {}),
      ...(files.length > 0 ? { files } : {}),
    });
    return message;
  }

  /**
   * A user clicks a button of a bot message: the block_actions payload Slack sends to the Request
   * URL (https://docs.slack.dev/reference/interaction-payloads/block_actions-payload), with a
   * response_url on this fake. Throws when the message has no such button.
   */
  buttonClick(user: string, channel: string, ts: string, actionId: string): Record<string, unknown> {
    const message = this.message(channel, ts);
    if (!message) throw new Error(`no message ${ts}`);
    const element = (message.blocks ?? [])
      .flatMap((b) => (b.type === 'actions' ? (b.elements as Record<string, unknown>[]) : []))
      .find((e) => e.action_id === actionId);
    if (!element) throw new Error(`message ${ts} has no button ${actionId}`);
    return {
      type: 'block_actions',
      user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: this.teamId },
      api_app_id: 'A0000001',
      token: 'deprecated-verification-token',
      container: { type: 'message', message_ts: ts, channel_id: channel, is_ephemeral: false, ...(message.thread_ts ? { thread_ts: message.thread_ts } : {}) },
      trigger_id: `${Date.now()}.trigger`,
      team: { id: this.teamId, domain: 'fake' },
      channel: { id: channel, name: 'general' },
      message: { ...message },
      response_url: this.responseUrl(),
      actions: [{ ...element, block_id: 'b1', action_ts: `${Date.now() / 1000}` }],
    };
  }

  /** A new response_url on this fake, valid 30 minutes from now on the fake's clock. */
  responseUrl(): string {
    return `${this.url}/respond/${Math.random().toString(36).slice(2, 10)}-${this.now()}`;
  }

  /** Moves the fake's clock on (response_url expiry) without waiting. */
  advanceClock(ms: number): void {
    this.clockOffsetMs += ms;
  }

  private now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  /**
   * The next `count` calls of `method` are answered 429 with Retry-After (seconds), as during a burst
   * over the method's tier (https://docs.slack.dev/apis/web-api/rate-limits): a storm longer than a
   * client's retries makes the call fail there.
   */
  storm(method: string, count: number, retryAfterS = 1): void {
    this.storms.set(method, { left: count, retryAfterS });
  }

  callsOf(method: string): FakeCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  message(channel: string, ts: string): FakeMessage | undefined {
    return this.messages.find((m) => m.channel === channel && m.ts === ts);
  }

  /** Messages of a thread (parent first). */
  thread(channel: string, threadTs: string): FakeMessage[] {
    return this.messages.filter((m) => m.channel === channel && (m.ts === threadTs || m.thread_ts === threadTs));
  }

  /** Resolves once `done(this)` holds; rejects after timeoutMs listing the calls so far. */
  waitFor(done: (fake: this) => boolean, timeoutMs = 300_000): Promise<void> {
    return this.conditions
      .until(
        () => done(this),
        timeoutMs,
        () => this.describe(),
      )
      .then(() => undefined);
  }

  describe(): string {
    return this.calls
      .map((c) => {
        const { method, args } = c;
        const brief = ['text', 'channel', 'ts', 'thread_ts', 'name', 'timestamp', 'initial_comment', 'channel_id', 'file_id', 'bytes']
          .filter((k) => args[k] !== undefined)
          .map((k) => `${k}=${JSON.stringify(args[k])}`)
          .join(' ');
        return `${method} ${brief}`;
      })
      .join('\n');
  }

  // ---- state ----

  private nextTs(): string {
    this.counter += 1;
    return `${this.second}.${String(this.counter).padStart(6, '0')}`;
  }

  private addMessage(fields: Omit<FakeMessage, 'type' | 'ts'>): FakeMessage {
    const message: FakeMessage = { type: 'message', ts: this.nextTs(), ...fields };
    if (message.thread_ts) {
      const parent = this.message(message.channel, message.thread_ts);
      if (parent) {
        parent.thread_ts = parent.ts;
        parent.reply_count = (parent.reply_count ?? 0) + 1;
        parent.latest_reply = message.ts;
      }
    }
    this.messages.push(message);
    return message;
  }

  private storeFile(name: string, title: string, data: Buffer, mimetype: string, user: string): FakeFile {
    const id = `F${String(++this.fileCounter).padStart(8, '0')}`;
    const file: FakeFile = {
      id,
      name,
      title,
      mimetype,
      filetype: path.extname(name).slice(1).toLowerCase(),
      size: data.length,
      user,
      url_private: `${this.url}/files-pri/${this.teamId}-${id}/${encodeURIComponent(name)}`,
      url_private_download: `${this.url}/files-pri/${this.teamId}-${id}/download/${encodeURIComponent(name)}`,
    };
    this.files.set(id, { file, data });
    return file;
  }

  private record(method: string, args: Record<string, unknown>): void {
    this.calls.push({ method, args, at: Date.now() });
    this.notify();
  }

  /** Re-checks every waitFor (after a call is recorded, and again once its effect is in place). */
  private notify(): void {
    this.conditions.notify();
  }

  // ---- HTTP ----

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    if (req.method === 'POST' && url.pathname.startsWith('/api/')) return this.api(url.pathname.slice(5), req, res);
    if (req.method === 'POST' && url.pathname.startsWith('/upload/')) return this.upload(url.pathname.slice(8), req, res);
    if (req.method === 'POST' && url.pathname.startsWith('/respond/')) {
      const body = JSON.parse((await readBody(req)).toString('utf8')) as Record<string, unknown>;
      const id = url.pathname.slice(9);
      this.record('response_url', { ...body, id });
      // A response_url takes "up to 5 times within 30 minutes" (Slack's interactivity docs, "Handling
      // user interaction", https://api.slack.com/interactivity/handling#message_responses); after that
      // it is refused. This fake's response_urls end in the time they were issued (see responseUrl()).
      const issued = Number(/-(\d+)$/.exec(id)?.[1] ?? NaN);
      if (Number.isFinite(issued) && this.now() - issued > RESPONSE_URL_MS) {
        this.calls.at(-1)!.error = 'expired_url';
        return json(res, 404, { ok: false, error: 'expired_url' });
      }
      const uses = (this.responseUses.get(id) ?? 0) + 1;
      this.responseUses.set(id, uses);
      if (uses > 5) {
        this.calls.at(-1)!.error = 'used_url';
        return json(res, 404, { ok: false, error: 'used_url' });
      }
      return json(res, 200, { ok: true });
    }
    if (req.method === 'GET' && url.pathname.startsWith('/files-pri/')) return this.serveFile(url.pathname, req, res);
    if (req.method === 'GET' && url.pathname.startsWith('/files-origin/')) return this.serveFile(url.pathname, req, res, true);
    if (req.method === 'GET' && url.pathname.startsWith('/files-cdn/')) return this.serveCdn(url, req, res);
    if (req.method === 'GET' && url.pathname === '/signin') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!DOCTYPE html><title>Sign in | Slack</title>');
      return;
    }
    res.writeHead(404);
    res.end('not found');
  }

  private authorized(method: string, req: IncomingMessage, args: Record<string, unknown>): boolean {
    const header = req.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice(7) : (args.token as string | undefined);
    // Socket Mode connects with the app-level token; everything else needs the bot token.
    return token === (method === 'apps.connections.open' ? this.appToken : this.botToken);
  }

  private async parseArgs(req: IncomingMessage): Promise<Record<string, unknown>> {
    const body = await readBody(req);
    const type = req.headers['content-type'] ?? '';
    if (type.includes('application/json')) return JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>;
    if (type.includes('multipart/form-data')) {
      const form = await new Request('http://fake/', { method: 'POST', headers: { 'content-type': type }, body: new Uint8Array(body) }).formData();
      const out: Record<string, unknown> = {};
      for (const [key, value] of form) out[key] = typeof value === 'string' ? value : Buffer.from(await value.arrayBuffer());
      return out;
    }
    return Object.fromEntries(new URLSearchParams(body.toString('utf8')));
  }

  /** Sets the rate limits on (the tiers above; `scale` below 1 shortens the minute and the counts alike). */
  limitRates(scale = 1): void {
    this.rateScale = scale;
  }

  /** The bot scopes granted: those of slack-app-manifest.yml until a test takes one away. */
  scopes: Set<string> | null = null;
  /** Channels the bot is not a member of. */
  readonly notMember = new Set<string>();
  /** Users that are other apps' bots: conversations.open answers cannot_dm_bot. */
  readonly botUsers = new Set<string>();
  /** Deactivated users: conversations.open answers user_disabled. */
  readonly disabledUsers = new Set<string>();
  private rateScale = 0;
  private clockOffsetMs = 0;
  private readonly storms = new Map<string, { left: number; retryAfterS: number }>();
  private readonly responseUses = new Map<string, number>();
  private readonly windows = new Map<string, number[]>();

  /** The 429s answered so far. */
  get rateLimited(): FakeCall[] {
    return this.calls.filter((c) => c.error === 'ratelimited');
  }

  /** Seconds to wait when `method` is over its tier now, else null (and the call is counted). */
  private overLimit(method: string, channel: string | undefined): number | null {
    const tier = TIERS[method];
    if (!this.rateScale || !tier) return null;
    const windowMs = 60_000 * this.rateScale;
    const limit = Math.max(1, Math.round(tier.perMinute * this.rateScale));
    const key = tier.perChannel ? `${method}:${channel ?? ''}` : method;
    const now = Date.now();
    const times = (this.windows.get(key) ?? []).filter((t) => now - t < windowMs);
    this.windows.set(key, times);
    if (times.length >= limit) return Math.max(1, Math.ceil((times[0]! + windowMs - now) / 1000));
    times.push(now);
    return null;
  }

  private async api(method: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const args = await this.parseArgs(req);
    const { token: _token, ...recorded } = args;
    this.record(method, recorded);
    const call = this.calls.at(-1)!;
    if (!this.authorized(method, req, args)) return json(res, 200, { ok: false, error: 'invalid_auth' });
    const channel = args.channel !== undefined ? String(args.channel) : args.channel_id !== undefined ? String(args.channel_id) : undefined;
    const storm = this.storms.get(method);
    if (storm && storm.left > 0) {
      storm.left -= 1;
      call.error = 'ratelimited';
      res.setHeader('Retry-After', String(storm.retryAfterS));
      return json(res, 429, { ok: false, error: 'ratelimited' });
    }
    const wait = this.overLimit(method, channel);
    if (wait !== null) {
      call.error = 'ratelimited';
      res.setHeader('Retry-After', String(wait));
      return json(res, 429, { ok: false, error: 'ratelimited' });
    }
    const needed = scopesFor(method, channel);
    const provided = this.scopes ? [...this.scopes] : null;
    if (provided && needed.some((scope) => !provided.includes(scope))) {
      call.error = 'missing_scope';
      return json(res, 200, { ok: false, error: 'missing_scope', needed: needed.join(','), provided: provided.join(',') });
    }
    if (channel && IN_CHANNEL.has(method) && this.notMember.has(channel)) {
      call.error = 'not_in_channel';
      return json(res, 200, { ok: false, error: 'not_in_channel' });
    }
    const result = this.call(method, args);
    if (result.ok === false) call.error = String(result.error);
    this.notify();
    return json(res, 200, result);
  }

  private call(method: string, a: Record<string, unknown>): Record<string, unknown> {
    const str = (k: string) => (a[k] === undefined ? undefined : String(a[k]));
    switch (method) {
      case 'apps.connections.open':
        return { ok: true, url: `${this.url.replace(/^http/, 'ws')}/link/?ticket=fake-ticket` };
      case 'users.info': {
        const id = str('user') ?? '';
        if (!/^[UW][A-Z0-9]+$/.test(id)) return { ok: false, error: 'user_not_found' };
        const role = this.roles.get(id) ?? {};
        const owner = Boolean(role.is_owner || role.is_primary_owner);
        return {
          ok: true,
          user: {
            id,
            team_id: this.teamId,
            name: id.toLowerCase(),
            deleted: false,
            real_name: id,
            tz: 'Europe/London',
            is_admin: Boolean(role.is_admin),
            is_owner: owner,
            is_primary_owner: Boolean(role.is_primary_owner),
            is_restricted: false,
            is_ultra_restricted: false,
            is_bot: id === this.botUserId,
            is_app_user: false,
            updated: this.second,
            profile: { display_name: id.toLowerCase(), real_name: id },
          },
        };
      }
      case 'auth.test':
        return {
          ok: true,
          url: 'https://fake.slack.com/',
          team: 'Fake',
          user: this.botName,
          team_id: this.teamId,
          user_id: this.botUserId,
          bot_id: this.botId,
        };
      case 'chat.postMessage': {
        let channel = str('channel');
        if (!channel) return { ok: false, error: 'channel_not_found' };
        // A user id as channel posts in the app's DM with that user; the answer names the DM channel
        // (chat.postMessage, "channel" argument: https://docs.slack.dev/reference/methods/chat.postMessage).
        if (channel.startsWith('U') || channel.startsWith('W')) channel = `D${channel.slice(1)}`;
        if (!str('text') && !a.blocks) return { ok: false, error: 'no_text' };
        const blocks = blocksArg(a.blocks);
        if (blocks === 'invalid' || (blocks && blockProblem(blocks))) return { ok: false, error: 'invalid_blocks' };
        const thread = str('thread_ts');
        const message = this.addMessage({
          channel,
          user: this.botUserId,
          bot_id: this.botId,
          text: str('text') ?? '',
          ...(thread ? { thread_ts: thread } : {}),
          ...(blocks && blocks.length > 0 ? { blocks } : {}),
        });
        return { ok: true, channel, ts: message.ts, message };
      }
      case 'chat.update': {
        const message = this.message(str('channel') ?? '', str('ts') ?? '');
        if (!message) return { ok: false, error: 'message_not_found' };
        if (message.user !== this.botUserId) return { ok: false, error: 'cant_update_message' };
        const blocks = blocksArg(a.blocks);
        if (blocks === 'invalid' || (blocks && blockProblem(blocks))) return { ok: false, error: 'invalid_blocks' };
        // chat.update: without blocks, a message's blocks stay only when no text is given either;
        // new text without blocks removes them (Slack's chat.update reference, `blocks` argument).
        if (blocks) {
          if (blocks.length > 0) message.blocks = blocks;
          else delete message.blocks;
        } else if (str('text') !== undefined) {
          delete message.blocks;
        }
        message.text = str('text') ?? '';
        return { ok: true, channel: message.channel, ts: message.ts, text: message.text };
      }
      case 'chat.delete': {
        // chat.delete (https://docs.slack.dev/reference/methods/chat.delete): a bot token deletes only
        // the bot's own messages (cant_delete_message); message_not_found when no message has that ts.
        if (!str('channel')) return { ok: false, error: 'channel_not_found' };
        const message = this.message(str('channel')!, str('ts') ?? '');
        if (!message) return { ok: false, error: 'message_not_found' };
        if (message.user !== this.botUserId) return { ok: false, error: 'cant_delete_message' };
        this.messages.splice(this.messages.indexOf(message), 1);
        return { ok: true, channel: message.channel, ts: message.ts };
      }
      case 'conversations.open': {
        // conversations.open (https://docs.slack.dev/reference/methods/conversations.open) with one user
        // opens the app's DM with them: users_list_not_supplied without users, cannot_dm_bot for a bot
        // user, user_disabled for a deactivated one. The DM's id is the one chat.postMessage answers too.
        const users = (str('users') ?? '').split(',').filter((u) => u.length > 0);
        if (users.length === 0) return { ok: false, error: 'users_list_not_supplied' };
        const [user] = users;
        if (user === this.botUserId || this.botUsers.has(user!)) return { ok: false, error: 'cannot_dm_bot' };
        if (this.disabledUsers.has(user!)) return { ok: false, error: 'user_disabled' };
        return { ok: true, channel: { id: `D${user!.slice(1)}` } };
      }
      case 'chat.postEphemeral':
        if (!str('channel') || !str('user')) return { ok: false, error: 'channel_not_found' };
        return { ok: true, message_ts: this.nextTs() };
      case 'reactions.add': {
        const message = this.message(str('channel') ?? '', str('timestamp') ?? '');
        if (!message) return { ok: false, error: 'message_not_found' };
        const name = str('name') ?? '';
        message.reactions ??= [];
        let reaction = message.reactions.find((r) => r.name === name);
        if (reaction?.users.includes(this.botUserId)) return { ok: false, error: 'already_reacted' };
        if (!reaction) message.reactions.push((reaction = { name, users: [] }));
        reaction.users.push(this.botUserId);
        return { ok: true };
      }
      case 'files.getUploadURLExternal': {
        const filename = str('filename');
        const length = Number(str('length'));
        if (!filename || !Number.isInteger(length) || length <= 0) return { ok: false, error: 'invalid_arguments' };
        const id = `F${String(++this.fileCounter).padStart(8, '0')}`;
        // Slack's docs for files.getUploadURLExternal name the parameter alt_txt; alt_text is not one.
        const alt = str('alt_txt');
        this.pendingUploads.set(id, { filename, length, ...(alt ? { altText: alt } : {}) });
        return { ok: true, upload_url: `${this.url}/upload/${id}`, file_id: id };
      }
      case 'files.completeUploadExternal': {
        let list: { id: string; title?: string }[];
        try {
          list = JSON.parse(str('files') ?? '[]') as { id: string; title?: string }[];
        } catch {
          return { ok: false, error: 'invalid_arguments' };
        }
        const channel = str('channel_id');
        const thread = str('thread_ts');
        const made: FakeFile[] = [];
        let unshared = false;
        for (const entry of list) {
          const pending = this.pendingUploads.get(entry.id);
          if (!pending?.data) return { ok: false, error: 'file_not_found' };
          this.pendingUploads.delete(entry.id);
          if (pending.altText && this.altTxtPreventsShare) unshared = true;
          const file: FakeFile = {
            id: entry.id,
            name: pending.filename,
            title: entry.title ?? pending.filename,
            mimetype: mimetypeOf(pending.filename),
            filetype: path.extname(pending.filename).slice(1),
            size: pending.data.length,
            user: this.botUserId,
            url_private: `${this.url}/files-pri/${this.teamId}-${entry.id}/${encodeURIComponent(pending.filename)}`,
            url_private_download: `${this.url}/files-pri/${this.teamId}-${entry.id}/download/${encodeURIComponent(pending.filename)}`,
            ...(pending.altText ? { alt_txt: pending.altText } : {}),
          };
          this.files.set(entry.id, { file, data: pending.data });
          made.push(file);
        }
        if (channel && !unshared) {
          const message = this.addMessage({
            channel,
            user: this.botUserId,
            bot_id: this.botId,
            text: str('initial_comment') ?? '',
            files: made,
            ...(thread ? { thread_ts: thread } : {}),
          });
          for (const file of made) file.shares = { public: { [channel]: [{ ts: message.ts, ...(thread ? { thread_ts: thread } : {}) }] } };
        }
        // As documented, the completion names the files but not the message that shares them.
        return { ok: true, files: made.map((f) => ({ id: f.id, title: f.title })) };
      }
      case 'files.info': {
        const entry = this.files.get(str('file') ?? '');
        if (!entry) return { ok: false, error: 'file_not_found' };
        const { connect: _connect, shares, ...file } = entry.file;
        return { ok: true, file: this.hideShares ? file : { ...file, ...(shares ? { shares } : {}) } };
      }
      case 'conversations.history': {
        const channel = str('channel') ?? '';
        const error = this.historyErrors.get(channel);
        if (error) return { ok: false, error };
        const limit = Number(str('limit') ?? 100);
        const top = this.messages.filter((m) => m.channel === channel && (!m.thread_ts || m.thread_ts === m.ts));
        return { ok: true, messages: top.reverse().slice(0, limit).map(asListed), has_more: false, response_metadata: { next_cursor: '' } };
      }
      case 'conversations.replies': {
        const channel = str('channel') ?? '';
        const error = this.historyErrors.get(channel);
        if (error) return { ok: false, error };
        const message = this.message(channel, str('ts') ?? '');
        if (!message) return { ok: false, error: 'thread_not_found' };
        const root = message.thread_ts ?? message.ts;
        return { ok: true, messages: this.thread(channel, root).map(asListed), has_more: false, response_metadata: { next_cursor: '' } };
      }
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }

  private async upload(id: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const pending = this.pendingUploads.get(id);
    const type = req.headers['content-type'] ?? '';
    let data: Buffer;
    if (type.includes('multipart/form-data')) {
      const args = await this.parseArgs(req);
      const file = Object.values(args).find((v): v is Buffer => Buffer.isBuffer(v));
      data = file ?? Buffer.alloc(0);
    } else {
      data = await readBody(req);
    }
    this.record('upload', { file_id: id, bytes: data.length, filename: pending?.filename });
    if (!pending) {
      res.writeHead(404);
      res.end('unknown upload');
      return;
    }
    if (data.length !== pending.length) {
      res.writeHead(400);
      res.end(`expected ${pending.length} bytes, got ${data.length}`);
      return;
    }
    pending.data = data;
    this.notify();
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`OK - ${data.length}`);
  }

  /** Where the presigned 'cdn' redirects point: another origin of this server (localhost rather than 127.0.0.1). */
  get cdnOrigin(): string {
    return this.url.replace('127.0.0.1', 'localhost');
  }

  /**
   * url_private(_download): Slack's docs say these need `Authorization: Bearer <token>` with files:read.
   * Without it Slack answers with its sign-in page rather than an error (as reported by several
   * integrations), which is modelled as a 302 to an HTML page. The redirect before the bytes is not in
   * Slack's docs; it is modelled from public reports (see `fileRedirect`).
   */
  private serveFile(pathname: string, req: IncomingMessage, res: ServerResponse, redirected = false): void {
    const authorized = req.headers.authorization === `Bearer ${this.botToken}`;
    this.record(redirected ? 'file.download.redirected' : 'file.download', { path: pathname, authorized });
    if (!authorized) {
      res.writeHead(302, { location: `${this.url}/signin?redir=${encodeURIComponent(pathname)}` });
      res.end();
      return;
    }
    const match = /^\/files-(?:pri|origin)\/[^-]+-(F[0-9]+)\//.exec(pathname);
    const entry = match ? this.files.get(match[1]!) : undefined;
    if (!entry) {
      res.writeHead(404);
      res.end('file not found');
      return;
    }
    if (!redirected && this.fileRedirect !== 'none') {
      const rest = pathname.slice('/files-pri'.length);
      const location =
        this.fileRedirect === 'same-origin'
          ? `/files-origin${rest}`
          : this.fileRedirect === 'cdn'
            ? `${this.cdnOrigin}/files-cdn/${entry.file.id}?sig=${this.signature(entry.file.id)}`
            : `${this.foreignOrigin}/files/${entry.file.id}`;
      res.writeHead(302, { location });
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': entry.file.mimetype, 'content-length': String(entry.data.length) });
    res.end(entry.data);
  }

  private signature(fileId: string): string {
    return Buffer.from(`${fileId}:${this.teamId}`).toString('base64url');
  }

  /** A presigned file address: the signature in the URL is the authorization, no token needed. */
  private serveCdn(url: URL, req: IncomingMessage, res: ServerResponse): void {
    const id = url.pathname.slice('/files-cdn/'.length);
    this.record('file.download.cdn', { path: url.pathname, authorized: req.headers.authorization !== undefined });
    const entry = this.files.get(id);
    if (!entry || url.searchParams.get('sig') !== this.signature(id)) {
      res.writeHead(403);
      res.end('bad signature');
      return;
    }
    res.writeHead(200, { 'content-type': entry.file.mimetype, 'content-length': String(entry.data.length) });
    res.end(entry.data);
  }
}
