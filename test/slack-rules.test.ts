/**
 * @jest-environment ./test/onnx-environment.cjs
 *
 * Slack's documented rules, enforced by the fake, against the real Bolt app and the real commands at
 * small sizes: methods need the scopes slack-app-manifest.yml asks for (missing_scope otherwise),
 * not_in_channel, a response_url takes 5 responses, Tier limits answer 429 with Retry-After; and a
 * mention that shares files arrives as app_mention, as a file_share message, or both, and is answered once.
 */
import { readFile } from 'node:fs/promises';
import { webApi } from '@slack/bolt';
import type { SlackHandle } from '../src/bots/slack/index.js';
import { SlackReplyPort } from '../src/bots/slack/reply-port.js';
import { FakeSlack, manifestScopes, type FakeMessage } from './fakes/slack/server.js';
import type { SlackSender } from './fakes/slack/signed-requests.js';
import { FIXTURES_DIR, makeTestCommands, type TestCommands } from './helpers/commands.js';
import { startSlackAgainst } from './helpers/slack-app.js';

const SECRET = 'test-signing-secret';
let fake: FakeSlack;
let t: TestCommands;
let slack: SlackHandle;
let sender: SlackSender;

beforeAll(async () => {
  fake = await new FakeSlack().start();
  t = await makeTestCommands({ defaults: { size: 48, iterations: 3 } });
  ({ slack, sender } = await startSlackAgainst(fake, t.handler, SECRET));
});

afterAll(async () => {
  await slack?.stop();
  await t?.close();
  await fake?.close();
});

const settingsIn = (channel: string, thread: string) => fake.thread(channel, thread).filter((m) => m.text.startsWith('Settings:'));

async function mention(channel: string, text: string): Promise<FakeMessage> {
  return fake.postUserMessage({ channel, user: 'U1', text: `<@${fake.botUserId}> ${text}`, files: ['dog.jpg', 'guitar.png'], fixturesDir: FIXTURES_DIR });
}

function mentionEvent(m: FakeMessage): Record<string, unknown> {
  return { type: 'app_mention', user: m.user, text: m.text, ts: m.ts, channel: m.channel, files: m.files };
}

function fileShareEvent(m: FakeMessage): Record<string, unknown> {
  return { type: 'message', subtype: 'file_share', channel_type: 'channel', user: m.user, text: m.text, ts: m.ts, channel: m.channel, files: m.files };
}

describe('channel membership and response_url', () => {
  it('answers a slash command in a channel the bot is not in with how to invite it', async () => {
    fake.notMember.add('C9');
    const before = fake.callsOf('response_url').length;
    expect((await sender.command({ command: '/stylize', user_id: 'U1', channel_id: 'C9' })).status).toBe(200);
    await fake.waitFor(() => fake.callsOf('response_url').length > before);
    expect(String(fake.callsOf('response_url').at(-1)!.args.text)).toMatch(/Invite me first \(\/invite @tilestyle\)/);
    expect(fake.calls.some((c) => c.method === 'conversations.history' && c.error === 'not_in_channel')).toBe(true);
  });

  it('uses a response_url at most 5 times, then ephemeral messages', async () => {
    const url = `${fake.url}/respond/limit-test`;
    const client = new webApi.WebClient(fake.botToken, { slackApiUrl: fake.apiUrl });
    const respond = async (text: string) => {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text }) });
      if (!res.ok) throw new Error(`response_url refused: ${res.status}`);
    };
    const port = new SlackReplyPort(client, 'C1', undefined, 'U1', { respond });
    const ephemerals = fake.callsOf('chat.postEphemeral').length;
    for (let i = 0; i < 7; i++) await port.whisper(`note ${i}`);
    expect(
      fake
        .callsOf('response_url')
        .filter((c) => c.args.id === 'limit-test')
        .map((c) => c.args.text),
    ).toEqual(['note 0', 'note 1', 'note 2', 'note 3', 'note 4']);
    expect(
      fake
        .callsOf('chat.postEphemeral')
        .slice(ephemerals)
        .map((c) => c.args.text),
    ).toEqual(['note 5', 'note 6']);
    // The fake itself refuses a sixth use.
    await expect(respond('six')).rejects.toThrow(/404/);
  });
});

