/**
 * @jest-environment ./test/onnx-environment.cjs
 *
 * Buttons on Discord: the real discord.js client against the fake Discord, the real commands over
 * the real engine at small sizes. Results and palettes carry the variations as message components,
 * a status carries Cancel while its job runs; a click is acknowledged with deferUpdate and a refusal
 * goes to the clicking user alone; ⬆️ upscales like the button; clicks work after a restart.
 */
import sharp from 'sharp';
import { ApplicationCommandOptionType } from 'discord.js';
import { configFromEnv, startDiscord, type DiscordConfig, type DiscordHandle } from '../src/bots/discord/index.js';
import { FakeDiscord, type RecordedRequest } from './fakes/discord/server.js';
import { FIXTURES_DIR, makeTestCommands, type TestCommands } from './helpers/commands.js';

let fake: FakeDiscord;
let t: TestCommands;
let bot: DiscordHandle;
let config: DiscordConfig;
const log = { error: (...args: unknown[]) => console.error(...args), warn: () => undefined, info: () => undefined };

const int = (name: string, value: number) => ({ name, type: ApplicationCommandOptionType.Integer, value });
const str = (name: string, value: string) => ({ name, type: ApplicationCommandOptionType.String, value });
const content = (r: RecordedRequest) => String(r.body?.content ?? '');

type Row = { type: number; components: { type: number; custom_id: string; label: string; style: number }[] };
function buttonsOf(messageId: string): { custom_id: string; label: string }[] {
  return ((fake.messages.get(messageId)?.components as Row[] | undefined) ?? []).flatMap((row) => row.components);
}

beforeAll(async () => {
  fake = new FakeDiscord(FIXTURES_DIR);
  await fake.start();
  t = await makeTestCommands({ limits: { maxSize: 96 } });
  config = configFromEnv({ DISCORD_TOKEN: fake.token, DISCORD_APP_ID: fake.appId, DISCORD_API_URL: fake.apiUrl, DISCORD_CDN_ORIGINS: fake.origin })!;
  bot = await startDiscord(config, t.handler, { log, readyTimeoutMs: 20_000 });
});

afterAll(async () => {
  await bot?.stop();
  await t?.close();
  await fake?.stop();
});

/** Runs a /stylize to the end; returns its thread, job id and the ids of its messages. */
async function stylize(user: ReturnType<FakeDiscord['addUser']>, extra: { name: string; type: number; value?: unknown }[]) {
  const from = fake.requests.length;
  const c = await fake.attachment('dog.jpg');
  const s = await fake.attachment('guitar.png');
  fake.interaction(user, 'stylize', [{ name: 'content', type: 11, value: c.id }, { name: 'style', type: 11, value: s.id }, ...extra], [c, s]);
  const threadCall = await fake.waitForRequest((r) => r.method === 'POST' && /\/threads$/.test(r.path), 30_000, from);
  const thread = threadCall.path.split('/')[4]!;
  return { thread, ...(await finished(thread, from)) };
}

/** Waits for the next job in a thread to end; its status, palette, result and settings messages. */
async function finished(thread: string, from: number) {
  const settings = await fake.waitForRequest(
    (r) => r.method === 'POST' && r.path === `/channels/${thread}/messages` && content(r).startsWith('Settings:'),
    120_000,
    from,
  );
  const posts = fake.requests.slice(from).filter((r) => r.method === 'POST' && r.path === `/channels/${thread}/messages`);
  const status = posts.find((p) => /Starting now|Queued/.test(content(p)))!;
  const images = posts.filter((p) => p.files.length > 0);
  return {
    jobId: /job (\w+)$/.exec(content(settings))![1]!,
    status: status.messageId!,
    images: images.map((p) => ({ id: p.messageId!, request: p })),
    settings: content(settings),
  };
}

