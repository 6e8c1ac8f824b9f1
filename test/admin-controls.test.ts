/**
 * @jest-environment ./test/onnx-environment.cjs
 *
 * The operators' controls at the command level, on the stub engine: each is refused for a user the
 * front end did not mark admin and done for one it did; their effects on other users' commands
 * (pause holds jobs at the front of the queue, bans, chosen channels, a server's lower limits); and
 * all of them survive a restart of the service over the same data directory.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BANNED, HELD_TEXT, NOT_AN_OPERATOR, QUEUE_PAUSED_NOTE } from '../src/commands/admin-messages.js';
import { createCommandService } from '../src/commands/service.js';
import { Queue } from 'bullmq';
import { PREFIX, QUEUE_NAME } from '../src/jobs/transport/redis-protocol.js';
import { haveRedis, RedisServer, startTestWorkers } from './helpers/redis-server.js';
import { parseAdminText } from '../src/commands/admin-text.js';
import type { AdminAction, CommandRequest, Invocation } from '../src/commands/port.js';
import { imageSource, makeTestCommands, RecordingFrontend, RecordingPort, type TestCommands } from './helpers/commands.js';
import { StubEngine } from './helpers/stub-engine.js';

let t: TestCommands | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await t?.close();
  t = undefined;
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

function who(user: string, opts: { server?: string; channel?: string; admin?: boolean } = {}): Invocation {
  const invocation: Invocation = { platform: 'discord', user: { id: user }, where: { channel: opts.channel ?? 'C1' } };
  if (opts.server !== undefined) invocation.server = opts.server;
  if (opts.admin) invocation.admin = true;
  return invocation;
}

const operator = who('op', { server: 'S1', admin: true });

async function ask(request: CommandRequest, invocation: Invocation): Promise<RecordingPort> {
  const port = new RecordingPort(invocation.where);
  await t!.handler.handle(request, invocation, port);
  return port;
}

async function control(action: AdminAction, invocation: Invocation = operator): Promise<string> {
  const port = await ask({ kind: 'admin', action }, invocation);
  return port.whispers().join('\n');
}

const palette = (options: Record<string, string | number> = {}): CommandRequest => ({ kind: 'palette', style: imageSource('guitar.png'), options });

/** A status request's answer: the queues, or the refusal. */
async function statusOf(invocation: Invocation): Promise<string> {
  return (await ask({ kind: 'status' }, invocation)).whispers().join('\n');
}

async function withStub(dataDir?: string, frontends: RecordingFrontend[] = []): Promise<StubEngine> {
  const stub = new StubEngine();
  t = await makeTestCommands({ createEngine: async () => stub, frontends, ...(dataDir ? { dataDir } : {}) });
  return stub;
}

const EVERY_CONTROL: AdminAction[] = [
  { op: 'show' },
  { op: 'pause' },
  { op: 'resume' },
  { op: 'ban', user: 'u2' },
  { op: 'unban', user: 'u2' },
  { op: 'allow-channel', channel: 'C9' },
  { op: 'all-channels' },
  { op: 'limits', size: 128 },
  { op: 'clear-limits' },
];

