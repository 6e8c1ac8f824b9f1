/**
 * @jest-environment ./test/onnx-environment.cjs
 *
 * Load against the fakes with their rate limits on: 6 jobs at once in one Slack workspace (one
 * channel) and 6 at once in one Discord channel, all on one command service over the real engine at
 * tiny sizes. Every job must end with its palette, its result and its final status; the 429s the
 * platforms answered are counted and printed.
 */
import { ApplicationCommandOptionType } from 'discord.js';
import { configFromEnv as discordConfig, startDiscord, type DiscordHandle } from '../src/bots/discord/index.js';
import { configFromEnv as slackConfig, startSlack, type SlackHandle } from '../src/bots/slack/index.js';
import { FakeDiscord } from './fakes/discord/server.js';
import { FakeSlack } from './fakes/slack/server.js';
import { SlackSender } from './fakes/slack/signed-requests.js';
import { FIXTURES_DIR, makeTestCommands, type TestCommands } from './helpers/commands.js';

const JOBS = 6;
const quiet = { error: (...args: unknown[]) => console.error(...args), warn: () => undefined, info: () => undefined };
let t: TestCommands;
let discord: FakeDiscord;
let slack: FakeSlack;
let discordBot: DiscordHandle;
let slackBot: SlackHandle;
let sender: SlackSender;

beforeAll(async () => {
  t = await makeTestCommands({ limits: { perUserWaiting: JOBS, globalWaiting: 4 * JOBS, progressIntervalMs: 50 }, defaults: { size: 32, iterations: 4 } });
  discord = new FakeDiscord(FIXTURES_DIR);
  await discord.start();
  // Discord's commonly observed buckets: 5 message posts/edits per 5 s per channel, 1 reaction per 250 ms.
  discord.rateLimits = { messages: { limit: 5, windowMs: 5000 }, reactions: { limit: 1, windowMs: 250 } };
  discordBot = await startDiscord(
    discordConfig({ DISCORD_TOKEN: discord.token, DISCORD_APP_ID: discord.appId, DISCORD_API_URL: discord.apiUrl, DISCORD_CDN_ORIGINS: discord.origin })!,
    t.handler,
    { log: quiet, readyTimeoutMs: 20_000 },
  );
  slack = await new FakeSlack().start();
  // Slack's tiers with a 12-second "minute" (the counts scaled alike): the same rates, shorter waits.
  slack.limitRates(0.2);
  const config = slackConfig({
    SLACK_BOT_TOKEN: slack.botToken,
    SLACK_SIGNING_SECRET: 's',
    SLACK_PORT: '0',
    SLACK_HOST: '127.0.0.1',
    SLACK_API_URL: slack.apiUrl,
    SLACK_FILE_ORIGINS: slack.url,
  })!;
  slackBot = await startSlack(config, t.handler, { sharePollMs: [0, 50, 100], log: quiet });
  sender = new SlackSender(`${slackBot.url}/slack/events`, 's', slack.teamId, slack.url);
}, 120_000);

afterAll(async () => {
  await discordBot?.stop();
  await slackBot?.stop();
  await t?.close();
  await discord?.stop();
  await slack?.close();
});

it(`${JOBS} jobs at once on each platform all end with palette, result and final status`, async () => {
  const styles = ['guitar.png', 'face.png', 'game-controller.png'];
  // Slack: six mentions with images in one channel.
  const mentions = [];
  for (let i = 0; i < JOBS; i++) {
    const m = await slack.postUserMessage({
      channel: 'CLOAD',
      user: `U${i}`,
      text: `<@${slack.botUserId}> tiles=${1 + (i % 3)} seed=${i}`,
      files: ['dog.jpg', styles[i % 3]!],
      fixturesDir: FIXTURES_DIR,
    });
    mentions.push(m);
  }
  await Promise.all(mentions.map((m) => sender.event({ type: 'app_mention', user: m.user, text: m.text, ts: m.ts, channel: m.channel, files: m.files })));
  // Discord: six /stylize in one channel.
  const from = discord.requests.length;
  for (let i = 0; i < JOBS; i++) {
    const c = await discord.attachment('dog.jpg');
    const s = await discord.attachment(styles[i % 3]!);
    discord.interaction(
      discord.addUser(`user${i}`),
      'stylize',
      [
        { name: 'content', type: ApplicationCommandOptionType.Attachment, value: c.id },
        { name: 'style', type: ApplicationCommandOptionType.Attachment, value: s.id },
        { name: 'seed', type: ApplicationCommandOptionType.Integer, value: i },
      ],
      [c, s],
    );
  }

  for (const m of mentions) {
    await slack.waitFor(() => slack.thread('CLOAD', m.ts).some((x) => x.text.startsWith('Settings:')), 600_000);
    const mine = slack.thread('CLOAD', m.ts).filter((x) => x.user === slack.botUserId);
    expect(mine.filter((x) => (x.files ?? []).length > 0).map((x) => x.files![0]!.name.split('-')[0])).toEqual(['palette', 'result']);
    await slack.waitFor(() => /^Done in/.test(mine[0]!.text), 120_000);
  }
  const threads = await discord.waitUntil(() => {
    const made = discord.requests.slice(from).filter((r) => r.method === 'POST' && /\/threads$/.test(r.path) && r.status === 201);
    return made.length === JOBS && made.map((r) => r.path.split('/')[4]!);
  }, 120_000);
  for (const thread of threads) {
    await discord.waitForRequest(
      (r) => r.method === 'POST' && r.path === `/channels/${thread}/messages` && r.status === 200 && String(r.body?.content).startsWith('Settings:'),
      600_000,
      from,
    );
    const posts = discord.requests.slice(from).filter((r) => r.method === 'POST' && r.path === `/channels/${thread}/messages` && r.status === 200);
    expect(posts.filter((p) => p.files.length > 0).map((p) => String(p.body?.content).split(' ')[0])).toEqual(['Palette', 'Result']);
    await discord.waitUntil(() => discord.messages.get(posts[0]!.messageId!)?.content.startsWith('Done'), 120_000);
  }
  const slack429 = slack.rateLimited;
  const discord429 = discord.requests.slice(from).filter((r) => r.status === 429);
  const byMethod = (calls: { method: string }[]) =>
    Object.entries(
      calls.reduce<Record<string, number>>((acc, c) => {
        acc[c.method] = (acc[c.method] ?? 0) + 1;
        return acc;
      }, {}),
    );
  console.info(
    `Load test: ${JOBS} Slack jobs → ${slack429.length} answers 429 ${JSON.stringify(byMethod(slack429))}, ${slack.callsOf('chat.update').length} chat.update calls; ` +
      `${JOBS} Discord jobs → ${discord429.length} answers 429, ${discord.requests.slice(from).filter((r) => r.method === 'PATCH').length} edits.`,
  );
}, 900_000);