describe('buttons on Discord', () => {
  let alice: ReturnType<FakeDiscord['addUser']>;
  let first: Awaited<ReturnType<typeof stylize>>;

  beforeAll(async () => {
    alice = fake.addUser('alice');
    first = await stylize(alice, [str('tiles', '2'), int('size', 48), int('iterations', 3), int('seed', 7)]);
  });

  it('puts the variations under the palette and the result, and takes Cancel off the status once done', async () => {
    const [palette, result] = first.images;
    expect(buttonsOf(palette!.id).map((b) => b.label)).toEqual(['Finer tiles', 'Coarser tiles', 'Stronger', 'Weaker', 'New seed']);
    expect(buttonsOf(result!.id).map((b) => b.label)).toEqual([
      'Finer tiles',
      'Coarser tiles',
      'Stronger',
      'Weaker',
      'New seed',
      'Upscale',
      'Send to me',
      'Delete',
    ]);
    expect(buttonsOf(result!.id)[0]!.custom_id).toBe(`tilestyle:finer:${first.jobId}`);
    // Five to a row, as Discord requires (the fake refuses more).
    expect((result!.request.body!.components as Row[]).map((row) => row.components.length)).toEqual([5, 3]);
    const statusPost = fake.requests.find((r) => r.messageId === first.status)!;
    expect((statusPost.body!.components as Row[])[0]!.components).toEqual([
      expect.objectContaining({ label: 'Cancel', custom_id: `tilestyle:cancel:${first.jobId}`, style: 4 }),
    ]);
    await fake.waitUntil(() => fake.messages.get(first.status)?.content.startsWith('Done') && buttonsOf(first.status).length === 0, 10_000);
  });

  it('a click is acknowledged with deferUpdate and runs the variation in the thread, for any user', async () => {
    const from = fake.requests.length;
    const bob = fake.addUser('bob');
    const { id, token } = fake.click(bob, first.images[1]!.id, `tilestyle:stronger:${first.jobId}`);
    const callback = await fake.waitForRequest((r) => r.path === `/interactions/${id}/${token}/callback`, 10_000, from);
    expect(callback.body).toEqual({ type: 6 });
    const next = await finished(first.thread, from);
    expect(next.settings).toMatch(/^Settings: tiles=2 size=48 iterations=3 strength=7 preserve_colors=no seed=7 /);
    expect(t.service.job(next.jobId)).toMatchObject({ parentId: first.jobId, user: { id: bob.id } });
    // Nothing went through the click's webhook: no refusal, no reply.
    expect(fake.requests.slice(from).filter((r) => r.path.startsWith(`/webhooks/${fake.appId}/${token}`))).toEqual([]);
  });

  it('Upscale redraws the result at twice its size; ⬆️ does the same; at the limit the refusal is private', async () => {
    let from = fake.requests.length;
    fake.click(alice, first.images[1]!.id, `tilestyle:upscale:${first.jobId}`);
    const up = await finished(first.thread, from);
    expect(up.images).toHaveLength(1);
    const meta = await sharp(up.images[0]!.request.files[0]!.data).metadata();
    expect(Math.max(meta.width!, meta.height!)).toBe(96);
    expect(t.service.job(up.jobId)).toMatchObject({ kind: 'upscale', parentId: first.jobId });
    expect(buttonsOf(up.images[0]!.id).map((b) => b.label)).not.toContain('Upscale');

    from = fake.requests.length;
    fake.react(alice, first.images[1]!.id, '⬆️');
    const again = await finished(first.thread, from);
    expect(t.service.job(again.jobId)).toMatchObject({ kind: 'upscale', parentId: first.jobId, options: { size: 96 } });

    // Upscale is not offered at the limit, but an old message may still carry it: the click is refused privately.
    from = fake.requests.length;
    const ours = first.images[1]!.id;
    const message = fake.messages.get(ours)!;
    message.components = [{ type: 1, components: [{ type: 2, style: 2, label: 'Upscale', custom_id: `tilestyle:upscale:${up.jobId}` }] }];
    const click = fake.click(alice, ours, `tilestyle:upscale:${up.jobId}`);
    const refusal = await fake.waitForRequest((r) => r.method === 'POST' && r.path === `/webhooks/${fake.appId}/${click.token}`, 30_000, from);
    expect(refusal.body).toMatchObject({ flags: 64 });
    expect(content(refusal)).toBe(`Job ${up.jobId} is already 96 px, the largest size here, so it can't be upscaled.`);
    expect(fake.messages.get(refusal.messageId!)?.flags).toBe(64);
    expect(fake.requests.slice(from).filter((r) => r.method === 'POST' && r.path.startsWith('/channels/'))).toEqual([]);
  });

  it("Cancel stops its owner's running job; another user's click is refused to them alone", async () => {
    const from = fake.requests.length;
    const c = await fake.attachment('eagle.jpg');
    const s = await fake.attachment('scream.jpg');
    fake.interaction(
      alice,
      'stylize',
      [{ name: 'content', type: 11, value: c.id }, { name: 'style', type: 11, value: s.id }, int('size', 48), int('iterations', 300)],
      [c, s],
    );
    const threadCall = await fake.waitForRequest((r) => r.method === 'POST' && /\/threads$/.test(r.path), 30_000, from);
    const thread = threadCall.path.split('/')[4]!;
    const status = await fake.waitForRequest((r) => r.method === 'POST' && r.path === `/channels/${thread}/messages`, 30_000, from);
    const cancelId = buttonsOf(status.messageId!)[0]!.custom_id;
    await fake.waitForRequest(
      (r) => r.method === 'PATCH' && r.path === `/channels/${thread}/messages/${status.messageId}` && /step/.test(content(r)),
      60_000,
      from,
    );

    const click = fake.click(fake.addUser('mallory'), status.messageId!, cancelId);
    const refusal = await fake.waitForRequest((r) => r.method === 'POST' && r.path === `/webhooks/${fake.appId}/${click.token}`, 30_000, from);
    expect(refusal.body).toMatchObject({ flags: 64 });
    expect(content(refusal)).toContain('belongs to someone else');
    expect(fake.requests.slice(from).some((r) => r.method === 'POST' && r.path === `/channels/${thread}/messages` && content(r).includes('someone else'))).toBe(
      false,
    );

    const own = fake.click(alice, status.messageId!, cancelId);
    const answer = await fake.waitForRequest((r) => r.method === 'POST' && r.path === `/webhooks/${fake.appId}/${own.token}`, 30_000, from);
    expect(content(answer)).toMatch(/^Cancelling your running job \w+/);
    await fake.waitUntil(() => fake.messages.get(status.messageId!)?.content.includes('Cancelled') && buttonsOf(status.messageId!).length === 0, 30_000);
  });

  it('opens threads that stay listed a week; in an archived thread nobody can react, but a button works and its post reopens the thread', async () => {
    const created = fake.requests.find((r) => r.method === 'POST' && r.path.endsWith(`/messages/${first.thread}/threads`))!;
    expect(created.body).toMatchObject({ auto_archive_duration: 10080 });
    fake.archive(first.thread);
    expect(() => fake.react(alice, first.images[0]!.id, '🔁')).toThrow(/archived/);
    const from = fake.requests.length;
    fake.click(alice, first.images[0]!.id, `tilestyle:seed:${first.jobId}`);
    await finished(first.thread, from);
    expect(fake.threads.get(first.thread)!.archived).toBe(false);
  });

  it('unarchives its thread to edit a running job there, and not a locked one', async () => {
    // The job stays running until it is cancelled below.
    t.stubs[0]!.hold();
    let from = fake.requests.length;
    const s = await fake.attachment('face.png');
    fake.interaction(alice, 'palette', [{ name: 'style', type: 11, value: s.id }, int('size', 48), int('iterations', 400)], [s]);
    const threadCall = await fake.waitForRequest((r) => r.method === 'POST' && /\/threads$/.test(r.path), 30_000, from);
    const thread = threadCall.path.split('/')[4]!;
    const status = await fake.waitForRequest((r) => r.method === 'POST' && r.path === `/channels/${thread}/messages`, 30_000, from);
    await fake.waitForRequest(
      (r) => r.method === 'PATCH' && r.path === `/channels/${thread}/messages/${status.messageId}` && /step/.test(content(r)),
      60_000,
      from,
    );
    from = fake.requests.length;
    fake.archive(thread);
    const reopen = await fake.waitForRequest((r) => r.method === 'PATCH' && r.path === `/channels/${thread}`, 30_000, from);
    expect(reopen.body).toEqual({ archived: false });
    await fake.waitUntil(() => !fake.threads.get(thread)!.archived && fake.messages.get(status.messageId!)?.content.includes('step'), 30_000);
    // Locked by a moderator: the bot leaves it so (its edits fail, which it logs) and the job still ends.
    const cancel = buttonsOf(status.messageId!)[0]!.custom_id;
    fake.archive(thread, { locked: true });
    fake.click(alice, status.messageId!, cancel);
    const jobId = cancel.split(':')[2]!;
    await fake.waitUntil(() => t.service.job(jobId)?.state === 'cancelled', 30_000);
    t.stubs[0]!.release();
    await t.service.idle();
    expect(fake.threads.get(thread)!.archived).toBe(true);
    // One reopening when it had archived, one refused attempt once locked, then no more.
    expect(fake.requests.slice(from).filter((r) => r.method === 'PATCH' && r.path === `/channels/${thread}`)).toHaveLength(2);
  });

  it('after a restart, a button on an old result still works', async () => {
    await bot.stop();
    bot = await startDiscord(config, t.handler, { log, readyTimeoutMs: 20_000 });
    const from = fake.requests.length;
    fake.click(fake.addUser('carol'), first.images[0]!.id, `tilestyle:coarser:${first.jobId}`);
    const next = await finished(first.thread, from);
    expect(next.settings).toMatch(/^Settings: tiles=1 /);
  });
});
