/**
 * @jest-environment ./test/onnx-environment.cjs
 *
 * The admin controls through the real Bolt app against the fake Slack (stub engine): the front end's
 * verdict comes from users.info (`is_admin`, `is_owner`, `is_primary_owner`, remembered for a while)
 * or SLACK_ADMIN_USERS; a plain member is refused. Slash commands and mentions both carry them.
 */
import type { SlackHandle } from '../src/bots/slack/index.js';
import { BANNED, NEEDS_SERVER, NOT_AN_OPERATOR } from '../src/commands/admin-messages.js';
import { FakeSlack } from './fakes/slack/server.js';
import type { SlackSender } from './fakes/slack/signed-requests.js';
import { makeTestCommands, type TestCommands } from './helpers/commands.js';
import { startSlackAgainst } from './helpers/slack-app.js';
import { StubEngine } from './helpers/stub-engine.js';

const SECRET = 'test-signing-secret';
let fake: FakeSlack;
let t: TestCommands;
let slack: SlackHandle;
let sender: SlackSender;

beforeAll(async () => {
  fake = await new FakeSlack().start();
  fake.roles.set('UADMIN01', { is_admin: true });
  fake.roles.set('UOWNER01', { is_owner: true, is_primary_owner: true });
  t = await makeTestCommands({ createEngine: async () => new StubEngine() });
  ({ slack, sender } = await startSlackAgainst(fake, t.handler, SECRET, { SLACK_ADMIN_USERS: 'UNAMED01' }));
});

afterAll(async () => {
  await slack?.stop();
  await t?.close();
  await fake?.close();
});

/** `/stylize <text>` as `user`; the answer through the command's response_url. */
async function slash(user: string, text: string, channel = 'C1'): Promise<string> {
  const before = fake.callsOf('response_url').length;
  expect((await sender.command({ command: '/stylize', text, user_id: user, channel_id: channel })).status).toBe(200);
  await fake.waitFor(() => fake.callsOf('response_url').length > before, 30_000);
  return String(fake.callsOf('response_url').at(-1)!.args.text);
}

/** Slack escapes &, < and > in what the bot posts (reply-port.ts); the tests compare plain words. */
const plain = (text: string) => text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

it('refuses a plain member', async () => {
  expect(plain(await slash('U1', 'admin pause'))).toBe(NOT_AN_OPERATOR);
  expect(plain(await slash('UADMIN01', 'admin show'))).toMatch(/^Queue: running\./);
});

it('lets a workspace admin pause and resume, asking users.info once', async () => {
  const asked = () => fake.callsOf('users.info').filter((c) => c.args.user === 'UADMIN01').length;
  expect(plain(await slash('UADMIN01', 'admin pause'))).toMatch(/^Paused the queue/);
  expect(plain(await slash('UADMIN01', 'admin show'))).toMatch(/^Queue: paused\./);
  expect(plain(await slash('UADMIN01', 'admin resume'))).toMatch(/^Resumed the queue/);
  expect(asked()).toBe(1);
});

it('lets the primary owner ban a mentioned user, whose commands are then refused', async () => {
  expect(plain(await slash('UOWNER01', 'admin ban <@U2|u2>'))).toBe('Blocked user U2 here: their commands are refused.');
  expect(plain(await slash('U2', 'status'))).toBe(BANNED);
  expect(plain(await slash('UOWNER01', 'admin unban <@U2|u2>'))).toMatch(/may use me here again/);
  expect(plain(await slash('U2', 'status'))).toMatch(/^Queues:/);
});

it('lets a user named in SLACK_ADMIN_USERS choose channels, though users.info calls them a member', async () => {
  expect(plain(await slash('UNAMED01', 'admin allow-channel <#C5|art>'))).toBe('I answer only in: #C5.');
  expect(plain(await slash('U3', 'status', 'C1'))).toMatch(/only answer in the channels .*#C5/);
  expect(plain(await slash('U3', 'status', 'C5'))).toMatch(/^Queues:/);
  expect(plain(await slash('UNAMED01', 'admin all-channels'))).toMatch(/^Cleared the channel list/);
});

it('takes the controls in a mention too, answered to the admin alone', async () => {
  const before = fake.callsOf('chat.postEphemeral').length;
  const message = await fake.postUserMessage({ channel: 'C1', user: 'UADMIN01', text: `<@${fake.botUserId}> admin limits size=96 iterations=40` });
  await sender.event({ type: 'app_mention', user: message.user, text: message.text, ts: message.ts, channel: message.channel });
  await fake.waitFor(() => fake.callsOf('chat.postEphemeral').length > before, 30_000);
  const reply = fake.callsOf('chat.postEphemeral').at(-1)!;
  expect(reply.args.user).toBe('UADMIN01');
  expect(plain(String(reply.args.text))).toBe('Limits here: size up to 96 px, iterations up to 40.');
  expect(plain(await slash('UADMIN01', 'admin clear-limits'))).toMatch(/^Cleared this server's limits/);
});

it('in a DM there is no workspace channel list or limits to set', async () => {
  expect(plain(await slash('UADMIN01', 'admin limits size=96', 'D1'))).toBe(NEEDS_SERVER);
});
