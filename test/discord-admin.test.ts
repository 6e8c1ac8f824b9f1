/**
 * @jest-environment ./test/onnx-environment.cjs
 *
 * /admin through the real discord.js client against the fake Discord (stub engine): the front end's
 * verdict comes from the interaction's `member.permissions` (Manage Server, or Administrator, which
 * implies it) or a role named in DISCORD_ADMIN_ROLES; a plain member and a DM are refused.
 */
import { ApplicationCommandOptionType, REST } from 'discord.js';
import { configFromEnv, startDiscord, type DiscordConfig, type DiscordHandle } from '../src/bots/discord/index.js';
import { registerCommands } from '../src/bots/discord/register.js';
import { BANNED, NOT_AN_OPERATOR } from '../src/commands/admin-messages.js';
import { FakeDiscord, PERMISSION, type RecordedRequest } from './fakes/discord/server.js';
import { FIXTURES_DIR, makeTestCommands, type TestCommands } from './helpers/commands.js';
import { StubEngine } from './helpers/stub-engine.js';

let fake: FakeDiscord;
let t: TestCommands;
let bot: DiscordHandle;
let config: DiscordConfig;
let roleId: string;
const log = { error: (...a: unknown[]) => console.error(...a), warn: () => undefined, info: () => undefined };

type Option = { name: string; type: number; value?: unknown; options?: Option[] };
type User = ReturnType<FakeDiscord['addUser']>;

beforeAll(async () => {
  fake = new FakeDiscord(FIXTURES_DIR);
  // The role exists in the guild before the client connects, so it arrives with the guild.
  roleId = fake.addRole('Tilestyle Ops');
  await fake.start();
  t = await makeTestCommands({ createEngine: async () => new StubEngine() });
  config = configFromEnv({
    DISCORD_TOKEN: fake.token,
    DISCORD_APP_ID: fake.appId,
    DISCORD_API_URL: fake.apiUrl,
    DISCORD_CDN_ORIGINS: fake.origin,
    DISCORD_ADMIN_ROLES: ' tilestyle ops ',
  })!;
  bot = await startDiscord(config, t.handler, { log, readyTimeoutMs: 20_000 });
});

afterAll(async () => {
  await bot?.stop();
  await t?.close();
  await fake?.stop();
});

/** The private answer to a command: the deferred reply's edit. */
async function answer(user: User, name: string, options: Option[], channel?: string): Promise<string> {
  const from = fake.requests.length;
  const { token } = fake.interaction(user, name, options, [], channel);
  const reply: RecordedRequest = await fake.waitForRequest(
    (r) => r.method === 'PATCH' && r.path === `/webhooks/${fake.appId}/${token}/messages/%40original`,
    30_000,
    from,
  );
  return String(reply.body?.content ?? '');
}

const admin = (user: User, sub: string, options: Option[] = [], channel?: string) =>
  answer(user, 'admin', [{ name: sub, type: ApplicationCommandOptionType.Subcommand, options }], channel);
const status = (user: User) => answer(user, 'tilestyle', [{ name: 'status', type: ApplicationCommandOptionType.Subcommand, options: [] }]);

function member(name: string, membership: { permissions?: bigint; roles?: string[] } = {}): User {
  const user = fake.addUser(name);
  fake.setMember(user, membership);
  return user;
}

it('registers /admin with its subcommands, within the rules Discord checks', async () => {
  const names = await registerCommands({ ...config, guildId: fake.guildId }, { maxSize: 512, maxIterations: 1000 });
  expect(names).toContain('admin');
  const put = fake.find('PUT', /\/commands$/).at(-1)!;
  expect(put.status).toBe(200);
  const definition = (put.body as unknown as { name: string; options: { name: string }[] }[]).find((c) => c.name === 'admin')!;
  expect(definition.options.map((o) => o.name)).toEqual(['show', 'pause', 'resume', 'ban', 'unban', 'allow-channel', 'all-channels', 'limits', 'clear-limits']);
});

it('the fake refuses a registration Discord would refuse (a capital in a name, a description over 100)', async () => {
  const rest = new REST({ api: fake.apiUrl, retries: 0 }).setToken(fake.token);
  const route = `/applications/${fake.appId}/guilds/${fake.guildId}/commands` as const;
  await expect(rest.put(route, { body: [{ name: 'Admin', description: 'x', options: [] }] })).rejects.toThrow(/invalid name/);
  await expect(rest.put(route, { body: [{ name: 'admin', description: 'x'.repeat(101), options: [] }] })).rejects.toThrow(/1 to 100/);
});

it('refuses a plain member (no Manage Server, no named role), and nothing changes', async () => {
  const plain = member('pat');
  expect(await admin(plain, 'pause')).toBe(NOT_AN_OPERATOR);
  const manager = member('mia', { permissions: PERMISSION.MANAGE_GUILD | PERMISSION.VIEW_CHANNEL });
  expect(await admin(manager, 'show')).toMatch(/^Queue: running\./);
});

it('lets a member with Manage Server pause and resume', async () => {
  const manager = member('max', { permissions: PERMISSION.MANAGE_GUILD | PERMISSION.VIEW_CHANNEL | PERMISSION.SEND_MESSAGES });
  expect(await admin(manager, 'pause')).toMatch(/^Paused the queue/);
  expect(await admin(manager, 'show')).toMatch(/^Queue: paused\./);
  expect(await admin(manager, 'resume')).toMatch(/^Resumed the queue/);
});

it('counts Administrator, which implies Manage Server', async () => {
  const owner = member('ada', { permissions: PERMISSION.ADMINISTRATOR });
  expect(await admin(owner, 'limits', [{ name: 'size', type: ApplicationCommandOptionType.Integer, value: 96 }])).toBe(
    'Limits here: size up to 96 px, iterations up to 1000 (global).',
  );
  expect(await admin(owner, 'clear-limits')).toMatch(/^Cleared this server's limits/);
});

it('lets a holder of the named role ban and unban; the banned member is refused', async () => {
  const holder = member('rory', { roles: [roleId] });
  const target = member('tess');
  expect(await admin(holder, 'ban', [{ name: 'user', type: ApplicationCommandOptionType.User, value: target.id }])).toBe(
    `Blocked user ${target.id} here: their commands are refused.`,
  );
  expect(await status(target)).toBe(BANNED);
  expect(await admin(holder, 'unban', [{ name: 'user', type: ApplicationCommandOptionType.User, value: target.id }])).toMatch(/may use me here again/);
  expect(await status(target)).toMatch(/^Queues:/);
  // Another role does not count.
  const other = member('olly', { roles: [fake.addRole('Artists')] });
  expect(await admin(other, 'ban', [{ name: 'user', type: ApplicationCommandOptionType.User, value: target.id }])).toBe(NOT_AN_OPERATOR);
});

it('chooses channels with a channel option, and clears them', async () => {
  const manager = member('cleo', { permissions: PERMISSION.MANAGE_GUILD });
  expect(await admin(manager, 'allow-channel', [{ name: 'channel', type: ApplicationCommandOptionType.Channel, value: fake.channelId }])).toBe(
    `I answer only in: #${fake.channelId}.`,
  );
  expect(await status(member('finn'))).toMatch(/^Queues:/);
  expect(await admin(manager, 'all-channels')).toMatch(/^Cleared the channel list/);
});

it('refuses the controls in a DM, where there is no member to judge', async () => {
  const user = member('dora', { permissions: PERMISSION.MANAGE_GUILD });
  expect(await admin(user, 'pause', [], fake.dmWith(user))).toBe(NOT_AN_OPERATOR);
});
