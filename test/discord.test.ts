/**
 * @jest-environment ./test/onnx-environment.cjs
 *
 * The Discord front end end to end: the real discord.js client against a fake Discord on 127.0.0.1
 * (REST, gateway WebSocket and attachment CDN), and the real commands over the real engine at 64 px
 * and a few steps. Assertions are on what Discord would receive.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { ApplicationCommandOptionType } from 'discord.js';
import { downloadAttachment } from '../src/bots/discord/attachments.js';
import { registerCommands } from '../src/bots/discord/register.js';
import { commandDefinitions, configFromEnv, startDiscord, type DiscordConfig, type DiscordHandle } from '../src/bots/discord/index.js';
import { validateOptions, type OptionLimits } from '../src/commands/user-options.js';
import { ConfigError } from '../src/config.js';
import { NOT_TAKEN } from '../src/bots/discord/reply-port.js';
import { FakeDiscord, type RecordedRequest } from './fakes/discord/server.js';
import { FIXTURES_DIR, makeTestCommands, type TestCommands } from './helpers/commands.js';

const RERUN = '%F0%9F%94%81';
const CANCEL = '%E2%9D%8C';

let fake: FakeDiscord;
let t: TestCommands;
let bot: DiscordHandle;
let config: DiscordConfig;
let rejectionListenersBefore = 0;
const logged: string[] = [];
const log = {
  error: (...args: unknown[]) => {
    logged.push(args.map(String).join(' '));
    console.error(...args);
  },
  warn: (...args: unknown[]) => void logged.push(args.map(String).join(' ')),
  info: (...args: unknown[]) => void logged.push(args.map(String).join(' ')),
};

type Option = { name: string; type: number; value?: unknown; options?: Option[] };

async function stylizeOptions(content: string | Record<string, unknown>, style: string, extra: Option[]) {
  const c = typeof content === 'string' ? await fake.attachment(content) : content;
  const s = await fake.attachment(style);
  const options: Option[] = [
    { name: 'content', type: ApplicationCommandOptionType.Attachment, value: c.id },
    { name: 'style', type: ApplicationCommandOptionType.Attachment, value: s.id },
    ...extra,
  ];
  return { options, attachments: [c, s] };
}

const optionLimits: OptionLimits = { maxTiles: 16, minSize: 32, maxSize: 512, maxIterations: 1000 };
const int = (name: string, value: number): Option => ({ name, type: ApplicationCommandOptionType.Integer, value });
const str = (name: string, value: string): Option => ({ name, type: ApplicationCommandOptionType.String, value });

function postsIn(channel: string, from = 0): RecordedRequest[] {
  return fake.requests.slice(from).filter((r) => r.method === 'POST' && r.path === `/channels/${channel}/messages`);
}

function content(r: RecordedRequest): string {
  return String(r.body?.content ?? '');
}

/** The id Discord gave the message a recorded POST created. */
function messageIdOf(r: RecordedRequest): string {
  if (!r.messageId) throw new Error(`no message was created by ${r.method} ${r.path}`);
  return r.messageId;
}

beforeAll(async () => {
  fake = new FakeDiscord(FIXTURES_DIR);
  await fake.start();
  t = await makeTestCommands();
  config = configFromEnv({
    DISCORD_TOKEN: fake.token,
    DISCORD_APP_ID: fake.appId,
    DISCORD_API_URL: fake.apiUrl,
    DISCORD_CDN_ORIGINS: fake.origin,
  })!;
  rejectionListenersBefore = process.listenerCount('unhandledRejection');
  bot = await startDiscord(config, t.handler, { log, readyTimeoutMs: 300_000 });
});

afterAll(async () => {
  await bot?.stop();
  await t?.close();
  await fake?.stop();
});

