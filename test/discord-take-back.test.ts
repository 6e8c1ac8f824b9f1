/**
 * @jest-environment ./test/onnx-environment.cjs
 *
 * Taking results back on Discord: the real discord.js client against the fake Discord, the real
 * commands over the stub engine. ❌ from someone else is refused; Delete from the owner deletes the
 * job's messages (DELETE /channels/{thread}/messages/{id}); ✉️ and Send to me post the result in the
 * user's DM channel (POST /users/@me/channels), and a user who takes no DMs (50007) is told so
 * privately; /tilestyle show posts an earlier result again.
 */
import { ApplicationCommandOptionType } from 'discord.js';
import { configFromEnv, startDiscord, type DiscordHandle } from '../src/bots/discord/index.js';
import { FakeDiscord, type RecordedRequest } from './fakes/discord/server.js';
import { FIXTURES_DIR, makeTestCommands, type TestCommands } from './helpers/commands.js';
import { StubEngine } from './helpers/stub-engine.js';

let fake: FakeDiscord;
let t: TestCommands;
let bot: DiscordHandle;
const log = { error: (...args: unknown[]) => console.error(...args), warn: () => undefined, info: () => undefined };
const content = (r: RecordedRequest) => String(r.body?.content ?? '');

beforeAll(async () => {
  fake = new FakeDiscord(FIXTURES_DIR);
  await fake.start();
  const stub = new StubEngine();
  t = await makeTestCommands({ createEngine: async () => stub });
  const config = configFromEnv({ DISCORD_TOKEN: fake.token, DISCORD_APP_ID: fake.appId, DISCORD_API_URL: fake.apiUrl, DISCORD_CDN_ORIGINS: fake.origin })!;
  bot = await startDiscord(config, t.handler, { log, readyTimeoutMs: 20_000 });
});

afterAll(async () => {
  await bot?.stop();
  await t?.close();
  await fake?.stop();
});

/** Runs a /stylize for `user` to the end: its thread, job id, and the ids of the messages it posted. */
async function stylize(user: ReturnType<FakeDiscord['addUser']>) {
  const from = fake.requests.length;
  const c = await fake.attachment('dog.jpg');
  const s = await fake.attachment('guitar.png');
  fake.interaction(
    user,
    'stylize',
    [
      { name: 'content', type: 11, value: c.id },
      { name: 'style', type: 11, value: s.id },
    ],
    [c, s],
  );
  const threadCall = await fake.waitForRequest((r) => r.method === 'POST' && /\/threads$/.test(r.path), 30_000, from);
  const thread = threadCall.path.split('/')[4]!;
  const settings = await fake.waitForRequest(
    (r) => r.method === 'POST' && r.path === `/channels/${thread}/messages` && content(r).startsWith('Settings:'),
    60_000,
    from,
  );
  const jobId = /job (\w+)$/.exec(content(settings))![1]!;
  await t.service.idle();
  const posts = fake.requests.slice(from).filter((r) => r.method === 'POST' && r.path === `/channels/${thread}/messages`);
  const result = posts.find((p) => p.files.some((f) => f.name.startsWith('result-')))!.messageId!;
  return { thread, jobId, result, messages: posts.map((p) => p.messageId!) };
}

