/**
 * @jest-environment ./test/onnx-environment.cjs
 *
 * Hourly quotas per user and per server or workspace: counted from the job store (so a restart
 * forgets nothing), refused with the time the next job is possible, read from the environment.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { ConfigError } from '../src/config.js';
import { clockUtc, quotaText } from '../src/commands/messages.js';
import { nextAllowed } from '../src/commands/intake/quotas.js';
import type { Invocation } from '../src/commands/port.js';
import { settingsFromEnv } from '../src/settings.js';
import { imageSource, invocation, makeTestCommands, RecordingPort, type TestCommands } from './helpers/commands.js';
import { StubEngine } from './helpers/stub-engine.js';
import Database from 'better-sqlite3';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { JobStore } from '../src/jobs/job-store.js';

const HOUR = 3600_000;

let t: TestCommands | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

function palette(who: Invocation, seed: number, port = new RecordingPort({ channel: `c-${seed}` })): Promise<RecordingPort> {
  return t!.handler.handle({ kind: 'palette', style: imageSource('guitar.png'), options: { seed, tiles: 2 } }, who, port).then(() => port);
}

function onServer(user: string, server: string | undefined, platform: Invocation['platform'] = 'discord'): Invocation {
  const who = invocation(user, { channel: 'general' }, platform);
  return server === undefined ? who : { ...who, server };
}

/** The refusal with the time the first of `createdAt` turns an hour old. */
function refusalPattern(text: string): RegExp {
  return new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace('IN', '\\d+ minutes?')}$`);
}

describe('quotas', () => {
  it("refuses a user's job over the hourly quota with the time of the next, also after a restart, and counts no one else's", async () => {
    const stub = new StubEngine();
    t = await makeTestCommands({ createEngine: async () => stub, limits: { jobsPerUserPerHour: 2 } });
    const ann = invocation('ann');
    for (const seed of [1, 2]) await (await palette(ann, seed)).waitForSettings();
    const first = t.service.history({ platform: 'web', channel: 'c-1' })[0]!.createdAt;
    const expected = refusalPattern(`You've used your 2 jobs for this hour — your next one is possible at ${clockUtc(first + HOUR)} (in IN).`);

    const refused = await palette(ann, 3);
    expect(refused.whispers()).toEqual([expect.stringMatching(expected)]);
    expect(refused.posts()).toEqual([]);
    // A re-run is a new job too.
    const rerun = new RecordingPort();
    await t.handler.handle({ kind: 'rerun', jobId: t.service.history({ platform: 'web', channel: 'c-2' })[0]!.id, change: 'seed' }, ann, rerun);
    expect(rerun.whispers()).toEqual([expect.stringMatching(expected)]);
    const status = new RecordingPort();
    await t.handler.handle({ kind: 'status' }, ann, status);
    expect(status.whispers()[0]).toMatch(/\nIn the last hour you started 2 of the 2 jobs you may start in an hour\.$/);
    // Another user is not counted with ann.
    await (await palette(invocation('ben'), 4)).waitForSettings();

    // A new process on the same store: the count is the store's.
    const before = t;
    await before.service.stop();
    try {
      t = await makeTestCommands({ createEngine: async () => stub, dataDir: before.dataDir, limits: { jobsPerUserPerHour: 2 } });
      const again = await palette(ann, 5);
      expect(again.whispers()).toEqual([expect.stringMatching(expected)]);
    } finally {
      await t.close();
      t = undefined;
      await before.close(); // removes the data directory
    }
  });

  it('does not count a job cancelled before it started', async () => {
    const stub = new StubEngine();
    t = await makeTestCommands({ createEngine: async () => stub, limits: { jobsPerUserPerHour: 2 } });
    stub.hold();
    const ann = invocation('ann');
    const running = await palette(ann, 1);
    await stub.started(1);
    const waiting = await palette(ann, 2);
    await t.handler.handle({ kind: 'cancel', jobId: t.service.history({ platform: 'web', channel: 'c-2' })[0]!.id }, ann, waiting);
    expect(waiting.whispers()).toEqual([expect.stringMatching(/^Cancelled your waiting job/)]);
    const third = await palette(ann, 3);
    expect(third.whispers()).toEqual([]);
    stub.release();
    await Promise.all([running, third].map((port) => port.waitForSettings()));
    expect((await palette(ann, 4)).whispers()).toEqual([expect.stringMatching(/^You've used your 2 jobs for this hour/)]);
  });

  it('refuses a server over its quota (a workspace on Slack), not another server or a DM', async () => {
    const stub = new StubEngine();
    t = await makeTestCommands({ createEngine: async () => stub, limits: { jobsPerServerPerHour: 2 } });
    const done = [await palette(onServer('ann', 'g1'), 1), await palette(onServer('ben', 'g1'), 2)];
    await Promise.all(done.map((port) => port.waitForSettings()));
    const first = Math.min(...t.service.history({ platform: 'discord', channel: 'c-1' }).map((j) => j.createdAt));

    const refused = await palette(onServer('cyd', 'g1'), 3);
    expect(refused.whispers()).toEqual([
      expect.stringMatching(refusalPattern(`This server has used its 2 jobs for this hour — the next one is possible at ${clockUtc(first + HOUR)} (in IN).`)),
    ]);
    const elsewhere = [await palette(onServer('cyd', 'g2'), 4), await palette(onServer('cyd', undefined), 5)];
    expect(elsewhere.flatMap((port) => port.whispers())).toEqual([]);
    await Promise.all(elsewhere.map((port) => port.waitForSettings()));

    // Slack's workspaces have their own count, and their own word.
    for (const seed of [6, 7]) await (await palette(onServer('ann', 'g1', 'slack'), seed)).waitForSettings();
    expect((await palette(onServer('ann', 'g1', 'slack'), 8)).whispers()).toEqual([
      expect.stringMatching(/^This workspace has used its 2 jobs for this hour — the next one is possible at \d\d:\d\d UTC \(in \d+ minutes?\)\.$/),
    ]);
  });

  it('says when the next job is possible: once enough of the hour-old ones have aged out', () => {
    expect(nextAllowed([10, 20, 30], 3)).toBe(10 + HOUR);
    expect(nextAllowed([10, 20, 30, 40], 3)).toBe(20 + HOUR);
    expect(nextAllowed([10, 20], 3)).toBeNull();
    expect(nextAllowed([10, 20], 0)).toBeNull();
    const now = Date.UTC(2026, 0, 1, 14, 20, 0);
    expect(quotaText('user', 1, now + 11 * 60_000 + 30_000, now)).toBe(
      "You've used your 1 job for this hour — your next one is possible at 14:32 UTC (in 12 minutes).",
    );
    expect(quotaText('server', 5, now + 20_000, now)).toBe(
      'This server has used its 5 jobs for this hour — the next one is possible at 14:21 UTC (in 1 minute).',
    );
  });

  it('counts from a store written before jobs recorded their server', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'tilestyle-old-store-'));
    try {
      const old = new Database(path.join(dir, 'jobs.sqlite'));
      old.exec(`CREATE TABLE jobs (id TEXT PRIMARY KEY, platform TEXT NOT NULL, user_id TEXT NOT NULL, user_name TEXT, channel TEXT NOT NULL,
        thread TEXT, extra TEXT, kind TEXT NOT NULL, options TEXT NOT NULL, inputs TEXT NOT NULL, parent_id TEXT, state TEXT NOT NULL,
        device TEXT, created_at INTEGER NOT NULL, started_at INTEGER, finished_at INTEGER, error TEXT)`);
      old
        .prepare(
          `INSERT INTO jobs (id, platform, user_id, channel, kind, options, inputs, state, created_at) VALUES ('old1', 'discord', 'ann', 'c', 'palette', '{}', '{}', 'done', ?)`,
        )
        .run(Date.now() - 60_000);
      old.close();
      const store = new JobStore(dir);
      try {
        expect(store.createdSince({ platform: 'discord', userId: 'ann' }, Date.now() - HOUR)).toHaveLength(1);
        expect(store.createdSince({ platform: 'discord', server: 'g1' }, Date.now() - HOUR)).toEqual([]);
        expect(store.get('old1')!.server).toBeUndefined();
      } finally {
        store.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reads the quotas from the environment (0 or unset: none) and names a wrong value', () => {
    expect(settingsFromEnv({}).limits.jobsPerUserPerHour ?? 0).toBe(0);
    const limits = settingsFromEnv({ TILESTYLE_JOBS_PER_USER_PER_HOUR: '5', TILESTYLE_JOBS_PER_SERVER_PER_HOUR: '40' }).limits;
    expect(limits).toMatchObject({ jobsPerUserPerHour: 5, jobsPerServerPerHour: 40 });
    expect(() => settingsFromEnv({ TILESTYLE_JOBS_PER_USER_PER_HOUR: '-1' })).toThrow(ConfigError);
    expect(() => settingsFromEnv({ TILESTYLE_JOBS_PER_SERVER_PER_HOUR: 'lots' })).toThrow(/^TILESTYLE_JOBS_PER_SERVER_PER_HOUR: /);
  });
});
