/**
 * The web front end's HTTP server (node:http): the page, its images, a server-sent event stream per
 * conversation, and the requests the page sends, each turned into a CommandRequest for the commands.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import { byteSize } from '../../commands/messages.js';
import { buttonRequest } from '../../commands/buttons.js';
import { emptyRawOptions, parseOptionText } from '../../commands/user-options.js';
import { parseAdminText } from '../../commands/admin-text.js';
import { ConfigError } from '../../config.js';
import type { CommandHandler, CommandRequest, ImageSource, Invocation } from '../../commands/port.js';
import { historyMessages, jobIdOfHistoryMessage, readJobResult, type JobHistory } from './history.js';
import { type Conversations, isConversationId, newId, type WebEvent } from './conversations.js';
import { FILES_PREFIX, type FileStore, sniffImageType } from './files.js';
import { INPUTS_PREFIX, type InputImages } from './inputs.js';
import { WebReplyPort } from './reply-port.js';
import { fillForm } from './form.js';
import { loadStaticFiles, type StaticFile } from './static.js';
import { checkDeclaredLength, parseMultipart, UploadError, type UploadedFile } from './uploads.js';

/** The commands, with the job store's read API where the service offers it. */
export type WebCommands = CommandHandler & Partial<JobHistory>;

export interface WebServerOptions {
  host: string;
  port: number;
  allowedHosts?: string[];
}

const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; connect-src 'self'; " +
    "font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

const SSE_HEARTBEAT_MS = 20_000;
const MAX_JSON_BYTES = 4096;
/** Form fields that are not options; every other field is handed to the commands, which check it. */
const FORM_ONLY_FIELDS = new Set(['mode']);

export class WebServer {
  private readonly server: Server;
  private readonly streams = new Set<ServerResponse>();
  private staticFiles = new Map<string, StaticFile>();
  private readonly running = new Set<Promise<void>>();
  private boundPort = 0;

  constructor(
    private readonly options: WebServerOptions,
    private readonly commands: WebCommands,
    private readonly conversations: Conversations,
    private readonly files: FileStore,
    private readonly inputs: InputImages,
    private readonly jobHistory?: JobHistory,
  ) {
    this.server = createServer((req, res) => {
      this.route(req, res).catch((error: unknown) => {
        console.error(`web: ${req.method} ${req.url?.split('?')[0]} failed: ${String(error)}`);
        if (!res.headersSent) this.json(res, 500, { error: 'Something went wrong on the server.' });
        else res.destroy();
      });
    });
    // Stalled uploads must not hold sockets forever (this bounds receiving a request, not an event stream).
    this.server.requestTimeout = 120_000;
    this.server.headersTimeout = 30_000;
  }

  get url(): string {
    const host = this.options.host.includes(':') ? `[${this.options.host}]` : this.options.host;
    return `http://${host}:${this.boundPort}/`;
  }

