/**
 * @jest-environment ./test/onnx-environment.cjs
 *
 * Discord's documented rules, enforced by the fake, against the real discord.js client and the real
 * commands at small sizes: interaction tokens expire after 15 minutes (the fake's clock moves on, no
 * waiting), per-route rate limits answer 429 with Retry-After and X-RateLimit-* headers, and the
 * gateway sends only the events the identified intents cover.
 */
import { ApplicationCommandOptionType } from 'discord.js';
import { configFromEnv, startDiscord, type DiscordHandle } from '../src/bots/discord/index.js';
import { FakeDiscord, INTENT, INTERACTION_TOKEN_MS, type RecordedRequest } from './fakes/discord/server.js';
import { FIXTURES_DIR, makeTestCommands, type TestCommands } from './helpers/commands.js';

let fake: FakeDiscord;
let t: TestCommands;
let bot: DiscordHandle;
const logged: string[] = [];
const log = { error: (...a: unknown[]) => console.error(...a), warn: (...a: unknown[]) => void logged.push(a.map(String).join(' ')), info: () => undefined };
const int = (name: string, value: number) => ({ name, type: ApplicationCommandOptionType.Integer, value });
const content = (r: RecordedRequest) => String(r.body?.content ?? '');

beforeAll(async () => {
  fake = new FakeDiscord(FIXTURES_DIR);
  await fake.start();
  t = await makeTestCommands();
  const config = configFromEnv({ DISCORD_TOKEN: fake.token, DISCORD_APP_ID: fake.appId, DISCORD_API_URL: fake.apiUrl, DISCORD_CDN_ORIGINS: fake.origin })!;
  bot = await startDiscord(config, t.handler, { log, readyTimeoutMs: 20_000 });
});

afterAll(async () => {
  await bot?.stop();
  await t?.close();
  await fake?.stop();
});

afterEach(async () => {
  await t.service.idle();
}, 300_000);

afterEach(() => {
  fake.denials = {};
  fake.rateLimits = null;
});

describe('gateway intents', () => {
  it('asks for the reaction intents in guilds and DMs, so the fake sends those events', () => {
    expect(fake.intents & INTENT.GUILDS).toBeTruthy();
    expect(fake.intents & INTENT.GUILD_MESSAGE_REACTIONS).toBeTruthy();
    expect(fake.intents & INTENT.DIRECT_MESSAGE_REACTIONS).toBeTruthy();
    expect(fake.withheld).toEqual([]);
  });

  it('the fake withholds what the intents do not cover', () => {
    const intents = fake.intents;
    try {
      fake.intents = INTENT.GUILDS;
      const message = fake.userMessage(fake.addUser('zed'), fake.channelId, 'hi');
      fake.react(fake.addUser('yan'), message, '🔁');
      expect(fake.withheld).toEqual(['MESSAGE_REACTION_ADD']);
    } finally {
      fake.intents = intents;
      fake.withheld.length = 0;
    }
  });
});

describe('interaction tokens', () => {
  it('after 15 minutes, a job whose channel is closed to the bot answers in a DM instead of the expired reply', async () => {
    fake.denials = { channel: true };
    const from = fake.requests.length;
    const user = fake.addUser('quinn');
    const style = await fake.attachment('guitar.png');
    const { token } = fake.interaction(user, 'palette', [{ name: 'style', type: 11, value: style.id }, int('size', 48), int('iterations', 60)], [style]);
    const viaWebhook = (r: RecordedRequest) => r.path.startsWith(`/webhooks/${fake.appId}/${token}`);
    // The status goes through the command's reply (the channel is closed), and progress edits it there.
    const status = await fake.waitForRequest((r) => viaWebhook(r) && r.method === 'POST' && /Starting now|Queued/.test(content(r)), 30_000, from);
    await fake.waitForRequest((r) => viaWebhook(r) && r.method === 'PATCH' && /step/.test(content(r)), 120_000, from);
    fake.advanceClock(INTERACTION_TOKEN_MS);
    const dm = fake.dmWith(user);
    const settings = await fake.waitForRequest(
      (r) => r.method === 'POST' && r.path === `/channels/${dm}/messages` && content(r).startsWith('Settings:'),
      120_000,
      from,
    );
    expect(content(settings)).toContain('size=48');
    const inDm = fake.requests.slice(from).filter((r) => r.method === 'POST' && r.path === `/channels/${dm}/messages`);
    expect(inDm.some((r) => r.files.length > 0 && content(r).startsWith('Palette'))).toBe(true);
    // One refusal of the expired token at most (the bot may learn it from Discord), then none.
    const refused = fake.requests.slice(from).filter((r) => viaWebhook(r) && r.status === 401);
    expect(refused.length).toBeLessThanOrEqual(1);
    const lastRefused = refused.length ? fake.requests.indexOf(refused[0]!) : fake.requests.indexOf(settings);
    expect(fake.requests.slice(lastRefused + 1).filter(viaWebhook)).toEqual([]);
    expect(status.messageId).toBeDefined();
    expect(logged.some((l) => /direct message/.test(l))).toBe(true);
  }, 240_000);
});

describe('rate limits', () => {
  it('keeps to the per-channel buckets: two jobs at once in one channel get all their messages through', async () => {
    fake.rateLimits = { messages: { limit: 3, windowMs: 1000 }, reactions: { limit: 1, windowMs: 250 } };
    const filled = fake.bucketsFilled;
    const from = fake.requests.length;
    const channel = fake.channelId;
    const user = fake.addUser('rita');
    const threads: string[] = [];
    for (const style of ['guitar.png', 'face.png']) {
      const s = await fake.attachment(style);
      fake.interaction(user, 'palette', [{ name: 'style', type: 11, value: s.id }, int('size', 48), int('iterations', 40)], [s]);
    }
    await fake
      .waitUntil(() => {
        const made = fake.requests.slice(from).filter((r) => r.method === 'POST' && /\/threads$/.test(r.path) && r.status === 201);
        return made.length === 2 && made.map((r) => r.path.split('/')[4]!);
      }, 120_000)
      .then((ids) => threads.push(...ids));
    for (const thread of threads) {
      await fake.waitForRequest(
        (r) => r.method === 'POST' && r.path === `/channels/${thread}/messages` && r.status === 200 && content(r).startsWith('Settings:'),
        120_000,
        from,
      );
      const status = fake.requests.slice(from).find((r) => r.method === 'POST' && r.path === `/channels/${thread}/messages` && r.status === 200)!;
      await fake.waitUntil(() => fake.messages.get(status.messageId!)?.content.startsWith('Done'), 60_000);
    }
    const limited = fake.requests.slice(from).filter((r) => r.status === 429);
    // discord.js follows X-RateLimit-Remaining/Reset, so a 429 is rare; none may be lost.
    console.info(`Discord rate-limit test: ${limited.length} answers were 429 (channel ${channel}).`);
    expect(limited.length).toBeLessThanOrEqual(4);
    // The limits were reached (so this tested something), and the final words all arrived anyway.
    expect(fake.bucketsFilled).toBeGreaterThan(filled);
  }, 240_000);
});