describe('who may use the controls', () => {
  test('each control is refused for a user the platform does not count as an admin, and changes nothing', async () => {
    await withStub();
    const member = who('u1', { server: 'S1' });
    for (const action of EVERY_CONTROL) expect(await control(action, member)).toBe(NOT_AN_OPERATOR);
    // Nothing took effect: u2 is not banned, C2 is open, the queue runs.
    expect(await statusOf(who('u2', { server: 'S1', channel: 'C2' }))).toMatch(/^Queues:/);
    const port = await ask(palette(), who('u2', { server: 'S1' }));
    await port.waitForSettings();
  });

  test('each control is done for an admin', async () => {
    await withStub();
    expect(await control({ op: 'pause' })).toMatch(/^Paused the queue/);
    expect(await control({ op: 'resume' })).toMatch(/^Resumed the queue/);
    expect(await control({ op: 'ban', user: 'u2' })).toMatch(/^Blocked user u2/);
    expect(await control({ op: 'unban', user: 'u2' })).toMatch(/^User u2 may use me here again/);
    expect(await control({ op: 'allow-channel' })).toBe('I answer only in: #C1.');
    expect(await control({ op: 'all-channels' })).toMatch(/^Cleared the channel list/);
    expect(await control({ op: 'limits', size: 128, iterations: '50' })).toBe('Limits here: size up to 128 px, iterations up to 50.');
    expect(await control({ op: 'clear-limits' })).toMatch(/^Cleared this server's limits/);
    expect(await control({ op: 'show' })).toMatch(/^Queue: running\./);
  });
});

describe('pause and resume', () => {
  test('waiting jobs keep their places while paused, new ones are accepted and told, and all start on resume', async () => {
    const stub = await withStub();
    await control({ op: 'pause' });
    const first = await ask(palette({ seed: 1 }), who('u1'));
    const second = await ask(palette({ seed: 2 }), who('u2'));
    // Accepted and told: a status message that says the queue is paused.
    expect(first.posts()[0]!.text).toContain(QUEUE_PAUSED_NOTE);
    expect(second.posts()[0]!.text).toContain(QUEUE_PAUSED_NOTE);
    // The first reaches the front and is held there, before the engine.
    const status = first.posts()[0]!.id;
    await first.waitFor((p) => (p.textOf(status) ?? '').includes(HELD_TEXT));
    expect(stub.calls).toHaveLength(0);
    expect(await control({ op: 'resume' })).toMatch(/^Resumed/);
    await first.waitForSettings();
    await second.waitForSettings();
    expect(stub.calls.map((c) => c.options.seed)).toEqual([1, 2]);
  });

  test('a job held by the pause can be cancelled', async () => {
    await withStub();
    await control({ op: 'pause' });
    const port = await ask(palette(), who('u1'));
    const status = port.posts()[0]!.id;
    await port.waitFor((p) => (p.textOf(status) ?? '').includes(HELD_TEXT));
    await ask({ kind: 'cancel' }, who('u1'));
    await port.waitFor((p) => /Cancelled/.test(p.textOf(status) ?? ''));
  });
});

describe('bans, channels and limits', () => {
  test("a banned user's commands are refused in that server and in DMs, not in another server; unban lifts it", async () => {
    await withStub();
    await control({ op: 'ban', user: 'u2' });
    expect(await statusOf(who('u2', { server: 'S1' }))).toBe(BANNED);
    const refused = await ask(palette(), who('u2', { server: 'S1' }));
    expect(refused.whispers()).toEqual([BANNED]);
    expect(refused.posts()).toHaveLength(0);
    expect(await statusOf(who('u2'))).toBe(BANNED);
    expect(await statusOf(who('u2', { server: 'S2' }))).toMatch(/^Queues:/);
    expect(await statusOf(who('u3', { server: 'S1' }))).toMatch(/^Queues:/);
    await control({ op: 'unban', user: 'u2' });
    expect(await statusOf(who('u2', { server: 'S1' }))).toMatch(/^Queues:/);
  });

  test('with chosen channels, the others of that server are refused; clearing opens them again', async () => {
    await withStub();
    expect(await control({ op: 'allow-channel', channel: 'C5' })).toBe('I answer only in: #C5.');
    expect(await statusOf(who('u1', { server: 'S1', channel: 'C5' }))).toMatch(/^Queues:/);
    expect(await statusOf(who('u1', { server: 'S1', channel: 'C1' }))).toMatch(/only answer in the channels .*#C5/);
    expect(await statusOf(who('u1', { server: 'S2', channel: 'C1' }))).toMatch(/^Queues:/);
    // The admin controls still answer anywhere, so the list can be undone.
    expect(await control({ op: 'all-channels' })).toMatch(/^Cleared/);
    expect(await statusOf(who('u1', { server: 'S1', channel: 'C1' }))).toMatch(/^Queues:/);
  });

  test('jobs from a server are validated against its lower limits; others keep the global ones', async () => {
    await withStub();
    expect(await control({ op: 'limits', size: 9_999_999 })).toMatch(/^size must be a whole number from \d+ to \d+/);
    expect(await control({ op: 'limits', iterations: 'many' })).toMatch(/^iterations must be a whole number/);
    await control({ op: 'limits', size: 96, iterations: 20 });
    const big = await ask(palette({ size: 128 }), who('u1', { server: 'S1' }));
    expect(big.whispers().join('\n')).toMatch(/size.*96/);
    expect(big.posts()).toHaveLength(0);
    const many = await ask(palette({ iterations: 30 }), who('u1', { server: 'S1' }));
    expect(many.whispers().join('\n')).toMatch(/iterations.*20/);
    const elsewhere = await ask(palette({ size: 128 }), who('u1', { server: 'S2' }));
    await elsewhere.waitForSettings();
    const within = await ask(palette({ size: 96 }), who('u1', { server: 'S1' }));
    await within.waitForSettings();
  });

  test('server controls asked outside a server are explained, not applied', async () => {
    await withStub();
    const dm = who('op', { admin: true });
    expect(await control({ op: 'allow-channel' }, dm)).toMatch(/belongs to a server/);
    expect(await control({ op: 'limits', size: 96 }, dm)).toMatch(/belongs to a server/);
  });
});

test('the text form of the controls (Slack, the web page) reads mentions and options', () => {
  expect(parseAdminText('pause')).toEqual({ op: 'pause' });
  expect(parseAdminText('ban <@U123|ann>')).toEqual({ op: 'ban', user: 'U123' });
  expect(parseAdminText('allow-channel <#C42|general>')).toEqual({ op: 'allow-channel', channel: 'C42' });
  expect(parseAdminText('allow_channel')).toEqual({ op: 'allow-channel' });
  expect(parseAdminText('limits size=256 iterations=100')).toEqual({ op: 'limits', size: '256', iterations: '100' });
  expect(parseAdminText('limits colour=red')).toEqual({ op: 'unknown', text: 'limits colour=red' });
  expect(parseAdminText('explode')).toEqual({ op: 'unknown', text: 'explode' });
  expect(parseAdminText('')).toEqual({ op: 'show' });
});

test('every control survives a restart over the same data directory, and a job paused before it starts after resume', async () => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'tilestyle-admin-'));
  dirs.push(dataDir);
  await withStub(dataDir);
  await control({ op: 'pause' });
  await control({ op: 'ban', user: 'u2' });
  await control({ op: 'allow-channel', channel: 'C5' });
  await control({ op: 'limits', size: 96 });
  const before = await ask(palette(), who('u1', { server: 'S1', channel: 'C5' }));
  await before.waitFor((p) => (p.textOf(p.posts()[0]!.id) ?? '').includes(HELD_TEXT));
  await t!.close();

  const frontend = new RecordingFrontend('discord');
  const stub = await withStub(dataDir, [frontend]);
  expect(await control({ op: 'show' })).toBe(
    ['Queue: paused.', 'Blocked users here: u2.', 'I answer only in: #C5.', 'Limits here: size up to 96 px, iterations up to 1000 (global).'].join('\n'),
  );
  expect(await statusOf(who('u2', { server: 'S1', channel: 'C5' }))).toBe(BANNED);
  expect(await statusOf(who('u1', { server: 'S1', channel: 'C1' }))).toMatch(/only answer in the channels/);
  expect((await ask(palette({ size: 128 }), who('u1', { server: 'S1', channel: 'C5' }))).whispers().join('\n')).toMatch(/size.*96/);
  // The job from before the restart is resumed into the line and held there until resume.
  const resumed = await frontend.ports[0]!.waitFor((p) => p.events.some((e) => (e.type === 'post' || e.type === 'update') && e.text.includes(HELD_TEXT))).then(
    () => frontend.ports[0]!,
  );
  expect(stub.calls).toHaveLength(0);
  await control({ op: 'resume' });
  await resumed.waitForSettings();
  expect(stub.calls).toHaveLength(1);
});