  async listen(): Promise<void> {
    this.staticFiles = await loadStaticFiles((html) =>
      fillForm(
        html
          .replaceAll('{{MAX_UPLOAD_BYTES}}', String(this.commands.limits.maxImageBytes))
          .replaceAll('{{MAX_UPLOAD}}', byteSize(this.commands.limits.maxImageBytes)),
        this.commands.limits,
      ),
    );
    await new Promise<void>((resolve, reject) => {
      const failed = (error: NodeJS.ErrnoException) => reject(listenError(error, this.options.host, this.options.port));
      this.server.once('error', failed);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', failed);
        resolve();
      });
    });
    this.boundPort = (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const res of this.streams) res.end();
    this.streams.clear();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
      // A request still uploading gets a moment to finish, then is cut off.
      setTimeout(() => this.server.closeAllConnections(), 2000).unref();
    });
    // Jobs already handed to the commands keep running there; only the hand-over is awaited.
    await Promise.allSettled([...this.running]);
    await this.conversations.flush();
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    if (!this.hostAllowed(req)) return this.json(res, 421, { error: 'Unknown host name.' });

    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const method = req.method ?? 'GET';

    if (method === 'GET' || method === 'HEAD') {
      const file = this.staticFiles.get(path);
      if (file) return this.send(res, 200, file.type, file.body, 'no-cache');
      if (path.startsWith(FILES_PREFIX) || path.startsWith(INPUTS_PREFIX)) {
        const image = path.startsWith(FILES_PREFIX) ? await this.files.read(path) : await this.inputs.read(path);
        if (image) return this.send(res, 200, image.type, image.data, 'private, max-age=31536000, immutable');
        return this.json(res, 404, { error: 'Not found.' });
      }
      if (path.startsWith('/results/') && this.jobHistory) {
        const png = await readJobResult(this.jobHistory, path, url.searchParams.get('c'));
        if (png) return this.send(res, 200, 'image/png', png, 'private, max-age=3600');
        return this.json(res, 404, { error: 'Not found.' });
      }
      if (path === '/api/events' && method === 'GET') return this.events(url, req, res);
      return this.json(res, 404, { error: 'Not found.' });
    }

    if (method === 'POST') {
      // Another site open in the same browser must not be able to send jobs here.
      if (!this.sameOrigin(req)) return this.json(res, 403, { error: 'Cross-site requests are not accepted.' });
      const conversation = url.searchParams.get('c');
      if (!isConversationId(conversation)) return this.json(res, 400, { error: 'Missing or bad conversation id.' });
      try {
        if (path === '/api/stylize') return await this.submitImages(req, res, conversation, 'stylize');
        if (path === '/api/palette') return await this.submitImages(req, res, conversation, 'palette');
        if (path === '/api/react') return await this.reaction(req, res, conversation);
        if (path === '/api/settings') return await this.settings(req, res, conversation);
        if (path === '/api/admin') return await this.adminControl(req, res, conversation);
      } catch (error) {
        if (error instanceof UploadError) {
          // The rest of a refused body is not read: close the connection instead.
          res.setHeader('Connection', 'close');
          return this.json(res, error.status, { error: error.message });
        }
        throw error;
      }
      return this.json(res, 404, { error: 'Not found.' });
    }

    res.setHeader('Allow', 'GET, HEAD, POST');
    return this.json(res, 405, { error: 'Method not allowed.' });
  }

  private async events(url: URL, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const conversation = url.searchParams.get('c');
    if (!isConversationId(conversation)) return this.json(res, 400, { error: 'Missing or bad conversation id.' });
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Accel-Buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    const send = (event: WebEvent): void => {
      res.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
    };
    this.streams.add(res);
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), SSE_HEARTBEAT_MS);
    heartbeat.unref();
    let closed = false;
    let unsubscribe: (() => void) | undefined;
    const done = (): void => {
      closed = true;
      clearInterval(heartbeat);
      unsubscribe?.();
      this.streams.delete(res);
    };
    req.on('close', done);
    res.on('close', done);
    // The page may be gone already by the time the conversation is read from disk.
    const off = await this.conversations.subscribe(conversation, send);
    if (closed) off();
    else unsubscribe = off;
  }

  private async submitImages(req: IncomingMessage, res: ServerResponse, conversation: string, kind: 'stylize' | 'palette'): Promise<void> {
    const fileFields = kind === 'stylize' ? ['content', 'style'] : ['style'];
    const form = await parseMultipart(req, { maxFileBytes: this.commands.limits.maxImageBytes, fileFields });
    const missing = fileFields.filter((field) => !form.files.has(field));
    if (missing.length > 0) {
      throw new UploadError(400, `Pick ${missing.map((f) => `a ${f} image`).join(' and ')} first.`);
    }
    const options = emptyRawOptions();
    for (const [name, value] of Object.entries(form.fields)) {
      if (!FORM_ONLY_FIELDS.has(name) && value.trim() !== '') options[name] = value.trim();
    }
    const style = form.files.get('style')!;
    const content = form.files.get('content');
    const request: CommandRequest =
      kind === 'stylize' ? { kind, content: imageSource(content!), style: imageSource(style), options } : { kind, style: imageSource(style), options };

    const thread = newId('t');
    const settings = Object.entries(options)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(' ');
    const text = kind === 'stylize' ? `Stylize ${content!.name} in the style of ${style.name}` : `Show the palette of ${style.name}`;
    const mine = await this.conversations.add(conversation, { thread, author: 'you', text: settings ? `${text}\n${settings}` : text });
    this.json(res, 202, { thread });
    // Nothing is written for the request here: once the commands accept it (their first post), the
    // user's message shows the images they kept.
    const uploads = kind === 'stylize' ? [content!, style] : [style];
    this.dispatch(request, req, conversation, thread, async () => {
      const files = this.inputs.kept(uploads);
      if (files.length > 0) await this.conversations.edit(conversation, mine.id, (m) => void (m.files = files));
    });
  }

  /**
   * A reaction ({ message, reaction: 'rerun' | 'cancel' }) or a button ({ message, action }) on a
   * message of this conversation. A button acts on the job it names, which must be the one the
   * message carries it for; a job shown from the job store's history is addressed by its id.
   */
  private async reaction(req: IncomingMessage, res: ServerResponse, conversation: string): Promise<void> {
    const body = await readJson(req);
    const messageId = typeof body.message === 'string' ? body.message : '';
    const action = typeof body.action === 'string' ? body.action : undefined;
    const reaction = body.reaction;
    if (action === undefined && reaction !== 'rerun' && reaction !== 'cancel') {
      throw new UploadError(400, 'Unknown reaction: use "rerun" or "cancel".');
    }
    const message = await this.conversations.find(conversation, messageId);
    const historyJob = message ? undefined : jobIdOfHistoryMessage(messageId);
    const job = historyJob ? this.jobHistory?.job(historyJob) : undefined;
    const known = job && job.platform === 'web' && job.where.channel === conversation;
    if (!message && !known) throw new UploadError(404, 'That message is not in this conversation.');
    let request: CommandRequest;
    let label = 'Again, with finer tiles';
    if (action !== undefined) {
      const buttons =
        message?.buttons ?? (known ? historyMessages(this.jobHistory!, conversation, []).find((m) => m.id === messageId)?.buttons : undefined) ?? [];
      const button = buttons.find((b) => b.action === action);
      if (!button) throw new UploadError(400, 'That message has no such button.');
      label = ECHO[button.action] ?? button.label;
      request = buttonRequest(button);
    } else {
      request = message ? { kind: reaction as 'rerun' | 'cancel', messageId } : { kind: reaction as 'rerun' | 'cancel', jobId: historyJob! };
    }
    // A new job gets a thread of its own; a cancel answers in the job's thread.
    const thread = request.kind === 'rerun' ? newId('t') : (message?.thread ?? job?.where.thread ?? newId('t'));
    if (request.kind === 'rerun') {
      await this.conversations.add(conversation, { thread, author: 'you', text: `${action === 'upscale' ? '⬆️' : '🔁'} ${label}` });
    }
    this.json(res, 202, { thread });
    this.dispatch(request, req, conversation, thread);
  }

  /** An operator's control typed in the page ({ text: "pause" }), answered in a thread of its own. */
  private async adminControl(req: IncomingMessage, res: ServerResponse, conversation: string): Promise<void> {
    const body = await readJson(req);
    const text = typeof body.text === 'string' ? body.text.trim().slice(0, 200) : '';
    const thread = newId('t');
    await this.conversations.add(conversation, { thread, author: 'you', text: `admin ${text}`.trim() });
    this.json(res, 202, { thread });
    this.dispatch({ kind: 'admin', action: parseAdminText(text) }, req, conversation, thread);
  }

  /**
   * The settings command: { text: "strength=7 crop=none palette=off" } as typed in chat, or
   * { options: { strength: "7" } } from the form's fields; neither shows the user's defaults. The
   * page's conversation is its user, so the defaults are the conversation's.
   */
  private async settings(req: IncomingMessage, res: ServerResponse, conversation: string): Promise<void> {
    const body = await readJson(req);
    const options = typeof body.text === 'string' ? parseOptionText(body.text) : emptyRawOptions();
    if (body.options && typeof body.options === 'object' && !Array.isArray(body.options)) {
      for (const [name, value] of Object.entries(body.options as Record<string, unknown>)) {
        if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') options[name] = value;
      }
    }
    const thread = newId('t');
    const typed = Object.entries(options)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(' ');
    await this.conversations.add(conversation, { thread, author: 'you', text: typed ? `settings ${typed}` : 'settings' });
    this.json(res, 202, { thread });
    this.dispatch({ kind: 'settings', options }, req, conversation, thread);
  }

  /** Hands a request to the commands; their answers arrive through the port, not this HTTP response. */
  private dispatch(request: CommandRequest, req: IncomingMessage, conversation: string, thread: string, accepted?: () => Promise<void>): void {
    const port = new WebReplyPort(this.conversations, this.files, conversation, thread, accepted);
    // The page has no accounts and no server: whoever uses it from this machine is its operator.
    const invocation: Invocation = { platform: 'web', user: { id: conversation, name: 'you' }, where: port.where(), admin: fromThisMachine(req) };
    const handled = this.commands
      .handle(request, invocation, port)
      .catch(async (error: unknown) => {
        console.error(`web: a ${request.kind} request failed: ${String(error)}`);
        await port.whisper('Something went wrong while handling that request. Please try again.').catch(() => {});
      })
      .finally(() => this.running.delete(handled));
    this.running.add(handled);
  }

  /**
   * DNS rebinding: a page on another site points its own name at this address, and the browser then
   * treats the server as that site. Whatever address the server listens on, the Host header must be a
   * name it knows: loopback names, an IP address (no one else's name can resolve to it), the address
   * it listens on, or one listed in WEB_ALLOWED_HOSTS.
   */
  private hostAllowed(req: IncomingMessage): boolean {
    const name = hostName(req.headers.host ?? '');
    if (name === '') return false;
    if (name === 'localhost' || isIP(name) !== 0) return true;
    return name === this.options.host.toLowerCase() || (this.options.allowedHosts ?? []).includes(name);
  }

  private sameOrigin(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (!origin) return true; // not a browser form/fetch from another site
    try {
      return new URL(origin).host === req.headers.host;
    } catch {
      return false;
    }
  }

  private send(res: ServerResponse, status: number, type: string, body: Buffer, cache: string): void {
    res.writeHead(status, { 'Content-Type': type, 'Content-Length': body.length, 'Cache-Control': cache });
    res.end(res.req.method === 'HEAD' ? undefined : body);
  }

  private json(res: ServerResponse, status: number, value: unknown): void {
    this.send(res, status, 'application/json; charset=utf-8', Buffer.from(JSON.stringify(value)), 'no-store');
  }
}

