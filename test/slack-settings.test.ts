/**
 * @jest-environment ./test/onnx-environment.cjs
 *
 * settings on Slack through the real Bolt app against the fake Slack, over the stub engine: as a
 * slash command's word (/stylize settings …) and in a mention (@tilestyle settings), answered only to
 * the user, with the same words as every platform.
 */
import { configFromEnv, startSlack, type SlackHandle } from '../src/bots/slack/index.js';
import { FakeSlack } from './fakes/slack/server.js';
import { SlackSender } from './fakes/slack/signed-requests.js';
import { makeTestCommands, type TestCommands } from './helpers/commands.js';
import { StubEngine } from './helpers/stub-engine.js';

const SECRET = 'test-signing-secret';
const quiet = { error: (...args: unknown[]) => console.error(...args), warn: () => undefined, info: () => undefined };

let fake: FakeSlack;
let t: TestCommands;
let slack: SlackHandle;
let sender: SlackSender;

beforeAll(async () => {
  fake = await new FakeSlack().start();
  t = await makeTestCommands({ createEngine: async () => new StubEngine(), defaults: { strength: 5 } });
  const config = configFromEnv({
    SLACK_BOT_TOKEN: fake.botToken,
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_PORT: '0',
    SLACK_HOST: '127.0.0.1',
    SLACK_API_URL: fake.apiUrl,
    SLACK_FILE_ORIGINS: fake.url,
  })!;
  slack = await startSlack(config, t.handler, { sharePollMs: [0, 50, 100], log: quiet });
  sender = new SlackSender(`${slack.url}/slack/events`, SECRET, fake.teamId, fake.url);
});

afterAll(async () => {
  await slack?.stop();
  await t?.close();
  await fake?.close();
});

test("/stylize settings sets the user's defaults privately; a mention with settings shows them", async () => {
  const from = fake.callsOf('response_url').length;
  await sender.command({ command: '/stylize', text: 'settings strength=7 crop=none', user_id: 'U71', channel_id: 'C71' });
  await fake.waitFor(() => fake.callsOf('response_url').length > from);
  const reply = fake.callsOf('response_url').at(-1)!;
  expect(reply.args.response_type).toBe('ephemeral');
  expect(String(reply.args.text)).toMatch(/^Saved\. Your defaults for new jobs: .*crop=none .*strength=7 palette=on\./);

  const asked = await fake.postUserMessage({ channel: 'C71', user: 'U71', text: `<@${fake.botUserId}> settings` });
  await sender.event({ type: 'app_mention', user: 'U71', text: asked.text, ts: asked.ts, channel: 'C71' });
  await fake.waitFor(() => fake.callsOf('chat.postEphemeral').some((c) => c.args.user === 'U71'));
  const shown = fake.callsOf('chat.postEphemeral').find((c) => c.args.user === 'U71')!;
  expect(String(shown.args.text)).toContain('Yours: crop, strength;');
});
