/**
 * @jest-environment ./test/onnx-environment.cjs
 *
 * Buttons on Slack: the real Bolt app (HTTP receiver) against the fake Slack, signed block_actions
 * clicks, the real commands over the real engine at small sizes. Each palette and result is followed
 * by a message of buttons, a running job's status carries Cancel (kept through every progress edit,
 * since chat.update with text alone drops blocks); a click is acknowledged at once and a refusal is
 * ephemeral; :arrow_up: upscales.
 */
import sharp from 'sharp';
import type { SlackHandle } from '../src/bots/slack/index.js';
import { FakeSlack, type FakeMessage } from './fakes/slack/server.js';
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
  t = await makeTestCommands({ limits: { maxSize: 96 } });
  ({ slack, sender } = await startSlackAgainst(fake, t.handler, SECRET));
});

afterAll(async () => {
  await slack?.stop();
  await t?.close();
  await fake?.close();
});

type Button = { action_id: string; text: { text: string }; value: string };
function buttonsOf(m: FakeMessage | undefined): Button[] {
  return (m?.blocks ?? []).flatMap((b) => (b.type === 'actions' ? (b.elements as Button[]) : []));
}
const settingsIn = (thread: string) => fake.thread('C1', thread).filter((m) => m.text.startsWith('Settings:'));
const mine = (thread: string) => fake.thread('C1', thread).filter((m) => m.user === fake.botUserId);

async function click(user: string, message: FakeMessage, actionId: string) {
  const response = await sender.interaction(fake.buttonClick(user, 'C1', message.ts, actionId));
  expect(response.status).toBe(200);
}

describe('buttons on Slack', () => {
  let thread = '';
  let jobId = '';

  beforeAll(async () => {
    const mention = await fake.postUserMessage({
      channel: 'C1',
      user: 'U1',
      text: `<@${fake.botUserId}> tiles=2 size=48 iterations=3 seed=7`,
      files: ['dog.jpg', 'guitar.png'],
      fixturesDir: FIXTURES_DIR,
    });
    thread = mention.ts;
    await sender.event({ type: 'app_mention', user: 'U1', text: mention.text, ts: mention.ts, channel: 'C1', files: mention.files });
    await fake.waitFor(() => settingsIn(thread).length === 1);
    jobId = /job (\w+)$/.exec(settingsIn(thread)[0]!.text)![1]!;
  });

  it('follows the palette and the result with their buttons, and keeps Cancel on the status until the job ends', async () => {
    const messages = mine(thread);
    const status = messages[0]!;
    await fake.waitFor(() => /Done in/.test(fake.message('C1', status.ts)!.text));
    // Every progress edit sent the Cancel button again; the final one removed it.
    const edits = fake.callsOf('chat.update').filter((c) => c.args.ts === status.ts);
    const progress = edits.filter((c) => /step \d+/.test(String(c.args.text)));
    expect(progress.length).toBeGreaterThan(0);
    for (const edit of progress) expect(String(edit.args.blocks)).toContain(`tilestyle:cancel:${jobId}`);
    expect(buttonsOf(fake.message('C1', status.ts))).toEqual([]);

    const withFiles = messages.filter((m) => (m.files ?? []).length > 0);
    const next = (m: FakeMessage) => messages[messages.indexOf(m) + 1]!;
    expect(buttonsOf(next(withFiles[0]!)).map((b) => b.text.text)).toEqual(['Finer tiles', 'Coarser tiles', 'Stronger', 'Weaker', 'New seed']);
    expect(buttonsOf(next(withFiles[1]!)).map((b) => b.text.text)).toEqual([
      'Finer tiles',
      'Coarser tiles',
      'Stronger',
      'Weaker',
      'New seed',
      'Upscale',
      'Send to me',
      'Delete',
    ]);
    expect(buttonsOf(next(withFiles[1]!)).every((b) => b.value === jobId)).toBe(true);
  });

  it('a click runs the variation in the thread; Upscale and :arrow_up: redraw the result at twice its size', async () => {
    const buttons = mine(thread).filter((m) => buttonsOf(m).some((b) => b.text.text === 'Upscale'))[0]!;
    await click('U2', buttons, `tilestyle:weaker:${jobId}`);
    await fake.waitFor(() => settingsIn(thread).length === 2);
    expect(settingsIn(thread)[1]!.text).toMatch(/^Settings: tiles=2 size=48 iterations=3 strength=3 preserve_colors=no seed=7 /);

    await click('U1', buttons, `tilestyle:upscale:${jobId}`);
    await fake.waitFor(() => settingsIn(thread).length === 3);
    const upscaled = /job (\w+)$/.exec(settingsIn(thread)[2]!.text)![1]!;
    expect(t.service.job(upscaled)).toMatchObject({ kind: 'upscale', parentId: jobId, options: { size: 96 } });
    const file = mine(thread)
      .filter((m) => (m.files ?? []).length > 0)
      .at(-1)!.files![0]!;
    const meta = await sharp(fake.files.get(file.id)!.data).metadata();
    expect(Math.max(meta.width!, meta.height!)).toBe(96);

    const result = mine(thread).filter((m) => (m.files ?? []).some((f) => f.name === `result-${jobId}.png`))[0]!;
    await sender.event({
      type: 'reaction_added',
      user: 'U1',
      reaction: 'arrow_up',
      item_user: fake.botUserId,
      item: { type: 'message', channel: 'C1', ts: result.ts },
    });
    await fake.waitFor(() => settingsIn(thread).length === 4);
    expect(t.service.job(/job (\w+)$/.exec(settingsIn(thread)[3]!.text)![1]!)).toMatchObject({ kind: 'upscale', parentId: jobId });
  });

  it("refuses another user's Cancel to them alone, and cancels the owner's running job", async () => {
    // The job stays running until its owner cancels it.
    t.stubs[0]!.hold();
    const mention = await fake.postUserMessage({
      channel: 'C1',
      user: 'U1',
      text: `<@${fake.botUserId}> size=48 iterations=300`,
      files: ['eagle.jpg', 'scream.jpg'],
      fixturesDir: FIXTURES_DIR,
    });
    await sender.event({ type: 'app_mention', user: 'U1', text: mention.text, ts: mention.ts, channel: 'C1', files: mention.files });
    await fake.waitFor(
      () => mine(mention.ts).length > 0 && fake.callsOf('chat.update').some((c) => c.args.ts === mine(mention.ts)[0]!.ts && /step/.test(String(c.args.text))),
    );
    const status = mine(mention.ts)[0]!;
    const cancel = buttonsOf(fake.message('C1', status.ts))[0]!.action_id;
    const ephemerals = fake.callsOf('chat.postEphemeral').length;
    await click('U3', fake.message('C1', status.ts)!, cancel);
    await fake.waitFor(() => fake.callsOf('chat.postEphemeral').length > ephemerals);
    const refusal = fake.callsOf('chat.postEphemeral').at(-1)!;
    expect(refusal.args).toMatchObject({ channel: 'C1', user: 'U3', thread_ts: mention.ts });
    expect(String(refusal.args.text)).toContain('belongs to someone else');

    await click('U1', fake.message('C1', status.ts)!, cancel);
    await fake.waitFor(() => /Cancelled/.test(fake.message('C1', status.ts)!.text) && buttonsOf(fake.message('C1', status.ts)).length === 0);
    t.stubs[0]!.release();
  });
});