/** A request from a loopback address: the machine's own user (behind a proxy on this machine, anyone it lets in). */
function fromThisMachine(req: IncomingMessage): boolean {
  const address = req.socket.remoteAddress ?? '';
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

/** What the user's side of the conversation says when a button starts a new job. */
const ECHO: Partial<Record<string, string>> = {
  finer: 'Again, with finer tiles',
  coarser: 'Again, with coarser tiles',
  stronger: 'Again, stronger',
  weaker: 'Again, weaker',
  seed: 'Again, with a new seed',
  upscale: 'Upscale',
};

/** A port that cannot be had is a configuration problem: say so in one line that names the variable. */
function listenError(error: NodeJS.ErrnoException, host: string, port: number): Error {
  if (error.code === 'EADDRINUSE') {
    return new ConfigError(
      'WEB_PORT',
      `port ${port} on ${host} is already in use (is tilestyle already running?). Stop the other program, or set another port.`,
    );
  }
  if (error.code === 'EACCES') return new ConfigError('WEB_PORT', `port ${port} on ${host} needs privileges this process lacks; use a port above 1023.`);
  if (error.code === 'EADDRNOTAVAIL') return new ConfigError('WEB_HOST', `${host} is not an address of this machine.`);
  return error;
}

/** The name part of a Host header, lower-cased: "[::1]:8080" → "::1", "Example.org:80" → "example.org". */
function hostName(header: string): string {
  const host = header.trim().toLowerCase();
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end < 0 ? '' : host.slice(1, end);
  }
  return host.split(':')[0]!.replace(/\.$/, '');
}

/** The type comes from the bytes: a browser's declared type is a guess from the file name, either way. */
function imageSource(upload: UploadedFile): ImageSource {
  const type = sniffImageType(upload.data);
  return {
    name: upload.name,
    ...(type ? { contentType: type } : {}),
    size: upload.data.length,
    load: async () => upload.data,
  };
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const tooLarge = 'That request is too large.';
  checkDeclaredLength(req, MAX_JSON_BYTES, tooLarge);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_JSON_BYTES) throw new UploadError(413, tooLarge);
    chunks.push(chunk);
  }
  try {
    const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new UploadError(400, 'The request body must be a JSON object.');
}
