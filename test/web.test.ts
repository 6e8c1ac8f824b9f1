/**
 * @jest-environment ./test/onnx-environment.cjs
 *
 * HTTP-level tests of the web front end: configuration, the page's files, upload limits enforced
 * before a body is read, traversal, the event stream, the reply port and persistence.
 */
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import sharp from 'sharp';
import { sha256 } from '../src/jobs/data-files.js';
import { configFromEnv, start, type WebConfig, type WebHandle } from '../src/bots/web/index.js';
import type { CommandHandler, CommandRequest, Frontend, FrontEndLimits, Invocation, ReplyPort } from '../src/commands/port.js';
import { ConfigError } from '../src/config.js';
import { conversationId, EventStream, FIXTURES, postForm, rawRequest } from './e2e/web-client.js';
import { makeTestCommands, type TestCommands } from './helpers/commands.js';

/** Every file under `dir` (relative path → size). */
async function filesUnder(dir: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = join(entry.parentPath, entry.name);
    // A file written beside may be renamed into place between the listing and its stat.
    const size = await stat(full).then(
      (s) => s.size,
      (err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? null : Promise.reject(err)),
    );
    if (size !== null) out.set(relative(dir, full), size);
  }
  return out;
}

const MAX_UPLOAD = 256 * 1024;

/** Records what reaches the commands, to prove what the transport refuses never gets there. */
class RecordingHandler implements CommandHandler {
  readonly limits: FrontEndLimits = { maxTiles: 16, minSize: 32, maxSize: 512, maxIterations: 1000, maxImageBytes: MAX_UPLOAD };
  readonly calls: { request: CommandRequest; invocation: Invocation; port: ReplyPort }[] = [];
  readonly frontends: Frontend[] = [];
  async handle(request: CommandRequest, invocation: Invocation, port: ReplyPort): Promise<void> {
    this.calls.push({ request, invocation, port });
  }
  registerFrontend(frontend: Frontend): void {
    this.frontends.push(frontend);
  }
}

describe('configFromEnv', () => {
  it('runs by itself when no chat app is configured, on 127.0.0.1:8080', () => {
    const config = configFromEnv({}, { chatConfigured: false });
    expect(config).toMatchObject({ host: '127.0.0.1', port: 8080 });
    expect(configFromEnv({ TILESTYLE_DATA_DIR: '/srv/tilestyle' }, { chatConfigured: false })!.dataDir).toBe('/srv/tilestyle');
  });

  it('stays off beside the chat bots unless WEB_ENABLED=true, and WEB_ENABLED=false turns it off', () => {
    expect(configFromEnv({}, { chatConfigured: true })).toBeNull();
    expect(configFromEnv({ WEB_ENABLED: 'true' }, { chatConfigured: true })).not.toBeNull();
    expect(configFromEnv({ WEB_ENABLED: 'false' }, { chatConfigured: false })).toBeNull();
  });

  it('names the variable when a value is wrong', () => {
    expect(() => configFromEnv({ WEB_PORT: 'http' }, { chatConfigured: false })).toThrow(ConfigError);
    expect(() => configFromEnv({ WEB_PORT: '70000' }, { chatConfigured: false })).toThrow(/WEB_PORT/);
    expect(() => configFromEnv({ WEB_ENABLED: 'maybe' }, { chatConfigured: false })).toThrow(/WEB_ENABLED/);
    expect(() => configFromEnv({ WEB_HOST: 'a b' }, { chatConfigured: false })).toThrow(/WEB_HOST/);
    expect(configFromEnv({ WEB_PORT: '0', WEB_HOST: '::1' }, { chatConfigured: false })).toMatchObject({ port: 0, host: '::1' });
  });
});

