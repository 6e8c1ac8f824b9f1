/**
 * @jest-environment ./test/onnx-environment.cjs
 *
 * A job's result reaches its Slack user or is known not to, against the real Bolt app and the fake's
 * documented rules: Slack's retries of an event (X-Slack-Retry-Num, the same event_id) start no
 * second job, also after a restart; a 429 storm longer than the client's retries is tried again
 * later; a channel the bot was removed from sends the result to the user's DM; a response_url
 * expires after 30 minutes; rate-limited channel history is answered at once. Small sizes, one fake.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { webApi } from '@slack/bolt';
import { configFromEnv, startSlack, type SlackHandle } from '../src/bots/slack/index.js';
import { SlackReplyPort } from '../src/bots/slack/reply-port.js';
import { FakeSlack, type FakeMessage } from './fakes/slack/server.js';
import { SlackSender } from './fakes/slack/signed-requests.js';
import { FIXTURES_DIR, makeTestCommands, type TestCommands } from './helpers/commands.js';
import { Conditions } from './helpers/conditions.js';

const SECRET = 'test-signing-secret';
let fake: FakeSlack;
let t: TestCommands;
let slack: SlackHandle;
let sender: SlackSender;
let dataDir: string;
const logged: string[] = [];
const logChanged = new Conditions();
const note = (...a: unknown[]) => {
  logged.push(a.map((x) => (x instanceof Error ? x.message : String(x))).join(' '));
  logChanged.notify();
};
const repeatsLogged = (eventId: string, count: number) =>
  logChanged.until(
    () => logged.filter((l) => l.includes(`event ${eventId} was handled before`)).length === count,
    10_000,
    () => logged.join('\n'),
  );
const log = { error: note, warn: note, info: note };

async function start(): Promise<void> {
  t = await makeTestCommands({ dataDir, log, defaults: { size: 48, iterations: 3 }, limits: { deliveryRetryMs: [20, 40] } });
  const config = configFromEnv({
    SLACK_BOT_TOKEN: fake.botToken,
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_PORT: '0',
    SLACK_HOST: '127.0.0.1',
    SLACK_API_URL: fake.apiUrl,
    SLACK_FILE_ORIGINS: fake.url,
  })!;
  slack = await startSlack(config, t.handler, { sharePollMs: [0, 50, 100], log });
  sender = new SlackSender(`${slack.url}/slack/events`, SECRET, fake.teamId, fake.url);
}

async function stop(): Promise<void> {
  await slack?.stop();
  await t?.close();
}

beforeAll(async () => {
  fake = await new FakeSlack().start();
  dataDir = await mkdtemp(path.join(tmpdir(), 'tilestyle-slack-delivery-'));
  await start();
});

afterAll(async () => {
  await stop();
  await fake?.close();
  await rm(dataDir, { recursive: true, force: true });
});

afterEach(async () => {
  await t.service.idle();
  fake.notMember.clear();
}, 300_000);

/** Each test its own style, so none is answered from the palette cache. */
async function paletteMention(channel: string, style: string, options = ''): Promise<FakeMessage> {
  return fake.postUserMessage({ channel, user: 'U1', text: `<@${fake.botUserId}> palette ${options}`, files: [style], fixturesDir: FIXTURES_DIR });
}

function mentionEvent(m: FakeMessage): Record<string, unknown> {
  return { type: 'app_mention', user: m.user, text: m.text, ts: m.ts, channel: m.channel, files: m.files };
}

const settingsIn = (channel: string) => fake.messages.filter((m) => m.channel === channel && m.text.includes('Settings:'));
const jobIdOf = (text: string) => /job (\w+)/.exec(text)?.[1];