(haveRedis ? test : test.skip)(
  'with Redis workers, pause holds the jobs in Redis until resume, across a restart of the front end; the other controls work (skipped without redis-server)',
  async () => {
    const redis = await RedisServer.start();
    const dataDir = await mkdtemp(path.join(tmpdir(), 'tilestyle-admin-redis-'));
    dirs.push(dataDir);
    const stub = new StubEngine();
    const quiet = { error: console.error, warn: () => undefined, info: () => undefined };
    const workers = await startTestWorkers(redis.url, stub, { log: quiet });
    const start = async () => {
      const service = await createCommandService({ dataDir, redisUrl: redis.url, defaults: { size: 64, iterations: 6 }, log: quiet });
      service.registerFrontend(new RecordingFrontend('web'));
      await service.start();
      return service;
    };
    let service = await start();
    try {
      const say = async (action: AdminAction) => {
        const port = new RecordingPort();
        await service.handle({ kind: 'admin', action }, operator, port);
        return port.whispers().join('\n');
      };
      expect(await say({ op: 'pause' })).toMatch(/paused/i);
      expect(await say({ op: 'show' })).toMatch(/^Queue: paused\./);
      expect(await say({ op: 'ban', user: 'u2' })).toMatch(/^Blocked user u2/);
      // A restart of the front end keeps the pause: the job below waits in Redis, and no worker takes it.
      await service.stop();
      service = await start();
      const port = new RecordingPort();
      await service.handle(palette(), who('u1', { server: 'S1' }), port);
      await port.waitFor((p) => p.posts().some((e) => e.text.includes(QUEUE_PAUSED_NOTE)));
      // Paused in Redis itself (BullMQ's global pause), so no worker anywhere takes the job.
      const queue = new Queue(QUEUE_NAME, { connection: { host: '127.0.0.1', port: redis.port }, prefix: PREFIX });
      expect(await queue.isPaused()).toBe(true);
      const counts = await queue.getJobCounts('active', 'waiting', 'prioritized');
      expect(counts.active).toBe(0);
      expect(counts.waiting! + counts.prioritized!).toBe(1);
      expect(stub.calls).toHaveLength(0);
      expect(await say({ op: 'resume' })).toMatch(/resum/i);
      await port.waitForSettings(60_000);
      expect(await queue.isPaused()).toBe(false);
      await queue.close();
      expect(stub.calls.length).toBeGreaterThan(0);
    } finally {
      await service.stop();
      await workers.close();
      await redis.stop();
    }
  },
);