describe('web server', () => {
  let dataDir: string;
  let handler: RecordingHandler;
  let web: WebHandle;
  let config: WebConfig;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tilestyle-web-'));
    handler = new RecordingHandler();
    config = { host: '127.0.0.1', port: 0, dataDir };
    web = await start(config, handler);
  });

  afterAll(async () => {
    await web.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('registers itself as the web front end and listens on the loopback address', () => {
    expect(handler.frontends.map((f) => f.platform)).toEqual(['web']);
    expect(web.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  it('serves the page, its script and styles with the right types and security headers', async () => {
    const cases: [string, RegExp][] = [
      ['/', /^text\/html/],
      ['/app.js', /^text\/javascript/],
      ['/style.css', /^text\/css/],
      ['/favicon.svg', /^image\/svg\+xml/],
    ];
    for (const [path, type] of cases) {
      const res = await rawRequest(web.url, path);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(type);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['content-security-policy']).toContain("script-src 'self'");
      expect(res.headers['content-security-policy']).not.toContain('unsafe-inline');
    }
    const page = await rawRequest(web.url, '/');
    expect(page.body).toContain('<script type="module" src="/app.js">');
    expect(page.body).not.toMatch(/<script>(?!<\/script>)/); // no inline scripts for the CSP to allow
    expect(page.body).toContain(`data-max-upload="${MAX_UPLOAD}"`);
    expect(page.body).toContain('256 KB');
  });

  it('blocks directory traversal and unknown paths', async () => {
    const paths = [
      '/../package.json',
      '/%2e%2e/package.json',
      '/%2e%2e%2f%2e%2e%2fpackage.json',
      '/static/../../../package.json',
      '/app.js/../../index.ts',
      '/files/../../../package.json',
      '/files/..%2f..%2f..%2f..%2fpackage.json',
      '/files/%2e%2e%2fconversations%2fx.json',
      '/index.ts',
      '/server.ts',
      '/static/app.js',
      '//etc/passwd',
    ];
    for (const path of paths) {
      const res = await rawRequest(web.url, path);
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
      expect(res.body).not.toContain('dependencies');
      expect(res.body).not.toContain('import ');
    }
  });

  it('refuses a body whose declared length is over the limit before reading it', async () => {
    const { hostname, port } = new URL(web.url);
    const before = handler.calls.length;
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request({
        hostname,
        port,
        method: 'POST',
        path: `/api/stylize?c=${conversationId()}`,
        headers: { 'Content-Type': 'multipart/form-data; boundary=x', 'Content-Length': 50 * 1024 * 1024 },
      });
      req.on('response', (r) => {
        let body = '';
        r.on('data', (c: Buffer) => (body += c.toString()));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      // Only the headers and a few bytes are ever sent: an answer at all shows it did not wait for the other 50 MB.
      req.write('--x\r\n');
    });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body).error).toBe('That upload is over the limit of 256 KB per image. Send a smaller image.');
    expect(handler.calls.length).toBe(before);
  }, 10_000);

  it('stops reading a chunked upload once it passes the limit', async () => {
    const { hostname, port } = new URL(web.url);
    const before = handler.calls.length;
    const boundary = 'tilestyleboundary';
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const offered = 64 * 1024 * 1024;
    let sent = 0;
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request({
        hostname,
        port,
        method: 'POST',
        path: `/api/stylize?c=${conversationId()}`,
        headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Transfer-Encoding': 'chunked' },
      });
      let answered = false;
      req.on('response', (r) => {
        answered = true;
        let body = '';
        r.on('data', (c: Buffer) => (body += c.toString()));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
      });
      req.on('error', (error) => (answered ? undefined : reject(error)));
      req.write(`--${boundary}\r\nContent-Disposition: form-data; name="content"; filename="big.png"\r\nContent-Type: image/png\r\n\r\n`);
      const pump = (): void => {
        while (!answered && sent < offered) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        if (!answered) req.end();
      };
      pump();
    });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body).error).toBe('The content image "big.png" is over the limit of 256 KB per image. Send a smaller image.');
    expect(sent).toBeLessThan(offered / 2);
    expect(handler.calls.length).toBe(before);
  }, 10_000);

  it('refuses other host names, cross-site posts and bad conversation ids', async () => {
    const c = conversationId();
    const rebinding = await rawRequest(web.url, '/', { headers: { Host: 'evil.example:8080' } });
    expect(rebinding.status).toBe(421);
    const crossSite = await rawRequest(web.url, `/api/react?c=${c}`, {
      method: 'POST',
      headers: { Origin: 'https://evil.example', 'Content-Type': 'application/json' },
      body: Buffer.from('{"message":"m","reaction":"cancel"}'),
    });
    expect(crossSite.status).toBe(403);
    for (const bad of ['', 'short', '../../etc', 'a'.repeat(65)]) {
      const res = await rawRequest(web.url, `/api/events?c=${encodeURIComponent(bad)}`);
      expect(res.status).toBe(400);
    }
  });

  it('turns a form into a stylize request with ImageSources and streams the conversation', async () => {
    const c = conversationId();
    const events = await EventStream.open(web.url, c);
    await events.waitFor(() => true, 200).catch(() => undefined);
    expect(events.events[0]).toEqual({ type: 'snapshot', messages: [] });

    const before = handler.calls.length;
    const res = await postForm(
      web.url,
      '/api/stylize',
      c,
      { content: { name: 'dog.jpg', type: 'image/jpeg' }, style: { name: 'guitar.png', type: 'image/png' } },
      { tiles: '3', size: '64', iterations: '4', seed: ' ', mode: 'stylize' },
    );
    expect(res.status).toBe(202);
    const thread = res.body.thread as string;
    expect(handler.calls.length).toBe(before + 1);
    const { request, invocation, port } = handler.calls.at(-1)!;
    expect(request.kind).toBe('stylize');
    if (request.kind !== 'stylize') return;
    expect(request.options).toEqual({ tiles: '3', size: '64', iterations: '4' });
    expect(request.content).toMatchObject({ name: 'dog.jpg', contentType: 'image/jpeg' });
    const dog = await readFile(`${FIXTURES}dog.jpg`);
    expect(request.content.size).toBe(dog.length);
    expect((await request.content.load()).equals(dog)).toBe(true);
    // From this machine: the page's operator.
    expect(invocation).toEqual({ platform: 'web', user: { id: c, name: 'you' }, where: { channel: c, thread }, admin: true });
    expect(port.where()).toEqual({ channel: c, thread });

    // The user's own message (their images appear once the commands keep them: see the tests with the real commands).
    const mine = await events.waitFor((m) => m.author === 'you', 5000, 'the user message');
    expect(mine.text).toContain('dog.jpg');
    expect(mine.text).toContain('tiles=3');
    expect(mine.files).toEqual([]);

    // What the commands say through the port arrives as events: post, update (previews replaced), react, whisper.
    const png = await readFile(`${FIXTURES}guitar.png`);
    const ref = await port.post('You are #1 in the queue.');
    await events.waitFor((m) => m.id === ref.id, 5000, 'the post');
    await port.update(ref, 'Step 2/4', [{ filename: 'preview.png', data: png, description: 'Preview at step 2' }]);
    const updated = await events.waitFor((m) => m.id === ref.id && m.text === 'Step 2/4', 5000, 'the update');
    expect(updated.files).toEqual([expect.objectContaining({ filename: 'preview.png', description: 'Preview at step 2' })]);
    const firstPreview = updated.files[0]!.url;
    await port.update(ref, 'Step 4/4', [{ filename: 'preview.png', data: png }]);
    const second = await events.waitFor((m) => m.id === ref.id && m.text === 'Step 4/4', 5000, 'the second update');
    expect(second.files[0]!.url).not.toBe(firstPreview);
    expect((await rawRequest(web.url, firstPreview)).status).toBe(404); // replaced previews are deleted
    const served = await fetch(new URL(second.files[0]!.url, web.url));
    expect(served.headers.get('content-type')).toBe('image/png');
    await port.react(ref, 'rerun');
    await events.waitFor((m) => m.id === ref.id && m.reactions.includes('rerun'), 5000, 'the reaction');
    await port.whisper('Only for you.');
    const whisper = await events.waitFor((m) => m.whisper, 5000, 'the whisper');
    expect(whisper).toMatchObject({ text: 'Only for you.', thread, author: 'bot' });

    // A second stream (a page reload) starts with everything so far.
    const reload = await EventStream.open(web.url, c);
    await reload.waitFor((m) => m.whisper, 5000, 'the snapshot');
    expect(reload.events[0]!.type).toBe('snapshot');
    expect(reload.messages.size).toBe(3);
    reload.close();

    // 🔁 on a message becomes a rerun request in a new thread; ❌ a cancel in the job's thread.
    const rerun = await rawRequest(web.url, `/api/react?c=${c}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: Buffer.from(JSON.stringify({ message: ref.id, reaction: 'rerun' })),
    });
    expect(rerun.status).toBe(202);
    const rerunCall = handler.calls.at(-1)!;
    expect(rerunCall.request).toEqual({ kind: 'rerun', messageId: ref.id });
    expect(rerunCall.invocation.where.thread).not.toBe(thread);
    const cancel = await rawRequest(web.url, `/api/react?c=${c}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: Buffer.from(JSON.stringify({ message: ref.id, reaction: 'cancel' })),
    });
    expect(cancel.status).toBe(202);
    expect(handler.calls.at(-1)!.request).toEqual({ kind: 'cancel', messageId: ref.id });
    expect(handler.calls.at(-1)!.invocation.where.thread).toBe(thread);
    const unknown = await rawRequest(web.url, `/api/react?c=${c}`, {
      method: 'POST',
      body: Buffer.from(JSON.stringify({ message: 'nope', reaction: 'rerun' })),
    });
    expect(unknown.status).toBe(404);
    events.close();
  });

  it('hands option fields named like prototype members on as ordinary options', async () => {
    const before = handler.calls.length;
    const res = await postForm(
      web.url,
      '/api/palette',
      conversationId(),
      { style: { name: 'guitar.png', type: 'image/png' } },
      { constructor: '1', ['__proto__']: '2', toString: '3' },
    );
    expect(res.status).toBe(202);
    expect(handler.calls.length).toBe(before + 1);
    const { request } = handler.calls.at(-1)!;
    if (request.kind !== 'palette') throw new Error(`expected a palette request, got ${request.kind}`);
    expect(Object.keys(request.options).sort()).toEqual(['__proto__', 'constructor', 'toString']);
  });

  it('trusts the bytes, not the declared type: a JPEG sent as application/octet-stream is a JPEG', async () => {
    const before = handler.calls.length;
    const res = await postForm(web.url, '/api/palette', conversationId(), {
      style: { name: 'photo', type: 'application/octet-stream', data: await readFile(`${FIXTURES}dog.jpg`) },
    });
    expect(res.status).toBe(202);
    expect(handler.calls.length).toBe(before + 1);
    const { request } = handler.calls.at(-1)!;
    if (request.kind !== 'palette') throw new Error(`expected a palette request, got ${request.kind}`);
    expect(request.style).toMatchObject({ name: 'photo', contentType: 'image/jpeg' });
    // … and text declared as a PNG is not called a PNG: the commands decode it and say what it is.
    await postForm(web.url, '/api/palette', conversationId(), { style: { name: 'fake.png', type: 'image/png', data: Buffer.from('not a picture at all') } });
    const fake = handler.calls.at(-1)!.request;
    expect(fake.kind === 'palette' && fake.style.contentType).toBeUndefined();
  });

  it('says a picked but empty file is empty, not missing', async () => {
    const before = handler.calls.length;
    const res = await postForm(web.url, '/api/stylize', conversationId(), {
      content: { name: 'empty.png', type: 'image/png', data: Buffer.alloc(0) },
      style: { name: 'guitar.png', type: 'image/png' },
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('The content image "empty.png" is empty (0 bytes). Pick it again, or another image.');
    expect(handler.calls.length).toBe(before);
  });

  it('asks for the missing image instead of sending half a request', async () => {
    const before = handler.calls.length;
    const res = await postForm(web.url, '/api/stylize', conversationId(), { style: { name: 'guitar.png', type: 'image/png' } });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/content image/);
    expect(handler.calls.length).toBe(before);
  });

  it('keeps conversations across a restart, and the commands can reach them again through the front end', async () => {
    const c = conversationId();
    const port = handler.frontends[0]!.portFor({ channel: c, thread: 'tresumed0001' }, { id: c });
    const ref = await port.post('Result', [{ filename: 'result.png', data: await readFile(`${FIXTURES}face.png`) }]);
    await web.stop();

    const again = new RecordingHandler();
    web = await start(config, again);
    const events = await EventStream.open(web.url, c);
    const kept = await events.waitFor((m) => m.id === ref.id, 5000, 'the kept message');
    expect(kept).toMatchObject({ text: 'Result', thread: 'tresumed0001' });
    expect((await rawRequest(web.url, kept.files[0]!.url)).status).toBe(200);
    // A job resumed after the restart edits its old message through the new front end.
    await again.frontends[0]!.portFor({ channel: c, thread: 'tresumed0001' }, { id: c }).update(ref, 'Result (resumed)');
    await events.waitFor((m) => m.id === ref.id && m.text === 'Result (resumed)', 5000, 'the resumed update');
    events.close();
  });
});

