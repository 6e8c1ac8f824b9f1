/**
 * @jest-environment ./test/onnx-environment.cjs
 *
 * /settings through the real discord.js client against the fake Discord, over the stub engine: the
 * command is registered with its options, answers only the user (an ephemeral defer), and the user's
 * next /stylize starts from what they set.
 */
import { ApplicationCommandOptionType } from 'discord.js';
import { registerCommands } from '../src/bots/discord/register.js';
import { configFromEnv, startDiscord, type DiscordConfig, type DiscordHandle } from '../src/bots/discord/index.js';
import { FakeDiscord, type RecordedRequest } from './fakes/discord/server.js';
import { FIXTURES_DIR, makeTestCommands, type TestCommands } from './helpers/commands.js';
import { StubEngine } from './helpers/stub-engine.js';

let fake: FakeDiscord;
let t: TestCommands;
let bot: DiscordHandle;
let config: DiscordConfig;
const stub = new StubEngine();
const log = { error: (...a: unknown[]) => console.error(...a), warn: () => undefined, info: () => undefined };

const int = (name: string, value: number) => ({ name, type: ApplicationCommandOptionType.Integer, value });
const str = (name: string, value: string) => ({ name, type: ApplicationCommandOptionType.String, value });
const bool = (name: string, value: boolean) => ({ name, type: ApplicationCommandOptionType.Boolean, value });
const content = (r: RecordedRequest) => String(r.body?.content ?? '');

beforeAll(async () => {
  fake = new FakeDiscord(FIXTURES_DIR);
  await fake.start();
  t = await makeTestCommands({ createEngine: async () => stub, defaults: { strength: 5, tiles: 1 } });
  config = configFromEnv({ DISCORD_TOKEN: fake.token, DISCORD_APP_ID: fake.appId, DISCORD_API_URL: fake.apiUrl, DISCORD_CDN_ORIGINS: fake.origin })!;
  bot = await startDiscord(config, t.handler, { log, readyTimeoutMs: 60_000 });
});

afterAll(async () => {
  await bot?.stop();
  await t?.close();
  await fake?.stop();
});

/** Sends /settings with the given options; the text of the private answer. */
async function settings(user: ReturnType<FakeDiscord['addUser']>, options: { name: string; type: number; value: unknown }[]): Promise<string> {
  const from = fake.requests.length;
  const { id, token } = fake.interaction(user, 'settings', options);
  const callback = await fake.waitForRequest((r) => r.path === `/interactions/${id}/${token}/callback`, 30_000, from);
  expect(callback.body).toMatchObject({ type: 5, data: { flags: 64 } }); // only the user sees it
  const reply = await fake.waitForRequest((r) => r.method === 'PATCH' && r.path === `/webhooks/${fake.appId}/${token}/messages/%40original`, 30_000, from);
  return content(reply);
}

test('registers /settings with the options a user may keep', async () => {
  const names = await registerCommands({ ...config, guildId: fake.guildId }, { maxSize: 512, maxIterations: 1000 });
  expect(names).toContain('settings');
  const put = fake.find('PUT', /\/commands$/).at(-1)!;
  const registered = (put.body as unknown as { name: string; options: { name: string; max_value?: number }[] }[]).find((c) => c.name === 'settings')!;
  expect(registered.options.map((o) => o.name)).toEqual(['tiles', 'crop', 'size', 'strength', 'palette', 'reset']);
  expect(registered.options.find((o) => o.name === 'size')!.max_value).toBe(512);
});

test("/settings sets a user's defaults privately, shows them again, and their /stylize starts from them", async () => {
  const alice = fake.addUser('alice');
  const saved = await settings(alice, [int('strength', 8), str('crop', 'none'), bool('palette', false)]);
  expect(saved).toMatch(/^Saved\. Your defaults for new jobs: .*crop=none .*strength=8 palette=off\./);
  expect(await settings(alice, [])).toContain('Yours: crop, strength, palette;');
  expect(await settings(alice, [int('strength', 8), str('tiles', '2'), str('crop', 'maybe')])).toContain('crop must be auto');

  const c = await fake.attachment('dog.jpg');
  const s = await fake.attachment('guitar.png');
  stub.calls.length = 0;
  fake.interaction(
    alice,
    'stylize',
    [
      { name: 'content', type: ApplicationCommandOptionType.Attachment, value: c.id },
      { name: 'style', type: ApplicationCommandOptionType.Attachment, value: s.id },
    ],
    [c, s],
  );
  await fake.waitForRequest((r) => r.method === 'POST' && content(r).startsWith('Settings:'), 60_000);
  expect(stub.calls.map((call) => call.method)).toEqual(['stylize']);
  expect(stub.calls[0]!.options).toMatchObject({ strength: 8, crop: 'none' });
});
