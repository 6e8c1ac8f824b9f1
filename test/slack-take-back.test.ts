/**
 * @jest-environment ./test/onnx-environment.cjs
 *
 * Taking results back on Slack: the real Bolt app against the fake Slack, the real commands over the
 * stub engine. :x: from someone else is refused privately; the owner's Delete removes the job's
 * messages with chat.delete (an upload's buttons message with it); :envelope: sends the result in the
 * app's DM, opened with conversations.open; a bot user's Send to me is refused (cannot_dm_bot);
 * "show <job>" posts an earlier result again.
 */
import type { SlackHandle } from '../src/bots/slack/index.js';
import { commandArgument } from '../src/bots/slack/requests.js';
import { FakeSlack, type FakeMessage } from './fakes/slack/server.js';
import type { SlackSender } from './fakes/slack/signed-requests.js';
import { FIXTURES_DIR, makeTestCommands, type TestCommands } from './helpers/commands.js';
import { startSlackAgainst } from './helpers/slack-app.js';
import { StubEngine } from './helpers/stub-engine.js';

const SECRET = 'test-signing-secret';
let fake: FakeSlack;
let t: TestCommands;
let slack: SlackHandle;
let sender: SlackSender;

beforeAll(async () => {
  fake = await new FakeSlack().start();
  const stub = new StubEngine();
  t = await makeTestCommands({ createEngine: async () => stub });
  ({ slack, sender } = await startSlackAgainst(fake, t.handler, SECRET));
});

afterAll(async () => {
  await slack?.stop();
  await t?.close();
  await fake?.close();
});

type Button = { action_id: string; text: { text: string } };
const buttonsOf = (m: FakeMessage | undefined): Button[] => (m?.blocks ?? []).flatMap((b) => (b.type === 'actions' ? (b.elements as Button[]) : []));
const mine = (thread: string) => fake.thread('C1', thread).filter((m) => m.user === fake.botUserId);
const ephemeralsTo = (user: string) =>
  fake
    .callsOf('chat.postEphemeral')
    .filter((c) => c.args.user === user)
    .map((c) => String(c.args.text));

/** A mention with two images, run to the end: its thread, job id, result upload and the result's buttons message. */
async function stylize(user: string) {
  const mention = await fake.postUserMessage({
    channel: 'C1',
    user,
    text: `<@${fake.botUserId}> size=48`,
    files: ['dog.jpg', 'guitar.png'],
    fixturesDir: FIXTURES_DIR,
  });
  await sender.event({ type: 'app_mention', user, text: mention.text, ts: mention.ts, channel: 'C1', files: mention.files });
  await fake.waitFor(() => mine(mention.ts).some((m) => m.text.startsWith('Settings:')));
  await t.service.idle();
  const jobId = /job (\w+)$/.exec(mine(mention.ts).find((m) => m.text.startsWith('Settings:'))!.text)![1]!;
  const result = mine(mention.ts).find((m) => (m.files ?? []).some((f) => f.name === `result-${jobId}.png`))!;
  const buttons = mine(mention.ts).find((m) => buttonsOf(m).some((b) => b.action_id === `tilestyle:delete:${jobId}`))!;
  return { thread: mention.ts, jobId, result, buttons };
}

async function click(user: string, message: FakeMessage, actionId: string) {
  const response = await sender.interaction(fake.buttonClick(user, 'C1', message.ts, actionId));
  expect(response.status).toBe(200);
}

