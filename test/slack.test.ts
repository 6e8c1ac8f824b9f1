/**
 * @jest-environment ./test/onnx-environment.cjs
 *
 * The Slack front end end to end: the real Bolt app with its HTTP receiver on 127.0.0.1, signed
 * requests like Slack's, a fake Slack Web API that records every call and serves private files, and
 * the real commands over the real engine at 64 px and a few steps.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { webApi } from '@slack/bolt';
import sharp from 'sharp';
import { configFromEnv, startSlack, type SlackConfig, type SlackHandle } from '../src/bots/slack/index.js';
import { downloadPrivateFile, slackRedirect } from '../src/bots/slack/files.js';
import { SlackReplyPort } from '../src/bots/slack/reply-port.js';
import { parseCommandText, stripMentions } from '../src/bots/slack/requests.js';
import { ConfigError } from '../src/config.js';
import { FakeSlack, type FakeMessage } from './fakes/slack/server.js';
import { SlackSender } from './fakes/slack/signed-requests.js';
import { FIXTURES_DIR, makeTestCommands, type TestCommands } from './helpers/commands.js';

const SECRET = 'test-signing-secret';

let fake: FakeSlack;
let t: TestCommands;
let slack: SlackHandle;
let sender: SlackSender;
let config: SlackConfig;

const quiet = { error: (...args: unknown[]) => console.error(...args), warn: () => undefined, info: () => undefined };

beforeAll(async () => {
  fake = await new FakeSlack().start();
  t = await makeTestCommands();
  config = configFromEnv({
    SLACK_BOT_TOKEN: fake.botToken,
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_PORT: '0',
    SLACK_HOST: '127.0.0.1',
    SLACK_API_URL: fake.apiUrl,
    // The fake's second origin stands for another Slack file host (presigned, no token).
    SLACK_FILE_ORIGINS: `${fake.url},${fake.cdnOrigin}`,
  })!;
  slack = await startSlack(config, t.handler, { sharePollMs: [0, 50, 100], log: quiet });
  sender = new SlackSender(`${slack.url}/slack/events`, SECRET, fake.teamId, fake.url);
});

afterAll(async () => {
  await slack?.stop();
  await t?.close();
  await fake?.close();
});

const BOT = () => `<@${fake.botUserId}>`;

function mentionEvent(message: FakeMessage): Record<string, unknown> {
  return {
    type: 'app_mention',
    user: message.user,
    text: message.text,
    ts: message.ts,
    channel: message.channel,
    ...(message.thread_ts ? { thread_ts: message.thread_ts } : {}),
    ...(message.files ? { files: message.files } : {}),
  };
}

function settingsIn(channel: string, thread: string): FakeMessage[] {
  return fake.thread(channel, thread).filter((m) => m.text.startsWith('Settings:'));
}

function ephemeralsTo(user: string): string[] {
  return fake
    .callsOf('chat.postEphemeral')
    .filter((c) => c.args.user === user)
    .map((c) => String(c.args.text));
}

function responsesSince(index: number): string[] {
  return fake
    .callsOf('response_url')
    .slice(index)
    .map((c) => String(c.args.text));
}

async function pngSize(data: Buffer): Promise<{ width: number; height: number }> {
  const meta = await sharp(data).metadata();
  expect(meta.format).toBe('png');
  return { width: meta.width!, height: meta.height! };
}

describe('configFromEnv', () => {
  it('is off without SLACK_BOT_TOKEN', () => {
    expect(configFromEnv({})).toBeNull();
  });

  it('picks Socket Mode when SLACK_APP_TOKEN is set (no signing secret needed)', () => {
    const c = configFromEnv({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1' });
    expect(c).toMatchObject({ mode: 'socket', appToken: 'xapp-1', botToken: 'xoxb-1', fileOrigins: ['https://files.slack.com'] });
  });

  it('uses HTTP without an app token, and then requires SLACK_SIGNING_SECRET', () => {
    expect(() => configFromEnv({ SLACK_BOT_TOKEN: 'xoxb-1' })).toThrow(ConfigError);
    expect(() => configFromEnv({ SLACK_BOT_TOKEN: 'xoxb-1' })).toThrow(/^SLACK_SIGNING_SECRET: is required in HTTP mode/);
    const c = configFromEnv({
      SLACK_BOT_TOKEN: 'xoxb-1',
      SLACK_SIGNING_SECRET: 's',
      SLACK_PORT: '3100',
      SLACK_FILE_ORIGINS: 'http://127.0.0.1:9/x, https://files.example.com',
    });
    expect(c).toMatchObject({ mode: 'http', port: 3100, fileOrigins: ['https://files.slack.com', 'http://127.0.0.1:9', 'https://files.example.com'] });
    expect(c!.appToken).toBeUndefined();
  });

  it('names the variable when a value is wrong', () => {
    expect(() => configFromEnv({ SLACK_BOT_TOKEN: 'xapp-oops', SLACK_SIGNING_SECRET: 's' })).toThrow(/^SLACK_BOT_TOKEN:/);
    expect(() => configFromEnv({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xoxb-2' })).toThrow(/^SLACK_APP_TOKEN:/);
    expect(() => configFromEnv({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's', SLACK_PORT: 'abc' })).toThrow(/^SLACK_PORT:/);
    expect(() => configFromEnv({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's', SLACK_API_URL: 'nope' })).toThrow(/^SLACK_API_URL:/);
    expect(() => configFromEnv({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's', SLACK_FILE_ORIGINS: 'ftp://x' })).toThrow(/^SLACK_FILE_ORIGINS:/);
  });

  it('never puts a token in an error message', () => {
    try {
      configFromEnv({ SLACK_BOT_TOKEN: 'xoxb-secret-value', SLACK_APP_TOKEN: 'bad-secret-value' });
    } catch (err) {
      expect(String(err)).not.toContain('secret-value');
    }
  });
});

describe('command text', () => {
  it('reads a leading command word and Slack-style options', () => {
    expect(parseCommandText('palette tiles=4 size=384', 'stylize')).toEqual({ command: 'palette', options: { tiles: '4', size: '384' } });
    expect(parseCommandText('tiles=4 preserve_colors', 'stylize')).toEqual({ command: 'stylize', options: { tiles: '4', preserve_colors: true } });
    expect(parseCommandText('HELP', 'palette').command).toBe('help');
    expect(stripMentions('<@U123> tiles=2 <!here>')).toBe('tiles=2');
  });

  it('reads a first word named like a prototype member as options, not as a command', () => {
    expect(parseCommandText('constructor tiles=2', 'palette')).toEqual({ command: 'palette', options: { constructor: true, tiles: '2' } });
    expect(Object.entries(parseCommandText('__proto__=1', 'stylize').options)).toEqual([['__proto__', '1']]);
  });
});

describe('Slack front end', () => {
  it("answers a mention with two images in its thread (status, progress, palette and result uploads, settings, reactions), then re-runs it from a user's 🔁 but not from its own", async () => {
    const before = fake.calls.length;
    const mention = await fake.postUserMessage({
      channel: 'C1',
      user: 'U1',
      text: `${BOT()} tiles=2 size=64 iterations=4`,
      files: ['dog.jpg', 'guitar.png'],
      fixturesDir: FIXTURES_DIR,
    });
    const response = await sender.event(mentionEvent(mention));
    expect(response.status).toBe(200);
    // Acknowledged before the work: the job has not finished when Slack gets its answer.
    expect(settingsIn('C1', mention.ts)).toHaveLength(0);

    await fake.waitFor(() => settingsIn('C1', mention.ts).length === 1);
    const calls = fake.calls.slice(before);
    // Every message went into the mention's thread.
    const posts = calls.filter((c) => c.method === 'chat.postMessage');
    expect(posts.length).toBeGreaterThanOrEqual(2);
    for (const post of posts) expect(post.args).toMatchObject({ channel: 'C1', thread_ts: mention.ts });
    const [status] = fake.thread('C1', mention.ts).filter((m) => m.user === fake.botUserId);
    expect(String(posts[0]!.args.text)).toMatch(/^(Starting now on cpu|Queued — position \d+ on cpu)\. React ❌ here to cancel\.$/);
    expect(calls.some((c) => c.method === 'chat.update' && c.args.ts === status!.ts && /step \d+\/\d+/.test(String(c.args.text)))).toBe(true);
    await fake.waitFor(() => /Done in/.test(fake.message('C1', status!.ts)!.text));

    // Both images were fetched from the private URLs, with the bot token.
    const downloads = calls.filter((c) => c.method === 'file.download');
    expect(downloads.map((d) => d.args.authorized)).toEqual([true, true]);
    expect(downloads.map((d) => String(d.args.path))).toEqual(mention.files!.map((f) => new URL(f.url_private_download).pathname));

    // The palette and the result: uploadV2's three steps, into the thread.
    const completions = calls.filter((c) => c.method === 'files.completeUploadExternal');
    expect(completions).toHaveLength(2);
    expect(calls.filter((c) => c.method === 'files.getUploadURLExternal')).toHaveLength(2);
    expect(calls.filter((c) => c.method === 'upload').every((c) => Number(c.args.bytes) > 0)).toBe(true);
    for (const c of completions) expect(c.args).toMatchObject({ channel_id: 'C1', thread_ts: mention.ts });
    const shares = fake.thread('C1', mention.ts).filter((m) => (m.files ?? []).length > 0 && m.user === fake.botUserId);
    expect(shares.map((m) => m.files![0]!.name)).toEqual([expect.stringMatching(/^palette-.*\.png$/), expect.stringMatching(/^result-.*\.png$/)]);
    expect(shares[0]!.text).toContain('Palette of the style');
    expect(shares[1]!.text).toContain('Result — tiles 2×2, 64 px');
    for (const share of shares) {
      const size = await pngSize(fake.files.get(share.files![0]!.id)!.data);
      expect(Math.max(size.width, size.height)).toBe(64);
    }
    // 🔁 on both uploads (on the messages that show them), ❌ on the status message.
    for (const share of shares) expect(share.reactions).toEqual([{ name: 'repeat', users: [fake.botUserId] }]);
    expect(fake.message('C1', status!.ts)!.reactions).toEqual([{ name: 'x', users: [fake.botUserId] }]);
    expect(settingsIn('C1', mention.ts)[0]!.text).toMatch(/^Settings: tiles=2 size=64 iterations=4 /);
    expect(ephemeralsTo('U1')).toEqual([]);
    const resultTs = shares[1]!.ts;

    const beforeRerun = fake.calls.length;
    // The bot's own 🔁 (every result gets one) is not a request.
    await sender.event({
      type: 'reaction_added',
      user: fake.botUserId,
      reaction: 'repeat',
      item_user: fake.botUserId,
      item: { type: 'message', channel: 'C1', ts: resultTs },
    });
    // Nor is a 🔁 on someone else's message.
    await sender.event({ type: 'reaction_added', user: 'U1', reaction: 'repeat', item_user: 'U9', item: { type: 'message', channel: 'C1', ts: mention.ts } });
    const rerunResponse = await sender.event({
      type: 'reaction_added',
      user: 'U1',
      reaction: 'repeat',
      item_user: fake.botUserId,
      item: { type: 'message', channel: 'C1', ts: resultTs },
    });
    expect(rerunResponse.status).toBe(200);
    await fake.waitFor(() => settingsIn('C1', mention.ts).length === 2);
    const rerun = fake.calls.slice(beforeRerun);
    // One re-run only: had either earlier reaction been taken as a request, its job would have been
    // queued first, and its status message and settings would be here as well.
    const statuses = rerun.filter((c) => c.method === 'chat.postMessage' && String(c.args.text).includes('Re-run of job'));
    expect(statuses).toHaveLength(1);
    const rerunStatus = statuses[0]!;
    expect(rerunStatus.args).toMatchObject({ channel: 'C1', thread_ts: mention.ts });
    expect(String(rerunStatus.args.text)).toContain('finer tiles: 2 → 4');
    const rerunUploads = rerun.filter((c) => c.method === 'files.completeUploadExternal');
    expect(rerunUploads).toHaveLength(2);
    for (const c of rerunUploads) expect(c.args).toMatchObject({ channel_id: 'C1', thread_ts: mention.ts });
    expect(String(rerunUploads[1]!.args.initial_comment)).toContain('tiles 4×4');
    expect(settingsIn('C1', mention.ts)[1]!.text).toMatch(/^Settings: tiles=4 size=64 iterations=4 /);
  });

  it('/stylize takes the two latest images the user posted in the channel, and answers in a new thread', async () => {
    await fake.postUserMessage({ channel: 'C2', user: 'U2', files: ['scream.jpg'], fixturesDir: FIXTURES_DIR });
    const content = await fake.postUserMessage({ channel: 'C2', user: 'U2', text: 'my cat', files: ['person.jpg'], fixturesDir: FIXTURES_DIR });
    const style = await fake.postUserMessage({ channel: 'C2', user: 'U2', files: ['face.png'], fixturesDir: FIXTURES_DIR });
    // Someone else's later image is not the user's.
    await fake.postUserMessage({ channel: 'C2', user: 'U3', files: ['eagle.jpg'], fixturesDir: FIXTURES_DIR });
    const before = fake.calls.length;
    const response = await sender.command({ command: '/stylize', text: 'size=64 iterations=4', user_id: 'U2', channel_id: 'C2' });
    expect(response.status).toBe(200);
    // Acknowledged before the work: nothing has been uploaded yet when Slack gets its answer.
    expect(fake.calls.slice(before).filter((c) => c.method === 'files.completeUploadExternal')).toEqual([]);

    await fake.waitFor(() => {
      const p = fake.messages.find((m) => m.channel === 'C2' && m.user === fake.botUserId && m.text.includes('asked for /stylize'));
      return p !== undefined && settingsIn('C2', p.ts).length === 1;
    });
    const calls = fake.calls.slice(before);
    expect(calls.some((c) => c.method === 'conversations.history' && c.args.channel === 'C2')).toBe(true);
    const top = fake.messages.find((m) => m.channel === 'C2' && m.user === fake.botUserId && m.text.includes('asked for /stylize'))!;
    expect(top.text).toBe(`<@U2> asked for /stylize size=64 iterations=4 — content *person.jpg*, style *face.png*`);
    expect(calls.find((c) => c.method === 'chat.postMessage')!.args.thread_ts).toBeUndefined();
    for (const post of calls.filter((c) => c.method === 'chat.postMessage').slice(1)) expect(post.args.thread_ts).toBe(top.ts);
    const downloads = calls.filter((c) => c.method === 'file.download').map((d) => String(d.args.path));
    expect(downloads).toEqual([content, style].map((m) => new URL(m.files![0]!.url_private_download).pathname));
    const completions = calls.filter((c) => c.method === 'files.completeUploadExternal');
    expect(completions).toHaveLength(2);
    for (const c of completions) expect(c.args).toMatchObject({ channel_id: 'C2', thread_ts: top.ts });
    expect(responsesSince(0).filter((text) => text.includes('/stylize'))).toEqual([]);
  });

  it('/stylize help answers privately with how to send images on Slack and the shared help', async () => {
    const from = fake.callsOf('response_url').length;
    await sender.command({ command: '/stylize', text: 'help', user_id: 'U4', channel_id: 'C4' });
    await fake.waitFor(() => fake.callsOf('response_url').length > from);
    const [text] = responsesSince(from);
    expect(text).toContain('On Slack:');
    expect(text).toContain('@tilestyle strength=7 tiles=auto size=384');
    expect(text).toMatch(/tiles — .*Range auto, sweep \(palette\) or 1–16, default auto\./);
    expect(text).toMatch(/strength — .*Range 1–10, default 5\./);
    expect(fake.callsOf('response_url').at(-1)!.args.response_type).toBe('ephemeral');
  });

  it('rejects requests with a bad or stale signature with 401 and runs nothing', async () => {
    const before = fake.calls.length;
    const message = await fake.postUserMessage({
      channel: 'C5',
      user: 'U5',
      text: `${BOT()} size=64`,
      files: ['dog.jpg', 'guitar.png'],
      fixturesDir: FIXTURES_DIR,
    });
    const bad = await sender.event(mentionEvent(message), { signature: `v0=${'0'.repeat(64)}` });
    expect(bad.status).toBe(401);
    const stale = await sender.event(mentionEvent(message), { timestamp: Math.floor(Date.now() / 1000) - 10 * 60 });
    expect(stale.status).toBe(401);
    const badCommand = await sender.command({ command: '/stylize', text: 'size=64', user_id: 'U5', channel_id: 'C5' }, { signature: 'v0=deadbeef' });
    expect(badCommand.status).toBe(401);
    // A signed request after them is answered; by then, nothing of the refused ones has reached Slack.
    const help = await sender.command({ command: '/stylize', text: 'help', user_id: 'U5', channel_id: 'C5' });
    expect(help.status).toBe(200);
    await fake.waitFor(() => fake.calls.slice(before).some((c) => c.method === 'response_url'));
    await t.service.idle();
    // Calls about other channels (an earlier test's last edits, paced by the workspace's budget) are not this test's.
    // users.info is whether the signed help's sender is a workspace admin (every command's invocation says so).
    const here = fake.calls
      .slice(before)
      .filter((c) => c.method !== 'auth.test' && c.method !== 'users.info' && (c.args.channel === undefined || c.args.channel === 'C5'));
    expect(
      fake.calls
        .slice(before)
        .filter((c) => c.method === 'users.info')
        .map((c) => c.args.user),
    ).toEqual(['U5']);
    expect(here.map((c) => c.method)).toEqual(['response_url']);
  });

  it('says clearly when an attached file is not an image, and queues nothing', async () => {
    const before = fake.callsOf('files.completeUploadExternal').length;
    const message = await fake.postUserMessage({
      channel: 'C6',
      user: 'U6',
      text: `${BOT()} size=64`,
      files: ['dog.jpg', { name: 'notes.pdf', data: Buffer.from('%PDF-1.4 not really'), mimetype: 'application/pdf' }],
      fixturesDir: FIXTURES_DIR,
    });
    await sender.event(mentionEvent(message));
    await fake.waitFor(() => ephemeralsTo('U6').length > 0);
    expect(ephemeralsTo('U6')[0]).toBe('The style image "notes.pdf" is application/pdf, not an image. Send a PNG, JPEG, WebP or GIF.');
    // The refusal is the command's last word: had a job been queued before it, it would have run by now.
    await t.service.idle();
    expect(fake.callsOf('files.completeUploadExternal')).toHaveLength(before);
    expect(fake.thread('C6', message.ts).filter((m) => m.user === fake.botUserId)).toEqual([]);
  });

  it('runs a job on an image that Slack calls application/octet-stream: the bytes decide', async () => {
    const message = await fake.postUserMessage({
      channel: 'C63',
      user: 'U63',
      text: `${BOT()} palette size=64 iterations=2`,
      files: [{ name: 'photo', data: await readFile(path.join(FIXTURES_DIR, 'dog.jpg')), mimetype: 'application/octet-stream' }],
    });
    await sender.event(mentionEvent(message));
    await fake.waitFor(() => settingsIn('C63', message.ts).length === 1);
    expect(ephemeralsTo('U63')).toEqual([]);
  });

  it('never sends the bot token to a host that is not Slack’s file host', async () => {
    const message = await fake.postUserMessage({
      channel: 'C7',
      user: 'U7',
      text: `${BOT()} size=64`,
      files: ['dog.jpg', 'guitar.png'],
      fixturesDir: FIXTURES_DIR,
    });
    const event = mentionEvent(message);
    const files = message.files!.map((f) => ({ ...f, url_private_download: 'http://127.0.0.2:1/steal', url_private: 'http://127.0.0.2:1/steal' }));
    const before = fake.callsOf('file.download').length;
    await sender.event({ ...event, files });
    await fake.waitFor(() => ephemeralsTo('U7').length > 0);
    expect(ephemeralsTo('U7')[0]).toMatch(/couldn't download the content image "dog.jpg" \(the file is not on Slack's file host \(127\.0\.0\.2:1\)\)/);
    expect(fake.callsOf('file.download')).toHaveLength(before);
  });

  it('says what to do when there are too few images', async () => {
    // A mention with one image.
    const one = await fake.postUserMessage({ channel: 'C8', user: 'U8', text: `${BOT()} tiles=4`, files: ['dog.jpg'], fixturesDir: FIXTURES_DIR });
    await sender.event(mentionEvent(one));
    await fake.waitFor(() => ephemeralsTo('U8').length > 0);
    expect(ephemeralsTo('U8')[0]).toMatch(/^I need two images and you attached one\. Attach both — the content picture first, then the style picture/);
    // Top-level mention: the private answer goes to the channel, where the user sees it.
    expect(fake.callsOf('chat.postEphemeral').at(-1)!.args).toMatchObject({ channel: 'C8', user: 'U8' });
    expect(fake.callsOf('chat.postEphemeral').at(-1)!.args.thread_ts).toBeUndefined();

    // /stylize with one image of the user's in the channel.
    const from = fake.callsOf('response_url').length;
    await sender.command({ command: '/stylize', text: 'tiles=4', user_id: 'U8', channel_id: 'C8' });
    await fake.waitFor(() => fake.callsOf('response_url').length > from);
    expect(responsesSince(from)[0]).toContain('I found only one ("dog.jpg"). Post the style image too, then run /stylize again');

    // /palette in a channel where the user posted nothing.
    await sender.command({ command: '/palette', text: '', user_id: 'U8', channel_id: 'C9' });
    await fake.waitFor(() => fake.callsOf('response_url').length > from + 1);
    expect(responsesSince(from)[1]).toContain('/palette uses the latest image you posted in this channel, and I found none. Post the style image here');

    // A channel the bot cannot read.
    fake.historyErrors.set('C10', 'not_in_channel');
    await sender.command({ command: '/palette', text: '', user_id: 'U8', channel_id: 'C10' });
    await fake.waitFor(() => fake.callsOf('response_url').length > from + 2);
    expect(responsesSince(from)[2]).toContain('Invite me first (/invite @tilestyle)');
    expect(fake.thread('C8', one.ts).filter((m) => m.user === fake.botUserId)).toEqual([]);
  });

  it('passes option problems on as the shared commands word them', async () => {
    const message = await fake.postUserMessage({
      channel: 'C11',
      user: 'U11',
      text: `${BOT()} tiles=99 colour=red strength=11`,
      files: ['dog.jpg', 'guitar.png'],
      fixturesDir: FIXTURES_DIR,
    });
    await sender.event(mentionEvent(message));
    await fake.waitFor(() => ephemeralsTo('U11').length > 0);
    expect(ephemeralsTo('U11')[0]).toBe(
      [
        'tiles must be auto or from 1 to 16 (got 99).',
        'I don\'t know the option "colour". The options of /stylize are: tiles, crop, size, iterations, strength, style_weight, content_weight, preserve_colors, seed.',
        // The same words as on Discord and the web page.
        'strength must be from 1 (keep the photo) to 10 (the style takes over) (got 11).',
      ].join('\n'),
    );
  });
});

describe('file downloads that Slack redirects', () => {
  afterEach(() => {
    fake.fileRedirect = 'none';
  });

  it('follows redirects only to Slack hosts, and sends the token only to the same origin or *.slack.com', () => {
    const opts = { token: 'xoxb-t', allowedOrigins: ['https://files.slack.com'] };
    const from = new URL('https://files.slack.com/files-pri/T1-F1/download/a.png');
    const to = (url: string) => slackRedirect(new URL(url), from, opts);
    const token = { headers: { Authorization: 'Bearer xoxb-t' } };
    expect(to('https://files.slack.com/files-tmb/T1-F1/a.png')).toEqual(token);
    expect(to('https://files-origin.slack.com/files-pri/T1-F1/a.png')).toEqual(token);
    expect(to('https://files.slack-edge.com/x/a.png?sig=1')).toEqual({});
    expect(to('https://slack-files.com/T1-F1-abc')).toEqual({});
    expect(to('https://evil.example/a.png')).toEqual({
      refuse: expect.stringMatching(/redirected the download to evil\.example, which is not one of Slack's hosts/),
    });
    expect(to('https://files.slack.com.evil.example/a.png')).toHaveProperty('refuse');
    expect(to('http://files-origin.slack.com/a.png')).toHaveProperty('refuse'); // never the token in clear text
  });

  it('runs a job whose files answer with a 302 to a presigned Slack host, without sending the token there', async () => {
    fake.fileRedirect = 'cdn';
    const from = fake.calls.length;
    const message = await fake.postUserMessage({
      channel: 'C60',
      user: 'U60',
      text: `${BOT()} palette tiles=1 size=64 iterations=2`,
      files: ['guitar.png'],
      fixturesDir: FIXTURES_DIR,
    });
    await sender.event(mentionEvent(message));
    await fake.waitFor(() => settingsIn('C60', message.ts).length === 1);
    const downloads = fake.calls.slice(from).filter((c) => c.method.startsWith('file.download'));
    expect(downloads.map((c) => [c.method, c.args.authorized])).toEqual([
      ['file.download', true],
      ['file.download.cdn', false],
    ]);
    expect(ephemeralsTo('U60')).toEqual([]);
  });

  it('re-sends the token on a redirect to the same host, and names a redirect to a sign-in page or a foreign host', async () => {
    const file = (await fake.postUserMessage({ channel: 'C61', user: 'U61', files: ['face.png'], fixturesDir: FIXTURES_DIR })).files![0]!;
    const opts = { token: fake.botToken, allowedOrigins: [fake.url], timeoutMs: 5000, maxBytes: 10 * 2 ** 20 };
    fake.fileRedirect = 'same-origin';
    const from = fake.calls.length;
    expect((await downloadPrivateFile(file.url_private_download, opts)).equals(fake.files.get(file.id)!.data)).toBe(true);
    expect(fake.calls.slice(from).map((c) => [c.method, c.args.authorized])).toEqual([
      ['file.download', true],
      ['file.download.redirected', true],
    ]);

    await expect(downloadPrivateFile(file.url_private_download, { ...opts, token: 'xoxb-no-files-read' })).rejects.toThrow(
      `Slack sent a web page instead of the file (after a redirect to ${new URL(fake.url).host}); the app may be missing the files:read scope`,
    );
    fake.fileRedirect = 'foreign';
    await expect(downloadPrivateFile(file.url_private_download, opts)).rejects.toThrow(
      `Slack redirected the download to ${new URL(fake.foreignOrigin).host}, which is not one of Slack's hosts`,
    );
  });
});

describe('Slack front end, more', () => {
  it('cancels a running job when its owner reacts ❌, not when someone else does', async () => {
    // The job stays running until its owner cancels it.
    t.stubs[0]!.hold();
    const message = await fake.postUserMessage({
      channel: 'C12',
      user: 'U12',
      text: `${BOT()} size=64 iterations=1000`,
      files: ['eagle.jpg', 'game-controller.png'],
      fixturesDir: FIXTURES_DIR,
    });
    await sender.event(mentionEvent(message));
    // Running, in whichever phase (the palette counts its own steps): the ❌ must stop it within a step.
    await fake.waitFor(() =>
      fake.callsOf('chat.update').some((c) => c.args.channel === 'C12' && /Running on cpu — (palette|stylizing): step \d+\/\d+/.test(String(c.args.text))),
    );
    const status = fake.thread('C12', message.ts).find((m) => m.user === fake.botUserId)!;
    const reaction = (user: string) => ({
      type: 'reaction_added',
      user,
      reaction: 'x',
      item_user: fake.botUserId,
      item: { type: 'message', channel: 'C12', ts: status.ts },
    });
    await sender.event(reaction('U13'));
    await fake.waitFor(() => ephemeralsTo('U13').length > 0);
    expect(ephemeralsTo('U13')[0]).toMatch(/belongs to someone else/);
    await sender.event(reaction('U12'));
    await fake.waitFor(() => fake.message('C12', status.ts)!.text === 'Cancelled.', 300_000);
    t.stubs[0]!.release();
    expect(ephemeralsTo('U12')[0]).toMatch(/^Cancelling your running job \w+ — it stops within a step\.$/);
    expect(fake.callsOf('chat.postEphemeral').find((c) => c.args.user === 'U12')!.args.thread_ts).toBe(message.ts);
    expect(fake.thread('C12', message.ts).some((m) => (m.files ?? []).some((f) => f.name.startsWith('result-')))).toBe(false);
  });

  it('/stylize finds Slack Connect images, which history lists as stubs without a mimetype', async () => {
    const content = await fake.postUserMessage({ channel: 'C62', user: 'U62', files: ['dog.jpg'], fixturesDir: FIXTURES_DIR, connect: true });
    const style = await fake.postUserMessage({ channel: 'C62', user: 'U62', files: ['guitar.png'], fixturesDir: FIXTURES_DIR, connect: true });
    const before = fake.calls.length;
    const history = (await new webApi.WebClient(fake.botToken, { slackApiUrl: fake.apiUrl }).conversations.history({ channel: 'C62' })).messages!;
    expect(history[0]!.files![0]).toEqual({ id: expect.any(String), mode: 'file_access', file_access: 'check_file_info', created: 0, timestamp: 0, user: '' });

    await sender.command({ command: '/stylize', text: 'size=64 iterations=2', user_id: 'U62', channel_id: 'C62' });
    await fake.waitFor(() => {
      const parent = fake.messages.find((m) => m.channel === 'C62' && m.user === fake.botUserId && m.text.includes('asked for /stylize'));
      return parent !== undefined && settingsIn('C62', parent.ts).length === 1;
    });
    const calls = fake.calls.slice(before);
    const resolved = calls.filter((c) => c.method === 'files.info').map((c) => c.args.file);
    expect(resolved).toEqual(expect.arrayContaining([content.files![0]!.id, style.files![0]!.id]));
    const parent = fake.messages.find((m) => m.channel === 'C62' && m.text.includes('asked for /stylize'))!;
    expect(parent.text).toContain('content *dog.jpg*, style *guitar.png*');
  });

  it('/palette finds an image the user posted in a thread, and answers in that thread', async () => {
    const parent = await fake.postUserMessage({ channel: 'C50', user: 'U51', text: 'ideas for styles?' });
    await fake.postUserMessage({ channel: 'C50', user: 'U50', text: 'this one', thread_ts: parent.ts, files: ['guitar.png'], fixturesDir: FIXTURES_DIR });
    const before = fake.calls.length;
    await sender.command({ command: '/palette', text: 'tiles=2 size=64 iterations=4', user_id: 'U50', channel_id: 'C50' });
    await fake.waitFor(() => settingsIn('C50', parent.ts).length === 1);
    const calls = fake.calls.slice(before);
    expect(calls.some((c) => c.method === 'conversations.replies' && c.args.ts === parent.ts)).toBe(true);
    for (const post of calls.filter((c) => c.method === 'chat.postMessage')) expect(post.args.thread_ts).toBe(parent.ts);
    const completion = calls.find((c) => c.method === 'files.completeUploadExternal')!;
    expect(completion.args).toMatchObject({ channel_id: 'C50', thread_ts: parent.ts });
    expect(String(completion.args.initial_comment)).toContain('Palette of the style');
  });

  it('finds the message that shows an upload in the thread when files.info does not list it yet, and escapes text', async () => {
    const client = new webApi.WebClient(fake.botToken, { slackApiUrl: fake.apiUrl });
    const port = new SlackReplyPort(client, 'C20', undefined, 'U20', { parentText: 'Parent', sharePollMs: [0, 10] });
    fake.hideShares = true;
    try {
      const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#f00' } })
        .png()
        .toBuffer();
      const infoBefore = fake.callsOf('files.info').length;
      const ref = await port.post('Result <1> & more', [{ filename: 'result-x.png', data: png }]);
      const shown = fake.messages.find((m) => m.channel === 'C20' && (m.files ?? []).length > 0)!;
      expect(ref.id).toBe(shown.ts);
      expect(shown.text).toBe('Result &lt;1&gt; &amp; more');
      expect(shown.thread_ts).toBe(port.where().thread);
      expect(fake.callsOf('files.info').length - infoBefore).toBe(2);
      expect(fake.thread('C20', port.where().thread!)[0]!.text).toBe('Parent');
    } finally {
      fake.hideShares = false;
    }
  });

  it('sends alt text as alt_txt, and uploads again without it when Slack does not share such a file', async () => {
    const client = new webApi.WebClient(fake.botToken, { slackApiUrl: fake.apiUrl });
    const uploads = { altText: true };
    const port = new SlackReplyPort(client, 'C21', undefined, 'U21', { parentText: 'Parent', sharePollMs: [0, 10], uploads });
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#0f0' } })
      .png()
      .toBuffer();
    const shown = (name: string) => fake.messages.filter((m) => m.channel === 'C21' && (m.files ?? []).some((f) => f.name === name));
    const urlCalls = (name: string) =>
      fake
        .callsOf('files.getUploadURLExternal')
        .filter((c) => c.args.filename === name)
        .map((c) => [c.args.alt_txt, c.args.alt_text]);

    const ref = await port.post('Result', [{ filename: 'result-a.png', data: png, description: 'The result' }]);
    expect(urlCalls('result-a.png')).toEqual([['The result', undefined]]);
    expect(shown('result-a.png').map((m) => [m.ts, m.files![0]!.alt_txt])).toEqual([[ref.id, 'The result']]);

    fake.altTxtPreventsShare = true;
    try {
      const second = await port.post('Result again', [{ filename: 'result-b.png', data: png, description: 'Another result' }]);
      expect(urlCalls('result-b.png')).toEqual([
        ['Another result', undefined],
        [undefined, undefined],
      ]);
      expect(shown('result-b.png').map((m) => m.ts)).toEqual([second.id]);
      expect(uploads.altText).toBe(false);
      await port.post('Third', [{ filename: 'result-c.png', data: png, description: 'Third result' }]);
      expect(urlCalls('result-c.png')).toEqual([[undefined, undefined]]);
    } finally {
      fake.altTxtPreventsShare = false;
    }
  });

  it('answers a direct message, and re-runs its result from a 🔁 after a restart', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'tilestyle-slack-'));
    let commands = await makeTestCommands({ dataDir });
    let bot = await startSlack(config, commands.handler, { sharePollMs: [0, 50], log: quiet });
    try {
      const dm = await fake.postUserMessage({
        channel: 'D1',
        user: 'U30',
        text: 'palette tiles=1 size=64 iterations=4',
        files: ['face.png'],
        fixturesDir: FIXTURES_DIR,
      });
      await new SlackSender(`${bot.url}/slack/events`, SECRET).event({ ...mentionEvent(dm), type: 'message', channel_type: 'im' });
      await fake.waitFor(() => settingsIn('D1', dm.ts).length === 1);
      const palette = fake.thread('D1', dm.ts).find((m) => (m.files ?? []).some((f) => f.name.startsWith('palette-')))!;
      expect(palette.reactions).toEqual([{ name: 'repeat', users: [fake.botUserId] }]);

      await bot.stop();
      await commands.close();
      commands = await makeTestCommands({ dataDir });
      bot = await startSlack(config, commands.handler, { sharePollMs: [0, 50], log: quiet });
      await new SlackSender(`${bot.url}/slack/events`, SECRET).event({
        type: 'reaction_added',
        user: 'U30',
        reaction: 'repeat',
        item_user: fake.botUserId,
        item: { type: 'message', channel: 'D1', ts: palette.ts },
      });
      await fake.waitFor(() => settingsIn('D1', dm.ts).length === 2);
      expect(settingsIn('D1', dm.ts)[1]!.text).toMatch(/^Settings: tiles=2 size=64 iterations=4 /);
    } finally {
      await bot.stop();
      await commands.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('stops at start with a message naming SLACK_BOT_TOKEN when Slack refuses the token (and never shows it)', async () => {
    const wrong = { ...config, botToken: 'xoxb-wrong-secret-value' };
    const started = startSlack(wrong, t.handler, { log: quiet });
    await expect(started).rejects.toThrow(ConfigError);
    await expect(started).rejects.toThrow(/^SLACK_BOT_TOKEN: was refused by Slack \(invalid_auth\)/);
    await started.catch((err: unknown) => expect(String(err)).not.toContain('wrong-secret-value'));
  });

  it('stops at start with a message naming SLACK_APP_TOKEN when Slack refuses the app token', async () => {
    const wrong = configFromEnv({ SLACK_BOT_TOKEN: fake.botToken, SLACK_APP_TOKEN: 'xapp-wrong-secret-value', SLACK_API_URL: fake.apiUrl })!;
    const started = startSlack(wrong, t.handler, { log: { ...quiet, error: () => undefined } });
    await expect(started).rejects.toThrow(/^SLACK_APP_TOKEN: was refused by Slack \(invalid_auth\)/);
    await started.catch((err: unknown) => expect(String(err)).not.toContain('wrong-secret-value'));
  });

  it('works over Socket Mode: connects with the app token and acknowledges a slash command', async () => {
    const socketConfig = configFromEnv({
      SLACK_BOT_TOKEN: fake.botToken,
      SLACK_APP_TOKEN: fake.appToken,
      SLACK_API_URL: fake.apiUrl,
      SLACK_FILE_ORIGINS: fake.url,
    })!;
    expect(socketConfig.mode).toBe('socket');
    const opens = fake.callsOf('apps.connections.open').length;
    const bot = await startSlack(socketConfig, t.handler, { log: quiet });
    try {
      await fake.waitFor(() => fake.callsOf('socket.connect').length > 0);
      expect(fake.callsOf('apps.connections.open')).toHaveLength(opens + 1);
      const from = fake.callsOf('response_url').length;
      fake.socketSend({
        envelope_id: 'env-1',
        type: 'slash_commands',
        accepts_response_payload: true,
        payload: {
          command: '/palette',
          text: 'help',
          user_id: 'U40',
          channel_id: 'C40',
          team_id: fake.teamId,
          response_url: `${fake.url}/respond/sm1`,
          trigger_id: 't',
        },
      });
      await fake.waitFor(() => fake.callsOf('socket.ack').some((c) => c.args.envelope_id === 'env-1'));
      await fake.waitFor(() => fake.callsOf('response_url').length > from);
      expect(responsesSince(from)[0]).toContain('On Slack:');
    } finally {
      await bot.stop();
    }
  });
});
