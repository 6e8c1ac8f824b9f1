/**
 * @jest-environment ./test/onnx-environment.cjs
 *
 * Fair turns: a user who piles up jobs gets one turn per round, not the device. Checked on the order
 * of fair-turns.ts itself, against the in-process queues (stub engine held so jobs pile up), and
 * through Redis with a BullMQ worker in this process: the start order, the positions each waiting job
 * is told, and the positions `status` shows.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { createCommandService, type CommandService } from '../src/commands/index.js';
import { fairOrder, type InLine } from '../src/jobs/fair-turns.js';
import { imageSource, invocation, makeTestCommands, RecordingFrontend, RecordingPort, type TestCommands } from './helpers/commands.js';
import { haveRedis, RedisServer, startTestWorkers } from './helpers/redis-server.js';
import { StubEngine } from './helpers/stub-engine.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

const quiet = { error: (...args: unknown[]) => console.error(...args), warn: () => undefined, info: () => undefined };

describe('fairOrder', () => {
  const job = (owner: string, seq: number): InLine => ({ owner, seq });

  it('plays out round-robin: users with no turn yet first, then the one whose last turn is oldest', () => {
    const line = [job('a', 1), job('a', 2), job('b', 3), job('b', 4), job('c', 5)];
    // a had a turn (its first job runs); b and c had none.
    const order = fairOrder(line, new Map([['a', 7]]));
    expect(order.map((j) => `${j.owner}${j.seq}`)).toEqual(['b3', 'c5', 'a1', 'b4', 'a2']);
    // With no turns known, it is round-robin in the order the users came.
    expect(fairOrder(line, new Map()).map((j) => `${j.owner}${j.seq}`)).toEqual(['a1', 'b3', 'c5', 'a2', 'b4']);
  });
});

/** Sends a palette job; its seed tells the stub engine's calls apart. */
function send(service: { handle: CommandService['handle'] }, user: string, seed: number, port: RecordingPort): Promise<void> {
  return service.handle({ kind: 'palette', style: imageSource('guitar.png'), options: { seed, tiles: 2 } }, invocation(user), port);
}

const statusId = (port: RecordingPort) => port.posts()[0]!.id;
const statusText = (port: RecordingPort) => (port.textOf(statusId(port)) ?? '').replace(' React ❌ here to cancel.', '');

/** Waits until each port's status message reads as given (edits travel after the command returns). */
async function statusesRead(ports: RecordingPort[], texts: string[]): Promise<void> {
  await Promise.all(ports.map((port, i) => port.waitFor((p) => statusText(p) === texts[i], 60_000)));
}

async function statusOf(service: { handle: CommandService['handle'] }, user: string): Promise<string[]> {
  const port = new RecordingPort();
  await service.handle({ kind: 'status' }, invocation(user), port);
  return port
    .whispers()[0]!
    .split('\n')
    .filter((line) => line.startsWith('• palette '));
}