describe("Slack's retries of an event", () => {
  it('a retry with the same event_id starts no second job, also after a restart', async () => {
    const m = await paletteMention('C20', 'guitar.png');
    const sent = await sender.event(mentionEvent(m));
    expect(sent.status).toBe(200);
    // Slack did not see the 2xx in time (as far as it knows) and sends the event again, twice.
    expect((await sender.retry(sent, 1, 'http_timeout')).status).toBe(200);
    expect((await sender.retry(sent, 2, 'http_error')).status).toBe(200);
    await fake.waitFor(() => settingsIn('C20').length > 0, 120_000);
    await repeatsLogged(sent.eventId, 2);

    await t.service.idle();
    await stop();
    await start();
    // Slack's last retry comes about five minutes later: after the restart here.
    expect((await sender.retry(sent, 3, 'http_timeout')).status).toBe(200);
    await repeatsLogged(sent.eventId, 3);
    await t.service.idle();
    expect(t.service.history({ platform: 'slack', channel: 'C20' })).toHaveLength(1);
    expect(settingsIn('C20')).toHaveLength(1);
  }, 240_000);
});

describe('final replies', () => {
  it('a 429 storm longer than the client’s retries delays the result; it is tried again and arrives in the thread', async () => {
    // @slack/web-api makes 3 tries here (retries: 2), each waiting out Retry-After: the storm outlasts them.
    fake.storm('files.getUploadURLExternal', 3);
    const before = fake.rateLimited.length;
    const m = await paletteMention('C21', 'face.png');
    await sender.event(mentionEvent(m));
    await fake.waitFor(() => settingsIn('C21').length > 0, 120_000);
    expect(fake.rateLimited.length - before).toBe(3);
    expect(logged.some((l) => /failed for now; trying again/.test(l))).toBe(true);
    const palette = fake.thread('C21', m.ts).find((x) => x.files?.length);
    expect(palette).toBeDefined();
    const id = jobIdOf(settingsIn('C21')[0]!.text)!;
    await t.service.idle();
    expect(t.service.job(id)?.delivery).toBe('thread');
  }, 180_000);

  it('removed from the channel mid-job, the bot sends the result to the user’s DM and records it', async () => {
    const m = await paletteMention('C22', 'eagle.jpg', 'iterations=40');
    await sender.event(mentionEvent(m));
    await fake.waitFor(() => fake.thread('C22', m.ts).length > 1, 60_000); // the status message is in
    fake.notMember.add('C22');
    await fake.waitFor(() => settingsIn('D1').length > 0, 120_000);
    const inDm = fake.messages.filter((x) => x.channel === 'D1');
    expect(inDm.some((x) => x.files?.length && /couldn't post in its thread or channel/.test(x.text))).toBe(true);
    const id = jobIdOf(settingsIn('D1')[0]!.text)!;
    await t.service.idle();
    expect(t.service.job(id)?.delivery).toBe('dm');
  }, 180_000);
});

describe('response_url and channel history', () => {
  it('a response_url refused after 30 minutes on the fake’s clock turns a whisper into an ephemeral message', async () => {
    const url = fake.responseUrl();
    fake.advanceClock(31 * 60 * 1000);
    const client = new webApi.WebClient(fake.botToken, { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 } });
    const respond = async (text: string) => {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text }) });
      if (!res.ok) throw new Error(`refused: ${res.status}`);
    };
    const port = new SlackReplyPort(client, 'C23', undefined, 'U1', { respond });
    const before = fake.callsOf('chat.postEphemeral').length;
    await port.whisper('late words');
    expect(fake.callsOf('response_url').at(-1)!.error).toBe('expired_url');
    expect(
      fake
        .callsOf('chat.postEphemeral')
        .slice(before)
        .map((c) => c.args.text),
    ).toEqual(['late words']);
  });

  it('/stylize whose channel history is rate-limited is answered at once, pointing to a mention with images', async () => {
    fake.storm('conversations.history', 1, 60);
    const before = fake.callsOf('response_url').length;
    expect((await sender.command({ command: '/stylize', user_id: 'U1', channel_id: 'C24' })).status).toBe(200);
    await fake.waitFor(() => fake.callsOf('response_url').length > before, 20_000);
    expect(String(fake.callsOf('response_url').at(-1)!.args.text)).toMatch(/limiting how often I may read this channel.*Mention me with the images attached/);
    expect(fake.callsOf('conversations.history').filter((c) => c.error === 'ratelimited')).toHaveLength(1);
  });
});