describe('taking a result back on Discord', () => {
  it('refuses ❌ from someone else in the thread; the owner’s Delete deletes every message of the job', async () => {
    const alice = fake.addUser('alice');
    const job = await stylize(alice);
    expect(job.messages.length).toBeGreaterThanOrEqual(4); // status, palette, result, settings

    let from = fake.requests.length;
    const bob = fake.addUser('bob');
    fake.react(bob, job.result, '❌');
    const refusal = await fake.waitForRequest(
      (r) => r.method === 'POST' && r.path === `/channels/${job.thread}/messages` && content(r).includes('belongs to someone else'),
      30_000,
      from,
    );
    expect(content(refusal)).toBe(`<@${bob.id}> Job ${job.jobId} belongs to someone else, so I can't delete it for you — only they or an admin can.`);
    expect(fake.find('DELETE', /^\/channels\//).length).toBe(0);
    expect(job.messages.every((id) => fake.messages.has(id))).toBe(true);

    from = fake.requests.length;
    const click = fake.click(alice, job.result, `tilestyle:delete:${job.jobId}`);
    const answer = await fake.waitForRequest((r) => r.method === 'POST' && r.path === `/webhooks/${fake.appId}/${click.token}`, 30_000, from);
    expect(answer.body).toMatchObject({ flags: 64 });
    expect(content(answer)).toBe(`Deleted job ${job.jobId}: its messages and images are gone.`);
    const deleted = fake.requests.slice(from).filter((r) => r.method === 'DELETE');
    expect(deleted.map((r) => r.path).sort()).toEqual(job.messages.map((id) => `/channels/${job.thread}/messages/${id}`).sort());
    expect(deleted.every((r) => r.status === 204)).toBe(true);
    expect(job.messages.some((id) => fake.messages.has(id))).toBe(false);
    expect(t.service.job(job.jobId)).toBeUndefined();
  });

  it('✉️ sends the result to the reacting user in a DM; Send to me from a user who takes no DMs is refused to them alone', async () => {
    const alice = fake.addUser('alice2');
    const job = await stylize(alice);
    let from = fake.requests.length;
    const carol = fake.addUser('carol');
    fake.react(carol, job.result, '✉️');
    const opened = await fake.waitForRequest((r) => r.method === 'POST' && r.path === '/users/@me/channels', 30_000, from);
    expect(opened.body).toEqual({ recipient_id: carol.id });
    const dm = fake.dmWith(carol);
    const sent = await fake.waitForRequest((r) => r.method === 'POST' && r.path === `/channels/${dm}/messages`, 30_000, from);
    expect(sent.files.map((f) => f.name)).toEqual([`result-${job.jobId}.png`]);
    expect(content(sent)).toMatch(new RegExp(`^Job ${job.jobId}: Result — `));
    // Nothing more in the thread: the DM is the answer.
    expect(fake.requests.slice(from).some((r) => r.method === 'POST' && r.path === `/channels/${job.thread}/messages`)).toBe(false);

    from = fake.requests.length;
    const dave = fake.addUser('dave');
    fake.closedDms.add(dave.id);
    const click = fake.click(dave, job.result, `tilestyle:send:${job.jobId}`);
    const refusal = await fake.waitForRequest((r) => r.method === 'POST' && r.path === `/webhooks/${fake.appId}/${click.token}`, 30_000, from);
    expect(refusal.body).toMatchObject({ flags: 64 });
    expect(content(refusal)).toMatch(/^I can't send you a direct message: your privacy settings don't let me\./);
    expect(fake.requests.slice(from).find((r) => r.method === 'POST' && /^\/channels\/\d+\/messages$/.test(r.path))?.status).toBe(403);
  });

  it('/tilestyle show posts an earlier result again, in a thread of its own', async () => {
    const alice = fake.addUser('alice3');
    const job = await stylize(alice);
    const from = fake.requests.length;
    const reader = fake.addUser('reader');
    fake.interaction(reader, 'tilestyle', [
      { name: 'show', type: ApplicationCommandOptionType.Subcommand, options: [{ name: 'job', type: ApplicationCommandOptionType.String, value: job.jobId }] },
    ]);
    const threadCall = await fake.waitForRequest((r) => r.method === 'POST' && /\/threads$/.test(r.path), 30_000, from);
    expect(threadCall.body).toMatchObject({ name: `show: job ${job.jobId}` });
    const thread = threadCall.path.split('/')[4]!;
    const copy = await fake.waitForRequest((r) => r.method === 'POST' && r.path === `/channels/${thread}/messages` && r.files.length > 0, 30_000, from);
    expect(copy.files.map((f) => f.name)).toEqual([`result-${job.jobId}.png`]);
    expect(content(copy)).toMatch(new RegExp(`^Job ${job.jobId} again — Result — `));
  });
});