describe('taking a result back on Slack', () => {
  it("refuses :x: from someone else to them alone; the owner's Delete deletes every message of the job", async () => {
    const job = await stylize('U1');
    const posted = mine(job.thread).map((m) => m.ts);
    expect(posted.length).toBeGreaterThanOrEqual(6); // status, palette + buttons, result + buttons, settings

    await sender.event({
      type: 'reaction_added',
      user: 'U2',
      reaction: 'x',
      item_user: fake.botUserId,
      item: { type: 'message', channel: 'C1', ts: job.result.ts },
    });
    await fake.waitFor(() => ephemeralsTo('U2').length > 0);
    expect(ephemeralsTo('U2')).toEqual([`Job ${job.jobId} belongs to someone else, so I can't delete it for you — only they or an admin can.`]);
    expect(fake.callsOf('chat.delete')).toEqual([]);

    await click('U1', job.buttons, `tilestyle:delete:${job.jobId}`);
    await fake.waitFor(() => ephemeralsTo('U1').some((e) => e.startsWith('Deleted job')));
    expect(ephemeralsTo('U1').at(-1)).toBe(`Deleted job ${job.jobId}: its messages and images are gone.`);
    const deletes = fake.callsOf('chat.delete');
    expect(deletes.map((c) => String(c.args.ts)).sort()).toEqual([...posted].sort());
    expect(deletes.every((c) => c.args.channel === 'C1' && c.error === undefined)).toBe(true);
    expect(mine(job.thread)).toEqual([]);
    expect(t.service.job(job.jobId)).toBeUndefined();
  });

  it(':envelope: sends the result in a DM opened with conversations.open; a bot user is refused privately', async () => {
    const job = await stylize('U1');
    await sender.event({
      type: 'reaction_added',
      user: 'U3',
      reaction: 'envelope',
      item_user: fake.botUserId,
      item: { type: 'message', channel: 'C1', ts: job.result.ts },
    });
    await fake.waitFor(() => fake.messages.some((m) => m.channel === 'D3' && (m.files ?? []).length > 0));
    expect(fake.callsOf('conversations.open').at(-1)!.args).toMatchObject({ users: 'U3' });
    const dm = fake.messages.find((m) => m.channel === 'D3' && (m.files ?? []).length > 0)!;
    expect(dm.files!.map((f) => f.name)).toEqual([`result-${job.jobId}.png`]);
    expect(dm.text).toMatch(new RegExp(`^Job ${job.jobId}: Result — `));
    expect(ephemeralsTo('U3')).toEqual([]);

    fake.botUsers.add('U4');
    await click('U4', job.buttons, `tilestyle:send:${job.jobId}`);
    await fake.waitFor(() => ephemeralsTo('U4').length > 0);
    expect(fake.callsOf('conversations.open').at(-1)!.error).toBe('cannot_dm_bot');
    expect(ephemeralsTo('U4')[0]).toMatch(/^I can't send you a direct message: your privacy settings don't let me\./);
    expect(fake.messages.some((m) => m.channel === 'D4')).toBe(false);
  });

  it('"show <job>" posts an earlier result again in the thread of the mention', async () => {
    expect(commandArgument(' show  1a2b3c4d5e ')).toBe('1a2b3c4d5e');
    expect(commandArgument('show')).toBe('');
    const job = await stylize('U1');
    const ask = await fake.postUserMessage({ channel: 'C1', user: 'U5', text: `<@${fake.botUserId}> show ${job.jobId}` });
    await sender.event({ type: 'app_mention', user: 'U5', text: ask.text, ts: ask.ts, channel: 'C1' });
    await fake.waitFor(() => mine(ask.ts).some((m) => (m.files ?? []).length > 0));
    const copy = mine(ask.ts).find((m) => (m.files ?? []).length > 0)!;
    expect(copy.files!.map((f) => f.name)).toEqual([`result-${job.jobId}.png`]);
    expect(copy.text).toMatch(new RegExp(`^Job ${job.jobId} again — Result — `));

    const unknown = await fake.postUserMessage({ channel: 'C1', user: 'U5', text: `<@${fake.botUserId}> show nosuchjob1` });
    await sender.event({ type: 'app_mention', user: 'U5', text: unknown.text, ts: unknown.ts, channel: 'C1' });
    await fake.waitFor(() => ephemeralsTo('U5').length > 0);
    expect(ephemeralsTo('U5')[0]).toMatch(/^I don't know a job "nosuchjob1" here \(or it was deleted\)\./);
  });
});