describe('a mention that shares files', () => {
  it('is answered from a file_share message alone, and once when app_mention comes too', async () => {
    const alone = await mention('C2', 'tiles=1');
    await sender.event(fileShareEvent(alone));
    await fake.waitFor(() => settingsIn('C2', alone.ts).length === 1);

    const both = await mention('C2', 'tiles=2');
    await sender.event(fileShareEvent(both));
    await sender.event(mentionEvent(both));
    await fake.waitFor(() => settingsIn('C2', both.ts).length === 1);
    await t.service.idle();
    expect(settingsIn('C2', both.ts)).toHaveLength(1);
    // A file_share message that does not mention the bot is none of its business.
    const quiet = await fake.postUserMessage({ channel: 'C2', user: 'U1', text: 'holiday pics', files: ['eagle.jpg'], fixturesDir: FIXTURES_DIR });
    const calls = fake.calls.length;
    await sender.event(fileShareEvent(quiet));
    await t.service.idle();
    expect(fake.calls.slice(calls).filter((c) => c.method.startsWith('chat.'))).toEqual([]);
  });
});

describe('Tier limits', () => {
  it('answers 429 with Retry-After over a tier; the bot waits and every job still ends with its palette, result and final status', async () => {
    fake.limitRates(0.1); // six-second "minutes": chat.update 5 per 6 s, chat.postMessage 6 per 6 s per channel
    try {
      const jobs = [await mention('C3', 'tiles=1 iterations=20'), await mention('C3', 'tiles=2 iterations=20')];
      for (const m of jobs) await sender.event(mentionEvent(m));
      for (const m of jobs) {
        await fake.waitFor(() => settingsIn('C3', m.ts).length === 1, 180_000);
        const mine = fake.thread('C3', m.ts).filter((x) => x.user === fake.botUserId);
        expect(mine.filter((x) => (x.files ?? []).length > 0)).toHaveLength(2);
        await fake.waitFor(() => /^Done in/.test(mine[0]!.text), 60_000);
      }
      console.info(`Slack tier test: ${fake.rateLimited.length} answers were 429.`);
    } finally {
      fake.limitRates(0);
    }
  }, 300_000);
});

// Last: the bot remembers a missing scope until it restarts.
describe('scopes from the manifest', () => {
  it('are what the fake grants, and without reactions:write and files:write a job still ends, in words', async () => {
    const manifest = manifestScopes(await readFile(new URL('../slack-app-manifest.yml', import.meta.url), 'utf8'));
    expect([...fake.scopes!].sort()).toEqual([...manifest].sort());
    expect(manifest).toEqual(expect.arrayContaining(['chat:write', 'files:write', 'files:read', 'reactions:write', 'channels:history']));
    const granted = fake.scopes!;
    fake.scopes = new Set([...granted].filter((s) => s !== 'reactions:write' && s !== 'files:write'));
    try {
      const m = await mention('C1', 'tiles=2');
      await sender.event(mentionEvent(m));
      await fake.waitFor(() => settingsIn('C1', m.ts).length === 1);
      const texts = fake.thread('C1', m.ts).map((x) => x.text);
      expect(texts.some((x) => x.startsWith('Palette of the style') && x.includes('files:write'))).toBe(true);
      expect(texts.some((x) => x.startsWith('Result') && x.includes('files:write'))).toBe(true);
      // Each missing scope was found out once, then not tried again.
      const refused = fake.calls.filter((c) => c.error === 'missing_scope');
      expect(refused.filter((c) => c.method === 'reactions.add').length).toBe(1);
      expect(refused.filter((c) => c.method === 'files.getUploadURLExternal').length).toBe(1);
    } finally {
      fake.scopes = granted;
    }
  });
});