describe('configuration', () => {
  it('is off without DISCORD_TOKEN and names the missing variable', () => {
    expect(configFromEnv({})).toBeNull();
    expect(() => configFromEnv({ DISCORD_TOKEN: 'x' })).toThrow(ConfigError);
    expect(() => configFromEnv({ DISCORD_TOKEN: 'x' })).toThrow(/DISCORD_APP_ID/);
    expect(() => configFromEnv({ DISCORD_TOKEN: 'x', DISCORD_APP_ID: '123456789012345678', DISCORD_CDN_ORIGINS: 'not a url' })).toThrow(/DISCORD_CDN_ORIGINS/);
    const c = configFromEnv({ DISCORD_TOKEN: 'secret-token', DISCORD_APP_ID: '123456789012345678', DISCORD_GUILD_ID: '223456789012345678' })!;
    expect(c.cdnOrigins).toEqual(['https://cdn.discordapp.com', 'https://media.discordapp.net']);
    expect(c.guildId).toBe('223456789012345678');
  });

  it('declares the options with bounds Discord enforces', () => {
    const [stylize, palette] = commandDefinitions({ maxSize: 512, maxIterations: 1000 });
    const byName = Object.fromEntries((stylize!.options ?? []).map((o) => [o.name, o as unknown as Record<string, unknown>]));
    expect(byName.content).toMatchObject({ type: ApplicationCommandOptionType.Attachment, required: true });
    expect(byName.style).toMatchObject({ type: ApplicationCommandOptionType.Attachment, required: true });
    // tiles is auto or a number: a string option whose choices are exactly what the commands accept.
    expect(byName.tiles).toMatchObject({ type: ApplicationCommandOptionType.String });
    expect(byName.tiles!.required).toBeFalsy();
    const tileValues = (byName.tiles!.choices as { value: string }[]).map((c) => c.value);
    expect(tileValues).toEqual(['auto', ...Array.from({ length: 16 }, (_, i) => String(i + 1))]);
    for (const value of tileValues) expect(validateOptions({ tiles: value }, 'stylize', optionLimits).ok).toBe(true);
    expect(byName.strength).toMatchObject({ type: ApplicationCommandOptionType.Integer, min_value: 1, max_value: 10 });
    expect(byName.size).toMatchObject({ min_value: 32, max_value: 512 });
    expect(byName.iterations).toMatchObject({ min_value: 1, max_value: 1000 });
    expect(byName.style_weight).toMatchObject({ type: ApplicationCommandOptionType.Number, min_value: 0, max_value: 1e9 });
    expect(byName.preserve_colors).toMatchObject({ type: ApplicationCommandOptionType.Boolean });
    expect(byName.seed).toMatchObject({ type: ApplicationCommandOptionType.Integer, min_value: 0 });
    // crop is auto or none: a string option whose two choices the commands accept.
    expect(byName.crop).toMatchObject({ type: ApplicationCommandOptionType.String });
    const cropValues = (byName.crop!.choices as { value: string }[]).map((c) => c.value);
    expect(cropValues).toEqual(['auto', 'none']);
    for (const value of cropValues) expect(validateOptions({ crop: value }, 'stylize', optionLimits).ok).toBe(true);
    expect((palette!.options ?? []).map((o) => o.name)).toEqual(['style', 'tiles', 'crop', 'size', 'iterations', 'seed']);
    // The palette's tiles also offer the sweep, which the commands accept for a palette only.
    const paletteTiles = (palette!.options ?? []).find((o) => o.name === 'tiles') as unknown as { choices: { value: string }[] };
    const paletteValues = paletteTiles.choices.map((c) => c.value);
    expect(paletteValues).toEqual(['auto', 'sweep', ...Array.from({ length: 16 }, (_, i) => String(i + 1))]);
    for (const value of paletteValues) expect(validateOptions({ tiles: value }, 'palette', optionLimits).ok).toBe(true);
    expect(validateOptions({ tiles: 'sweep' }, 'stylize', optionLimits).ok).toBe(false);
  });

  it("declares the engine's own bounds when no settings are given", () => {
    const [stylize] = commandDefinitions();
    const byName = Object.fromEntries((stylize!.options ?? []).map((o) => [o.name, o as unknown as Record<string, unknown>]));
    expect(byName.size).toMatchObject({ min_value: 32, max_value: 2048 });
    expect(byName.iterations).toMatchObject({ min_value: 1, max_value: 2000 });
  });
});