describe('web server on every interface (WEB_HOST=0.0.0.0)', () => {
  let dataDir: string;
  let web: WebHandle;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tilestyle-web-'));
    const config = configFromEnv({ WEB_HOST: '0.0.0.0', WEB_PORT: '0', TILESTYLE_DATA_DIR: dataDir, WEB_ALLOWED_HOSTS: 'Tilestyle.lan, studio.example' })!;
    expect(config.allowedHosts).toEqual(['tilestyle.lan', 'studio.example']);
    web = await start(config, new RecordingHandler());
  });

  afterAll(async () => {
    await web?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('still refuses host names it was not given, so a DNS-rebinding page cannot post jobs', async () => {
    const port = new URL(web.url).port;
    const status = async (host: string, path = '/') => (await rawRequest(web.url, path, { headers: { Host: host } })).status;
    expect(await status(`evil.example:${port}`)).toBe(421);
    expect(await status('evil.example')).toBe(421);
    expect(await status(`localhost.evil.example:${port}`)).toBe(421);
    const post = await rawRequest(web.url, `/api/react?c=${conversationId()}`, {
      method: 'POST',
      headers: { Host: `rebound.example:${port}`, 'Content-Type': 'application/json' },
      body: Buffer.from('{"message":"m","reaction":"cancel"}'),
    });
    expect(post.status).toBe(421);
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, `192.168.1.20:${port}`, `tilestyle.lan:${port}`, 'STUDIO.example']) {
      expect({ host, status: await status(host) }).toEqual({ host, status: 200 });
    }
  });

  it('names WEB_ALLOWED_HOSTS when a value is not a host name', () => {
    expect(() => configFromEnv({ WEB_ALLOWED_HOSTS: 'ok.example, http://bad.example' }, { chatConfigured: false })).toThrow(/^WEB_ALLOWED_HOSTS:/);
  });
});