describe('in one process', () => {
  let t: TestCommands | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it("starts another user's first job before the second and third of a user who sent three", async () => {
    const stub = new StubEngine();
    t = await makeTestCommands({ createEngine: async () => stub });
    stub.hold();
    const ann = [new RecordingPort({ channel: 'a1' }), new RecordingPort({ channel: 'a2' }), new RecordingPort({ channel: 'a3' })];
    await send(t.handler, 'ann', 1, ann[0]!);
    await stub.started(1);
    await send(t.handler, 'ann', 2, ann[1]!);
    await send(t.handler, 'ann', 3, ann[2]!);
    const ben = new RecordingPort({ channel: 'b1' });
    await send(t.handler, 'ben', 4, ben);

    // Ben's job went ahead of Ann's waiting ones, and they were told their new places.
    expect(ben.posts()[0]!.text).toMatch(/^Queued — position 1 on cpu\./);
    await statusesRead(ann.slice(1), ['Queued — position 2 on cpu.', 'Queued — position 3 on cpu.']);
    const annStatus = await statusOf(t.handler, 'ann');
    expect(annStatus.map((line) => line.replace(/^• palette \w+ — /, ''))).toEqual([
      'running on cpu',
      'waiting, position 2 on cpu',
      'waiting, position 3 on cpu',
    ]);
    expect((await statusOf(t.handler, 'ben')).map((line) => line.replace(/^• palette \w+ — /, ''))).toEqual(['waiting, position 1 on cpu']);

    stub.release();
    await Promise.all([...ann, ben].map((port) => port.waitForSettings()));
    expect(stub.calls.map((call) => call.options.seed)).toEqual([1, 4, 2, 3]);
  });

  it("goes round-robin between three users, each one's jobs in the order sent", async () => {
    const stub = new StubEngine();
    t = await makeTestCommands({ createEngine: async () => stub });
    stub.hold();
    const ports: RecordingPort[] = [];
    const sendAs = async (user: string, seed: number) => {
      const port = new RecordingPort({ channel: `c-${seed}` });
      ports.push(port);
      await send(t!.handler, user, seed, port);
    };
    await sendAs('ann', 1);
    await stub.started(1);
    await sendAs('ann', 2);
    await sendAs('ann', 3);
    await sendAs('ben', 4);
    await sendAs('ben', 5);
    await sendAs('cyd', 6);
    // The places told follow the order the jobs will start in.
    await statusesRead(
      ports.slice(1),
      [3, 5, 1, 4, 2].map((n) => `Queued — position ${n} on cpu.`),
    );
    stub.release();
    await Promise.all(ports.map((port) => port.waitForSettings()));
    expect(stub.calls.map((call) => call.options.seed)).toEqual([1, 4, 6, 2, 5, 3]);
  });
});

if (!haveRedis) console.warn('Skipping the Redis fair-turns test: redis-server is missing.');
const describeWithRedis = haveRedis ? describe : describe.skip;

describeWithRedis('through Redis', () => {
  it("starts another user's first job before the second and third of a user who sent three", async () => {
    const redis = await RedisServer.start();
    const dataDir = await mkdtemp(path.join(tmpdir(), 'tilestyle-fair-'));
    const stub = new StubEngine();
    const workers = await startTestWorkers(redis.url, stub, { log: quiet });
    // Room for every job in line: only the order is under test here.
    const service = await createCommandService({
      dataDir,
      redisUrl: redis.url,
      limits: { perUserWaiting: 10, progressIntervalMs: 50 },
      defaults: { size: 64, iterations: 6 },
      log: quiet,
    });
    service.registerFrontend(new RecordingFrontend('web'));
    await service.start();
    try {
      stub.hold();
      const ann = [new RecordingPort({ channel: 'a1' }), new RecordingPort({ channel: 'a2' }), new RecordingPort({ channel: 'a3' })];
      await send(service, 'ann', 1, ann[0]!);
      await stub.started(1);
      await send(service, 'ann', 2, ann[1]!);
      await send(service, 'ann', 3, ann[2]!);
      const ben = new RecordingPort({ channel: 'b1' });
      await send(service, 'ben', 4, ben);

      expect(ben.posts()[0]!.text).toMatch(/^Queued — position 1 on the workers\./);
      expect((await statusOf(service, 'ben')).map((line) => line.replace(/^• palette \w+ — /, ''))).toEqual(['waiting, position 1 on the workers']);
      const annStatus = (await statusOf(service, 'ann')).map((line) => line.replace(/^• palette \w+ — /, ''));
      expect(annStatus.slice(1)).toEqual(['waiting, position 2 on the workers', 'waiting, position 3 on the workers']);
      // Ann's waiting jobs are told their new places as the queue's events come in.
      await statusesRead(ann.slice(1), ['Queued — position 2 on the workers.', 'Queued — position 3 on the workers.']);

      stub.release();
      await Promise.all([...ann, ben].map((port) => port.waitForSettings(60_000)));
      expect(stub.calls.map((call) => call.options.seed)).toEqual([1, 4, 2, 3]);
    } finally {
      stub.release();
      await service.stop();
      await workers.close();
      await redis.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