describe('attachments and registration', () => {
  it("downloads only from Discord's hosts (plus the configured ones) and caps the bytes while streaming", async () => {
    const a = await fake.attachment('guitar.png');
    const url = String(a.url);
    const opts = { allowedOrigins: config.cdnOrigins, timeoutMs: 5000, maxBytes: 10 * 2 ** 20 };
    expect((await downloadAttachment(url, opts)).length).toBe(a.size);
    await expect(downloadAttachment(url, { ...opts, allowedOrigins: ['https://cdn.discordapp.com'] })).rejects.toThrow(/not on Discord's file host/);
    await expect(downloadAttachment(url, { ...opts, maxBytes: 100 })).rejects.toThrow(/larger than/);
    await expect(downloadAttachment(`${fake.origin}/cdn/attachments/1/2/gone.png`, opts)).rejects.toThrow(/expired or was deleted/);
  });

  it('registers the commands in the configured guild', async () => {
    const names = await registerCommands({ ...config, guildId: fake.guildId }, { maxSize: 512, maxIterations: 1000 });
    expect(names).toEqual(['stylize', 'palette', 'tilestyle', 'settings', 'admin']);
    const put = fake.find('PUT', /\/commands$/).at(-1)!;
    expect(put.path).toBe(`/applications/${fake.appId}/guilds/${fake.guildId}/commands`);
    expect((put.body as unknown as { name: string }[]).map((c) => c.name)).toEqual(names);
  });
});

describe('gateway', () => {
  it('identifies with the reaction intent and becomes ready', () => {
    const identify = fake.gatewayLog.find((p) => p.op === 2)!.d as { token: string; intents: number };
    expect(identify.token).toBe(fake.token);
    expect(identify.intents & (1 << 10)).toBeTruthy(); // GUILD_MESSAGE_REACTIONS
    expect(bot.userId).toBe(fake.bot.id);
    expect(logged.join('\n')).not.toContain(fake.token);
  });

  it("leaves the process's unhandled rejections to the program (no handler of its own)", () => {
    expect(process.listenerCount('unhandledRejection')).toBe(rejectionListenersBefore);
  });
});

describe('/stylize', () => {
  const alice = () => fake.users.get(aliceId)!;
  let aliceId = '';

  beforeAll(() => {
    aliceId = fake.addUser('alice').id;
  });

  it("defers within 3 s and answers in a thread (progress, palette, result, settings); a user's 🔁 re-runs it there, and a command inside the thread answers in it", async () => {
    const from = fake.requests.length;
    const { options, attachments } = await stylizeOptions('dog.jpg', 'guitar.png', [str('tiles', '1'), int('size', 64), int('iterations', 100)]);
    const { id, token } = fake.interaction(alice(), 'stylize', options, attachments);

    const callback = await fake.waitForRequest((r) => r.method === 'POST' && r.path === `/interactions/${id}/${token}/callback`, 10_000, from);
    expect(callback.body).toMatchObject({ type: 5 });
    // Deferred before the slow part: the attachments are downloaded only after the callback.
    await fake.waitForRequest((r) => r.path.startsWith('/cdn/'), 10_000, from);
    const requests = fake.requests.slice(from);
    const firstDownload = requests.findIndex((r) => r.path.startsWith('/cdn/'));
    expect(firstDownload).toBeGreaterThan(requests.indexOf(callback));

    const original = await fake.waitForRequest(
      (r) => r.method === 'PATCH' && r.path === `/webhooks/${fake.appId}/${token}/messages/%40original`,
      300_000,
      from,
    );
    expect(content(original)).toContain('dog.jpg');
    expect(content(original)).toContain('guitar.png');
    const threadCall = await fake.waitForRequest((r) => r.method === 'POST' && /\/threads$/.test(r.path), 300_000, from);
    const [, , channel, , starter] = threadCall.path.split('/');
    expect(channel).toBe(fake.channelId);
    expect(fake.messages.get(starter!)?.type).toBe(20); // the command's reply starts the thread
    const thread = starter!; // a thread started from a message has the message's id

    const settings = await fake.waitForRequest(
      (r) => r.method === 'POST' && r.path === `/channels/${thread}/messages` && content(r).startsWith('Settings:'),
      300_000,
      from,
    );
    expect(content(settings)).toContain('tiles=1');
    expect(content(settings)).toContain('size=64');

    const posts = postsIn(thread, from);
    const status = posts[0]!;
    expect(content(status)).toMatch(/Starting now|Queued/);
    const statusId = messageIdOf(status);
    const edits = fake.requests.slice(from).filter((r) => r.method === 'PATCH' && r.path === `/channels/${thread}/messages/${statusId}`);
    // A progress line of either phase. 100 steps run for seconds even on a fast machine, so the
    // channel's edit budget (one progress edit per job per second here) lets several through.
    expect(edits.some((e) => /step \d+\/\d+/.test(content(e)))).toBe(true);
    // Now and then a progress edit carries a preview, which replaces the message's attachments.
    const withPreview = edits.filter((e) => e.files.length > 0);
    expect(withPreview.length).toBeGreaterThan(0);
    expect(withPreview[0]!.body?.attachments).toEqual([expect.objectContaining({ id: 0, filename: 'preview.png' })]);
    expect((await sharp(withPreview[0]!.files[0]!.data).metadata()).format).toBe('png');
    await fake.waitUntil(() => fake.messages.get(statusId)?.content.startsWith('Done'), 10_000);

    const withFiles = posts.filter((p) => p.files.length > 0);
    expect(withFiles.map((p) => content(p).split(' ')[0])).toEqual(['Palette', 'Result']);
    for (const post of withFiles) {
      expect(post.files[0]!.field).toBe('files[0]');
      expect(post.body?.attachments).toEqual([expect.objectContaining({ id: 0, filename: post.files[0]!.name })]);
      const meta = await sharp(post.files[0]!.data).metadata();
      expect(meta.format).toBe('png');
      expect(Math.max(meta.width!, meta.height!)).toBe(64);
    }
    const resultId = messageIdOf(withFiles[1]!);
    await fake.waitForRequest((r) => r.method === 'PUT' && r.path === `/channels/${thread}/messages/${resultId}/reactions/${RERUN}/@me`, 10_000, from);
    expect(fake.find('PUT', new RegExp(`/messages/${statusId}/reactions/${CANCEL}/@me$`))).toHaveLength(1);

    {
      // Not requests: the bot's own 🔁 (every result gets one), another bot's, and a 🔁 on someone
      // else's message (the payload does not say whose, so the bot fetches the message to find out).
      const from = fake.requests.length;
      fake.react(fake.bot, resultId, '🔁');
      fake.react(fake.addUser('otherbot', true), resultId, '🔁');
      const chatter = fake.userMessage(alice(), thread, 'nice!');
      fake.react(alice(), chatter, '🔁', { withAuthor: false });
      await fake.waitForRequest((r) => r.method === 'GET' && r.path === `/channels/${thread}/messages/${chatter}`, 300_000, from);
      fake.react(alice(), resultId, '🔁');
      const settings = await fake.waitForRequest(
        (r) => r.method === 'POST' && r.path === `/channels/${thread}/messages` && content(r).startsWith('Settings:'),
        300_000,
        from,
      );
      expect(content(settings)).toContain('tiles=2');
      // One re-run only: had an earlier reaction been taken as a request, its job would have been
      // queued first, and its own status message would be here too.
      const intros = postsIn(thread, from).filter((p) => content(p).includes('Re-run'));
      expect(intros).toHaveLength(1);
      expect(content(intros[0]!)).toContain('1 → 2');
      expect(fake.find('POST', /\/threads$/)).toHaveLength(1); // no second thread
    }

    // A command used inside the thread answers there.
    const inside = fake.requests.length;
    const insideStyle = await fake.attachment('guitar.png');
    const { token: insideToken } = fake.interaction(
      alice(),
      'palette',
      [{ name: 'style', type: 11, value: insideStyle.id }, str('tiles', 'auto'), int('size', 64), int('iterations', 6)],
      [insideStyle],
      thread,
    );
    const insideSettings = await fake.waitForRequest(
      (r) => r.method === 'POST' && r.path === `/channels/${thread}/messages` && content(r).startsWith('Settings:'),
      300_000,
      inside,
    );
    expect(content(insideSettings)).toMatch(/^Settings: tiles=\d+ size=64 iterations=6 /);
    // tiles=auto: the palette's caption says what was chosen and why.
    const chosen = /tiles=(\d+)/.exec(content(insideSettings))![1]!;
    expect(postsIn(thread, inside).some((p) => content(p).includes(`(tiles ${chosen}: the style is a single object`))).toBe(true);
    expect(fake.find('PATCH', new RegExp(`/webhooks/${fake.appId}/${insideToken}/messages/%40original$`))).toHaveLength(1);
    expect(fake.requests.slice(inside).some((r) => /\/threads$/.test(r.path))).toBe(false);
    expect(postsIn(fake.channelId, inside)).toHaveLength(0);
  });

  it('cancels a running job on its owner’s ❌, and refuses another user’s', async () => {
    const from = fake.requests.length;
    // Long enough to be running still when the ❌ comes, on any machine; the ❌ ends it early.
    const { options, attachments } = await stylizeOptions('eagle.jpg', 'scream.jpg', [int('size', 64), int('iterations', 1000)]);
    fake.interaction(alice(), 'stylize', options, attachments);
    const threadCall = await fake.waitForRequest((r) => r.method === 'POST' && /\/threads$/.test(r.path), 300_000, from);
    const jobThread = threadCall.path.split('/')[4]!;
    const status = await fake.waitForRequest((r) => r.method === 'POST' && r.path === `/channels/${jobThread}/messages`, 300_000, from);
    const statusId = messageIdOf(status);
    await fake.waitForRequest(
      (r) => r.method === 'PATCH' && r.path === `/channels/${jobThread}/messages/${statusId}` && /step/.test(content(r)),
      300_000,
      from,
    );

    const bob = fake.addUser('bob');
    fake.react(bob, statusId, '❌');
    const refusal = await fake.waitForRequest(
      (r) => r.method === 'POST' && r.path === `/channels/${jobThread}/messages` && content(r).includes('someone else'),
      300_000,
      from,
    );
    expect(content(refusal)).toContain(`<@${bob.id}>`);
    expect(refusal.body?.allowed_mentions).toEqual({ parse: [], users: [bob.id] });

    fake.react(alice(), statusId, '❌');
    await fake.waitForRequest((r) => r.method === 'POST' && r.path === `/channels/${jobThread}/messages` && /was cancelled/.test(content(r)), 300_000, from);
    await fake.waitUntil(() => fake.messages.get(statusId)?.content.includes('Cancelled'), 10_000);
    expect(postsIn(jobThread, from).some((p) => content(p).startsWith('Result'))).toBe(false);
  });

  /** Sends the interaction and returns its one callback (Discord takes one response per interaction). */
  async function refusalOf(options: Option[], attachments: Record<string, unknown>[]): Promise<{ callback: RecordedRequest; token: string; from: number }> {
    const from = fake.requests.length;
    const { id, token } = fake.interaction(alice(), options.some((o) => o.name === 'content') ? 'stylize' : 'palette', options, attachments);
    const callback = await fake.waitForRequest((r) => r.method === 'POST' && r.path === `/interactions/${id}/${token}/callback`, 300_000, from);
    return { callback, token, from };
  }

  function expectOnlyAnEphemeralReply({ callback, token, from }: { callback: RecordedRequest; token: string; from: number }): string {
    expect(callback.body).toMatchObject({ type: 4, data: { flags: 64, allowed_mentions: { parse: [] } } });
    const after = fake.requests.slice(from).filter((r) => r !== callback);
    expect(after.filter((r) => r.path.includes(token) || /\/threads$/.test(r.path) || /\/channels\/\d+\/messages$/.test(r.path))).toEqual([]);
    const message = fake.messages.get(callback.messageId!)!;
    expect(message.flags & 64).toBe(64);
    return String((callback.body!.data as { content: string }).content);
  }

  it('answers a non-image attachment before deferring, with a reply only the user sees', async () => {
    const txt = await fake.attachment({ filename: 'notes.txt', contentType: 'text/plain; charset=utf-8', data: Buffer.from('not a picture') });
    const { options, attachments } = await stylizeOptions(txt, 'guitar.png', [int('size', 64)]);
    const text = expectOnlyAnEphemeralReply(await refusalOf(options, attachments));
    expect(text).toBe('The content image "notes.txt" is text/plain; charset=utf-8, not an image. Send a PNG, JPEG, WebP or GIF.');
  });

  it('runs a job on an image that Discord calls application/octet-stream: the bytes decide', async () => {
    const from = fake.requests.length;
    const photo = await fake.attachment({
      filename: 'photo',
      contentType: 'application/octet-stream',
      data: await readFile(path.join(FIXTURES_DIR, 'face.png')),
    });
    fake.interaction(alice(), 'palette', [{ name: 'style', type: 11, value: photo.id }, int('size', 64), int('iterations', 2)], [photo]);
    await fake.waitForRequest((r) => r.method === 'POST' && /\/messages$/.test(r.path) && content(r).startsWith('Settings:'), 300_000, from);
  });

  it('refuses, before deferring, what the payload says is too large: bytes, pixels, or an option over the limits', async () => {
    const big = await fake.attachment({ filename: 'huge.png', contentType: 'image/png', data: Buffer.alloc(11 * 2 ** 20, 1), width: 640, height: 480 });
    const wide = await fake.attachment({ filename: 'wide.png', contentType: 'image/png', data: Buffer.alloc(100, 1), width: 20_000, height: 20_000 });
    const style = await fake.attachment('guitar.png');
    const bytes = expectOnlyAnEphemeralReply(await refusalOf([{ name: 'style', type: 11, value: big.id }], [big]));
    expect(bytes).toBe('The style image "huge.png" is 11 MB; the limit is 10 MB. Send a smaller image.');
    const pixels = expectOnlyAnEphemeralReply(await refusalOf([{ name: 'style', type: 11, value: wide.id }], [wide]));
    expect(pixels).toBe('The style image "wide.png" is 20000×20000 pixels; the limit is 50 megapixels. Send a smaller image.');
    const option = expectOnlyAnEphemeralReply(await refusalOf([{ name: 'style', type: 11, value: style.id }, int('size', 4000)], [style]));
    expect(option).toMatch(/^size must be from 32 to \d+ pixels here \(got 4000\)\.$/);
    // The same message as on Slack and the web page, even past the bounds Discord's client enforces.
    const { options, attachments } = await stylizeOptions('dog.jpg', 'guitar.png', [int('strength', 11)]);
    const strength = expectOnlyAnEphemeralReply(await refusalOf(options, attachments));
    expect(strength).toBe('strength must be from 1 (keep the photo) to 10 (the style takes over) (got 11).');
  });

  it('after a public defer, says only that the request was not taken, and tells the user why in an ephemeral follow-up', async () => {
    const from = fake.requests.length;
    const gone = await fake.attachment('dog.jpg');
    fake.expire(gone);
    const { options, attachments } = await stylizeOptions(gone, 'guitar.png', [int('size', 64)]);
    const { id, token } = fake.interaction(alice(), 'stylize', options, attachments);
    const callback = await fake.waitForRequest((r) => r.path === `/interactions/${id}/${token}/callback`, 300_000, from);
    expect(callback.body).toMatchObject({ type: 5 });
    const whisper = await fake.waitForRequest((r) => r.method === 'POST' && r.path === `/webhooks/${fake.appId}/${token}`, 300_000, from);
    expect(content(whisper)).toMatch(/couldn't download the content image "dog\.jpg".*expired or was deleted/);
    // A new message, really ephemeral: the public reply was answered (edited) before it.
    expect(fake.messages.get(whisper.messageId!)!.flags & 64).toBe(64);
    const original = fake.find('PATCH', new RegExp(`/webhooks/${fake.appId}/${token}/messages/%40original$`));
    expect(original.map(content)).toEqual([NOT_TAKEN]);
    expect(original[0]!.body?.allowed_mentions).toEqual({ parse: [] });
    expect(fake.find('DELETE', new RegExp(`/webhooks/${fake.appId}/${token}/`))).toEqual([]);
    expect(postsIn(fake.channelId, from)).toEqual([]); // nothing public with a mention
  });
});

describe('direct messages and upload limits', () => {
  afterEach(() => {
    fake.uploadLimit = 10 * 2 ** 20;
  });

  it('answers a command used in a DM in the DM itself, without a thread and without logging an error', async () => {
    const gina = fake.addUser('gina');
    const dm = fake.dmWith(gina);
    const from = fake.requests.length;
    const errorsBefore = logged.length;
    const style = await fake.attachment('guitar.png');
    fake.interaction(gina, 'palette', [{ name: 'style', type: 11, value: style.id }, int('size', 64), int('iterations', 3)], [style], dm);
    const settings = await fake.waitForRequest(
      (r) => r.method === 'POST' && r.path === `/channels/${dm}/messages` && content(r).startsWith('Settings:'),
      300_000,
      from,
    );
    expect(content(settings)).toContain('iterations=3');
    const thread = fake.requests.slice(from).find((r) => /\/threads$/.test(r.path))!;
    expect(thread.path).toBe(`/channels/${dm}/messages/${thread.path.split('/')[4]}/threads`); // tried once, refused with 50003
    expect(logged.slice(errorsBefore).filter((l) => /thread/i.test(l))).toEqual([]);
  });

  it('sends a result over the upload limit as a JPEG, or says why there is no image', async () => {
    const style = await fake.attachment('game-controller.png');
    // Room for a 64 px JPEG, not for the PNG.
    fake.uploadLimit = 5000;
    let from = fake.requests.length;
    fake.interaction(fake.addUser('hank'), 'palette', [{ name: 'style', type: 11, value: style.id }, int('size', 64), int('iterations', 3)], [style]);
    await fake.waitForRequest((r) => r.method === 'POST' && content(r).startsWith('Settings:'), 300_000, from);
    const palettes = fake.requests.slice(from).filter((r) => r.method === 'POST' && /\/messages$/.test(r.path) && content(r).startsWith('Palette'));
    expect(palettes.map((p) => p.files.map((f) => f.name.split('.').pop()))).toEqual([['png'], ['jpg']]);
    const jpeg = palettes[1]!.files[0]!;
    expect(jpeg.data.length).toBeLessThanOrEqual(5000);
    expect((await sharp(jpeg.data).metadata()).format).toBe('jpeg');
    expect(palettes[1]!.body?.attachments).toEqual([expect.objectContaining({ id: 0, filename: jpeg.name })]);

    fake.uploadLimit = 200;
    from = fake.requests.length;
    fake.interaction(fake.addUser('iris'), 'palette', [{ name: 'style', type: 11, value: style.id }, int('size', 64), int('iterations', 2)], [style]);
    await fake.waitForRequest((r) => r.method === 'POST' && content(r).startsWith('Settings:'), 300_000, from);
    const last = fake.requests
      .slice(from)
      .filter((r) => r.method === 'POST' && /\/messages$/.test(r.path) && content(r).startsWith('Palette'))
      .at(-1)!;
    expect(last.files).toEqual([]);
    expect(content(last)).toContain('larger than Discord lets me upload here');
  });
});

describe('missing permissions', () => {
  afterEach(() => {
    fake.denials = {};
  });

  it('answers in the channel, with text instead of images and without reactions', async () => {
    fake.denials = { threads: true, files: true, reactions: true };
    const from = fake.requests.length;
    const style = await fake.attachment('game-controller.png');
    fake.interaction(fake.addUser('carol'), 'palette', [{ name: 'style', type: 11, value: style.id }, int('size', 64), int('iterations', 4)], [style]);
    const settings = await fake.waitForRequest(
      (r) => r.method === 'POST' && r.path === `/channels/${fake.channelId}/messages` && content(r).startsWith('Settings:'),
      300_000,
      from,
    );
    expect(content(settings)).toContain('size=64');
    const posts = postsIn(fake.channelId, from);
    // app_permissions said what is missing, so nothing was tried that Discord would refuse with a 403.
    expect(posts.some((p) => p.files.length > 0)).toBe(false);
    expect(posts.some((p) => content(p).startsWith('Palette') && content(p).includes('Attach Files'))).toBe(true);
    expect(fake.requests.slice(from).some((r) => /\/threads$|\/reactions\//.test(r.path))).toBe(false);
    expect(fake.invalidRequests(from)).toEqual([]);
    expect(logged.some((l) => /cannot start a thread/.test(l))).toBe(true);
    expect(logged.some((l) => /cannot add reactions/.test(l))).toBe(true);
  });

  it("answers through the command's reply when the channel is closed to the bot", async () => {
    fake.denials = { threads: true, channel: true };
    const from = fake.requests.length;
    const style = await fake.attachment('game-controller.png');
    const { token } = fake.interaction(
      fake.addUser('erin'),
      'palette',
      [{ name: 'style', type: 11, value: style.id }, int('size', 64), int('iterations', 4)],
      [style],
    );
    const viaWebhook = (r: RecordedRequest) => r.method === 'POST' && r.path === `/webhooks/${fake.appId}/${token}`;
    const settings = await fake.waitForRequest((r) => viaWebhook(r) && content(r).startsWith('Settings:'), 300_000, from);
    expect(Number(settings.body?.flags ?? 0) & 64).toBe(0); // visible to everyone, not a whisper
    const palette = fake.requests.slice(from).find((r) => viaWebhook(r) && r.files.length > 0)!;
    expect((await sharp(palette.files[0]!.data).metadata()).format).toBe('png');
    expect(logged.some((l) => /cannot post in channel/.test(l))).toBe(true);
    expect(fake.invalidRequests(from)).toEqual([]);
  });
});

describe('connection loss', () => {
  it('resumes the gateway session and keeps answering', async () => {
    const sessionId = fake.session;
    fake.dropConnection(4000);
    const resume = await fake.waitUntil(() => fake.gatewayLog.find((p) => p.op === 6), 300_000);
    expect(resume.d).toMatchObject({ token: fake.token, session_id: sessionId });
    await fake.waitUntil(() => fake.connected, 10_000);
    expect(fake.gatewayLog.filter((p) => p.op === 2)).toHaveLength(1); // resumed, not re-identified

    const from = fake.requests.length;
    const { id, token } = fake.interaction(fake.addUser('dave'), 'tilestyle', [{ name: 'help', type: ApplicationCommandOptionType.Subcommand, options: [] }]);
    const callback = await fake.waitForRequest((r) => r.path === `/interactions/${id}/${token}/callback`, 10_000, from);
    expect(callback.body).toMatchObject({ type: 5, data: { flags: 64 } });
    const reply = await fake.waitForRequest((r) => r.method === 'PATCH' && r.path === `/webhooks/${fake.appId}/${token}/messages/%40original`, 10_000, from);
    expect(content(reply)).toContain('tiles');
  });

  it('after a restart of the bot, 🔁 on an earlier result still re-runs it', async () => {
    const erin = fake.addUser('erin');
    const style = await fake.attachment('guitar.png');
    const before = fake.requests.length;
    fake.interaction(erin, 'palette', [{ name: 'style', type: 11, value: style.id }, str('tiles', '1'), int('size', 64), int('iterations', 2)], [style]);
    const rerunMark = await fake.waitForRequest((r) => r.method === 'PUT' && r.path.endsWith(`/reactions/${RERUN}/@me`), 300_000, before);
    const [, , thread, , paletteId] = rerunMark.path.split('/');
    await fake.waitForRequest((r) => r.method === 'POST' && r.path === `/channels/${thread}/messages` && content(r).startsWith('Settings:'), 300_000, before);

    await bot.stop();
    const identifies = fake.gatewayLog.filter((p) => p.op === 2).length;
    bot = await startDiscord(config, t.handler, { log, readyTimeoutMs: 300_000 });
    expect(fake.gatewayLog.filter((p) => p.op === 2)).toHaveLength(identifies + 1);

    const from = fake.requests.length;
    // Neither the thread nor the message is in the new client's cache, and the payload does not say
    // who wrote the message: it is fetched to check that it is the bot's.
    fake.react(fake.addUser('frank'), paletteId!, '🔁', { withAuthor: false });
    await fake.waitForRequest((r) => r.method === 'GET' && r.path === `/channels/${thread}/messages/${paletteId}`, 300_000, from);
    const intro = await fake.waitForRequest(
      (r) => r.method === 'POST' && r.path === `/channels/${thread}/messages` && content(r).includes('Re-run'),
      300_000,
      from,
    );
    expect(content(intro)).toContain('1 → 2');
    await fake.waitForRequest((r) => r.method === 'POST' && r.path === `/channels/${thread}/messages` && content(r).startsWith('Settings:'), 300_000, from);
  });
});