describe('web server with the real commands', () => {
  let commands: TestCommands;
  let dataDir: string;
  let web: WebHandle;

  beforeAll(async () => {
    commands = await makeTestCommands();
    // The web keeps its conversations beside the commands' data, as with TILESTYLE_DATA_DIR.
    dataDir = commands.dataDir;
    web = await start({ host: '127.0.0.1', port: 0, dataDir }, commands.service);
  });

  afterAll(async () => {
    await web?.stop();
    await commands?.close();
  });

  it("shows the commands' option limits in the form, and answers a bad strength with the commands' message", async () => {
    const page = (await rawRequest(web.url, '/')).body;
    const { maxSize, minSize, maxIterations } = commands.service.limits;
    expect(page).not.toContain('{{');
    expect(page).toContain(`name="size" min="${minSize}" max="${maxSize}"`);
    expect(page).toContain(`name="iterations" min="1" max="${maxIterations}"`);
    expect(page).toContain('name="strength" min="1" max="10" step="1" inputmode="numeric" placeholder="5"');
    // tiles takes auto or a number, with both offered.
    expect(page).toMatch(/<input name="tiles" list="tile-choices"[^>]*placeholder="auto"/);
    expect(page).toContain('<datalist id="tile-choices"><option value="auto"></option><option value="sweep"></option><option value="1"></option>');
    expect(page).toContain('<option value="16"></option></datalist>');

    const c = conversationId();
    const events = await EventStream.open(web.url, c);
    const sent = await postForm(
      web.url,
      '/api/stylize',
      c,
      { content: { name: 'dog.jpg', type: 'image/jpeg' }, style: { name: 'scream.jpg', type: 'image/jpeg' } },
      { strength: '11' },
    );
    expect(sent.status).toBe(202);
    const refusal = await events.waitFor((m) => m.whisper && m.thread === sent.body.thread, 300_000, 'the refusal');
    // The same words as on Discord and Slack.
    expect(refusal.text).toBe('strength must be from 1 (keep the photo) to 10 (the style takes over) (got 11).');

    const auto = await postForm(
      web.url,
      '/api/palette',
      c,
      { style: { name: 'scream.jpg', type: 'image/jpeg' } },
      { tiles: 'auto', iterations: '1', size: '32' },
    );
    const settings = await events.waitFor((m) => m.text.startsWith('Settings:') && m.thread === auto.body.thread, 300_000, 'the settings line');
    expect(settings.text).toMatch(/^Settings: tiles=1 size=32 iterations=1 seed=0 /);
    const palette = await events.waitFor((m) => m.thread === auto.body.thread && m.files.some((f) => f.filename.startsWith('palette-')), 5000, 'the palette');
    expect(palette.text).toContain('tiles 1: the style looks alike all over, like a painting, texture or landscape');

    // tiles=sweep from the form: one picture, the palettes at 1, 2, 4 and 8 tiles at half the size, labelled.
    const sweep = await postForm(
      web.url,
      '/api/palette',
      c,
      { style: { name: 'guitar.png', type: 'image/png' } },
      { tiles: 'sweep', iterations: '1', size: '64' },
    );
    const sweepSettings = await events.waitFor((m) => m.text.startsWith('Settings:') && m.thread === sweep.body.thread, 60_000, 'the sweep settings line');
    expect(sweepSettings.text).toMatch(/^Settings: tiles=sweep size=64 iterations=1 seed=0 /);
    const sheet = await events.waitFor((m) => m.thread === sweep.body.thread && m.files.some((f) => f.filename.startsWith('palette-')), 5000, 'the sweep');
    expect(sheet.text).toContain(
      'Palette sweep — the style alone at 1, 2, 4, 8 tiles, each 32 px. For one of them at full size: palette tiles=2, palette tiles=4, palette tiles=8',
    );
    expect(sheet.reactions).toEqual([]);
    const png = Buffer.from(await (await fetch(new URL(sheet.files[0]!.url, web.url))).arrayBuffer());
    // Four 32-px palettes and three 4-px gaps, under a 24-px label strip.
    expect(await sharp(png).metadata()).toMatchObject({ format: 'png', width: 4 * 32 + 3 * 4, height: 24 + 32 });
    events.close();
    await commands.service.idle();
  });

  it("uses the commands' upload limit and answers a non-image with the commands' message", async () => {
    const page = await rawRequest(web.url, '/');
    expect(page.body).toContain(`data-max-upload="${commands.service.limits.maxImageBytes}"`);

    const c = conversationId();
    const events = await EventStream.open(web.url, c);
    const notes = Buffer.from('these are notes, not a picture\n'.repeat(20));
    const asText = await postForm(web.url, '/api/stylize', c, {
      content: { name: 'notes.txt', type: 'text/plain', data: notes },
      style: { name: 'guitar.png', type: 'image/png' },
    });
    expect(asText.status).toBe(202);
    const first = await events.waitFor((m) => m.whisper, 300_000, 'the refusal');
    expect(first.text).toBe('The content image "notes.txt": That file isn\'t an image I can read (text). Send a PNG, JPEG, WebP or GIF.');
    expect(first.thread).toBe(asText.body.thread);

    const disguised = await postForm(web.url, '/api/stylize', c, {
      content: { name: 'notes.png', type: 'image/png', data: notes },
      style: { name: 'guitar.png', type: 'image/png' },
    });
    const second = await events.waitFor((m) => m.whisper && m.thread === disguised.body.thread, 300_000, 'the second refusal');
    expect(second.text).toMatch(/^The content image "notes\.png": /);
    // A refused request shows no images, and none were kept.
    const mine = await events.waitFor((m) => m.author === 'you' && m.thread === disguised.body.thread, 5000, 'the user message');
    expect(mine.files).toEqual([]);
    events.close();
  });

  it('writes nothing for refused uploads, and keeps one copy of an accepted input', async () => {
    await commands.service.idle();
    await web.stop(); // earlier tests' conversations are flushed to disk before counting
    web = await start({ host: '127.0.0.1', port: 0, dataDir }, commands.service);
    const c = conversationId();
    const events = await EventStream.open(web.url, c);
    const before = await filesUnder(dataDir);
    // Five fake PNGs: the right signature, then junk.
    const fakePng = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(2 * 2 ** 20, 7)]);
    for (let i = 0; i < 5; i++) {
      const sent = await postForm(web.url, '/api/palette', c, { style: { name: `fake-${i}.png`, type: 'image/png', data: fakePng } });
      expect(sent.status).toBe(202);
      await events.waitFor((m) => m.whisper && m.thread === sent.body.thread, 300_000, `refusal ${i}`);
    }
    await web.stop(); // flushes the conversation, the one thing a refused request may change
    web = await start({ host: '127.0.0.1', port: 0, dataDir }, commands.service);
    const after = await filesUnder(dataDir);
    const added = [...after.keys()].filter((f) => !before.has(f));
    expect(added).toEqual([join('web', 'conversations', `${c}.json`)]);
    expect(after.get(added[0]!)!).toBeLessThan(10_000);
    events.close();

    const again = await EventStream.open(web.url, c);
    const face = await readFile(`${FIXTURES}face.png`);
    const sent = await postForm(web.url, '/api/palette', c, { style: { name: 'face.png', type: 'image/png' } }, { iterations: '2' });
    await again.waitFor((m) => m.text.startsWith('Settings:') && m.thread === sent.body.thread, 300_000, 'the palette');
    const mine = await again.waitFor((m) => m.author === 'you' && m.thread === sent.body.thread && m.files.length === 1, 5000, 'the image shown');
    const shown = await fetch(new URL(mine.files[0]!.url, web.url));
    expect(shown.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await shown.arrayBuffer()).equals(face)).toBe(true);
    const copies = [];
    for (const [file] of await filesUnder(dataDir)) if ((await readFile(join(dataDir, file))).equals(face)) copies.push(file);
    expect(copies).toEqual([join('inputs', sha256(face))]);
    again.close();
  });

  it('runs a palette job, and shows it from the job store when the conversation file is gone', async () => {
    const c = conversationId();
    const events = await EventStream.open(web.url, c);
    const sent = await postForm(web.url, '/api/palette', c, { style: { name: 'guitar.png', type: 'image/png' } }, { tiles: '2', iterations: '4' });
    expect(sent.status).toBe(202);
    const palette = await events.waitFor((m) => m.files.some((f) => f.filename.startsWith('palette-')) && m.reactions.length > 0, 120_000, 'the palette');
    expect(palette.reactions).toEqual(['rerun']);
    expect(palette.files[0]!.description).toMatch(/palette/i);
    const settings = await events.waitFor((m) => m.text.startsWith('Settings:'), 300_000, 'the settings line');
    expect(settings.text).toContain('tiles=2');
    const png = await fetch(new URL(palette.files[0]!.url, web.url));
    expect(png.headers.get('content-type')).toBe('image/png');
    const meta = await (await import('sharp')).default(Buffer.from(await png.arrayBuffer())).metadata();
    expect(Math.max(meta.width ?? 0, meta.height ?? 0)).toBe(64);
    events.close();
    await commands.service.idle();

    // Lose the conversation's own file: the job is still in the job store and is shown from there.
    await web.stop();
    await writeFile(join(dataDir, 'web', 'conversations', `${c}.json`), '[]');
    web = await start({ host: '127.0.0.1', port: 0, dataDir }, commands.service);
    const again = await EventStream.open(web.url, c);
    const [job] = commands.service.history({ platform: 'web', channel: c });
    const shown = await again.waitFor((m) => m.id === `job-${job!.id}`, 5000, 'the job from the history');
    expect(shown.text).toContain('tiles=2');
    expect(shown.reactions).toEqual(['rerun']);
    expect(shown.files.map((f) => f.filename)).toEqual([`palette-${job!.id}.png`]);
    expect((await rawRequest(web.url, shown.files[0]!.url)).status).toBe(200);
    // Another conversation can't read it.
    const foreign = shown.files[0]!.url.replace(`c=${c}`, `c=${conversationId()}`);
    expect((await rawRequest(web.url, foreign)).status).toBe(404);

    // 🔁 on the history entry re-runs that job with finer tiles.
    const rerun = await rawRequest(web.url, `/api/react?c=${c}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: Buffer.from(JSON.stringify({ message: shown.id, reaction: 'rerun' })),
    });
    expect(rerun.status).toBe(202);
    const finer = await again.waitFor((m) => m.text.startsWith('Settings:') && m.text.includes('tiles=4'), 300_000, 'the finer re-run');
    expect(finer.thread).toBe(JSON.parse(rerun.body).thread);
    again.close();
  });
});
