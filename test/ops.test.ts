/**
 * @jest-environment ./test/onnx-environment.cjs
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { imageSource, invocation, makeTestCommands, RecordingPort, type TestCommands } from './helpers/commands.js';
import { StubEngine } from './helpers/stub-engine.js';
import { OpsMetrics, observers } from '../src/ops/metrics.js';
import { startOpsServer, type OpsServer } from '../src/ops/server.js';
import { consoleShaped, createLogger } from '../src/ops/log.js';
import { jobLines } from '../src/ops/job-lines.js';
import { settingsFromEnv } from '../src/settings.js';
import { ConfigError } from '../src/config.js';

let t: TestCommands | undefined;
let server: OpsServer | undefined;
afterEach(async () => {
  await server?.close();
  await t?.close();
  server = undefined;
  t = undefined;
});

/** Lines written to a log, kept in memory. */
class LogLines {
  text = '';
  write(s: string): void {
    this.text += s;
  }
  json(): Record<string, unknown>[] {
    return this.text
      .split('\n')
      .filter((l) => l.trim().length > 0)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}

/** Prometheus text format: one sample per line, `name{labels} value`; comments start with #. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const space = line.lastIndexOf(' ');
    out.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return out;
}

async function scrape(ops: OpsServer): Promise<Map<string, number>> {
  const res = await fetch(`${ops.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return samples(await res.text());
}

/** The command service over a stub engine, with its metrics on an operator port (port 0). */
async function withOps(stub: StubEngine, log = consoleShaped(createLogger({ out: new LogLines(), secrets: [] }))) {
  const metrics = new OpsMetrics();
  t = await makeTestCommands({ createEngine: async () => stub, observer: observers(metrics, jobLines(log)), log });
  const service = t.service;
  metrics.watch({ loads: () => service.loads(), undelivered: () => service.undeliveredCount() });
  server = await startOpsServer({ host: '127.0.0.1', port: 0, metrics, health: () => service.health(), log });
  return { metrics, service, ops: server };
}

describe('/metrics', () => {
  test('counts a finished job, times its wait and run, and shows the queue while a job waits', async () => {
    const stub = new StubEngine();
    const { ops } = await withOps(stub);
    const before = await scrape(ops);
    expect(before.get('tilestyle_jobs_total{kind="palette",outcome="done"}')).toBeUndefined();
    expect(before.get('tilestyle_queue_depth{queue="cpu"}')).toBe(0);
    expect(before.get('tilestyle_undelivered_results')).toBe(0);
    expect(before.get('tilestyle_memory_bytes{kind="rss"}')).toBeGreaterThan(0);
    expect(before.get('tilestyle_memory_bytes{kind="heap_used"}')).toBeGreaterThan(0);

    stub.hold();
    const first = new RecordingPort({ channel: 'one' });
    const second = new RecordingPort({ channel: 'two' });
    await t!.handler.handle({ kind: 'palette', style: imageSource('guitar.png'), options: {} }, invocation('user-1', { channel: 'one' }), first);
    await stub.started(1);
    await t!.handler.handle({ kind: 'palette', style: imageSource('guitar.png'), options: { tiles: 2 } }, invocation('user-2', { channel: 'two' }), second);
    const busy = await scrape(ops);
    expect(busy.get('tilestyle_queue_depth{queue="cpu"}')).toBe(1);
    expect(busy.get('tilestyle_jobs_running{queue="cpu"}')).toBe(1);

    stub.release();
    await first.waitForSettings();
    await second.waitForSettings();
    await t!.service.idle();
    const after = await scrape(ops);
    expect(after.get('tilestyle_jobs_total{kind="palette",outcome="done"}')).toBe(2);
    expect(after.get('tilestyle_job_wait_seconds_count{kind="palette"}')).toBe(2);
    expect(after.get('tilestyle_job_run_seconds_count{kind="palette",outcome="done"}')).toBe(2);
    expect(after.get('tilestyle_queue_depth{queue="cpu"}')).toBe(0);
    expect(after.get('tilestyle_jobs_running{queue="cpu"}')).toBe(0);
  });

  test('counts a failed job by its outcome', async () => {
    const stub = new StubEngine();
    stub.palette = async () => {
      throw new Error('the engine broke');
    };
    const { ops } = await withOps(stub);
    const port = new RecordingPort();
    await t!.handler.handle({ kind: 'palette', style: imageSource('guitar.png'), options: {} }, invocation(), port);
    await port.waitFor((p) => p.posts().some((e) => e.text.includes('failed')));
    await t!.service.idle();
    const after = await scrape(ops);
    expect(after.get('tilestyle_jobs_total{kind="palette",outcome="failed"}')).toBe(1);
    expect(after.get('tilestyle_jobs_total{kind="palette",outcome="done"}')).toBeUndefined();
  });
});

describe('/healthz', () => {
  test('is 200 with every part up, and 503 naming the part once the job store is closed', async () => {
    const { ops, service } = await withOps(new StubEngine());
    const up = await fetch(`${ops.url}/healthz`);
    expect(up.status).toBe(200);
    const report = (await up.json()) as { status: string; parts: { part: string; up: boolean }[] };
    expect(report.status).toBe('up');
    expect(report.parts).toEqual([
      { part: 'job store', up: true },
      { part: 'engine cpu', up: true },
    ]);

    await service.stop();
    const down = await fetch(`${ops.url}/healthz`);
    expect(down.status).toBe(503);
    const after = (await down.json()) as { status: string; parts: { part: string; up: boolean; detail?: string }[] };
    expect(after.status).toBe('down');
    expect(after.parts).toContainEqual({ part: 'job store', up: false, detail: 'closed' });
  });

  test('is 503 when an engine is down, with the reason', async () => {
    const stub = Object.assign(new StubEngine(), { health: () => ({ up: false, detail: 'The engine thread stopped (exit code 1).' }) });
    const { ops } = await withOps(stub);
    const res = await fetch(`${ops.url}/healthz`);
    expect(res.status).toBe(503);
    const report = (await res.json()) as { parts: unknown[] };
    expect(report.parts).toContainEqual({ part: 'engine cpu', up: false, detail: 'The engine thread stopped (exit code 1).' });
  });

  test('answers 404 elsewhere, and a part whose check throws is down rather than the port', async () => {
    const metrics = new OpsMetrics({ defaults: false });
    server = await startOpsServer({
      host: '127.0.0.1',
      port: 0,
      metrics,
      health: async () => {
        const { checked } = await import('../src/ops/health.js');
        return checked('redis', () => Promise.reject(new Error('connect ECONNREFUSED')));
      },
      log: { error: () => undefined },
    });
    expect((await fetch(`${server.url}/nothing`)).status).toBe(404);
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'down', parts: [{ part: 'redis', up: false, detail: 'connect ECONNREFUSED' }] });
  });
});

describe('structured logs', () => {
  const TOKENS = {
    SLACK_BOT_TOKEN: 'xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx',
    DISCORD_TOKEN: 'MTA5ODc2NTQzMjEwOTg3NjU0.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789AB',
    TILESTYLE_REDIS_URL: 'redis://:hunter2-redis-pass@127.0.0.1:6379',
  };
  const saved: Record<string, string | undefined> = {};
  afterEach(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  test('a token set in the environment never reaches a line, however it is logged', async () => {
    for (const [name, value] of Object.entries(TOKENS)) {
      saved[name] = process.env[name];
      process.env[name] = value;
    }
    const plainText = TOKENS.SLACK_BOT_TOKEN.replace('xoxb-', 'plain-'); // the env value itself, not its shape
    process.env.SLACK_SIGNING_SECRET = plainText;
    saved.SLACK_SIGNING_SECRET = undefined;
    for (const format of ['json', 'pretty'] as const) {
      const lines = new LogLines();
      const log = consoleShaped(createLogger({ out: lines, format })); // secrets from process.env
      log.info(`Connecting with ${TOKENS.DISCORD_TOKEN}`);
      log.warn('Slack said no:', { token: TOKENS.SLACK_BOT_TOKEN, headers: { authorization: `Bearer ${TOKENS.SLACK_BOT_TOKEN}` } });
      log.error('Request failed:', Object.assign(new Error(`401 for ${plainText}`), { config: { headers: { Authorization: `Bot ${TOKENS.DISCORD_TOKEN}` } } }));
      log.child({ jobId: 'job-1', userId: 'u-1' }).error(`Redis at ${TOKENS.TILESTYLE_REDIS_URL} refused`);
      expect(lines.text).toContain('Connecting with [Redacted]');
      for (const secret of [...Object.values(TOKENS), plainText, 'hunter2-redis-pass']) expect(lines.text).not.toContain(secret);
      expect(lines.text).toContain('job-1');
    }
  });

  test("a job's lines carry its id and its user's, and an error's stack", async () => {
    const lines = new LogLines();
    const log = consoleShaped(createLogger({ out: lines, secrets: [] }));
    const stub = new StubEngine();
    stub.palette = async () => {
      throw new Error('the engine broke');
    };
    await withOps(stub, log);
    const port = new RecordingPort();
    await t!.handler.handle({ kind: 'palette', style: imageSource('guitar.png'), options: {} }, invocation('user-42'), port);
    await port.waitFor((p) => p.posts().some((e) => e.text.includes('failed')));
    await t!.service.idle();
    const entries = lines.json();
    const jobId = entries.find((e) => String(e.msg).includes('queued'))?.jobId;
    expect(typeof jobId).toBe('string');
    const ofJob = entries.filter((e) => String(e.msg).includes(String(jobId)));
    expect(ofJob.map((e) => e.msg)).toEqual(
      expect.arrayContaining([`Job ${jobId} queued (palette).`, `Job ${jobId} started on cpu.`, `Job ${jobId} failed:`, `Job ${jobId} failed.`]),
    );
    for (const entry of ofJob) expect(entry).toMatchObject({ jobId, userId: 'user-42' });
    const failure = ofJob.find((e) => e.msg === `Job ${jobId} failed:`)!;
    expect(failure.level).toBe(50);
    expect(failure.err).toMatchObject({ message: 'the engine broke' });
    expect(String((failure.err as { stack: string }).stack)).toContain('Error: the engine broke');
  });
});

describe('settings', () => {
  test('the operator port is off unless TILESTYLE_OPS_PORT is set, and then on 127.0.0.1', () => {
    expect(settingsFromEnv({}).ops).toBeUndefined();
    expect(settingsFromEnv({ TILESTYLE_OPS_PORT: '9464' }).ops).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(settingsFromEnv({ TILESTYLE_OPS_PORT: '0', TILESTYLE_OPS_HOST: '0.0.0.0' }).ops).toEqual({ host: '0.0.0.0', port: 0 });
    expect(() => settingsFromEnv({ TILESTYLE_OPS_PORT: 'metrics' })).toThrow(ConfigError);
    expect(() => settingsFromEnv({ TILESTYLE_OPS_PORT: '9464', TILESTYLE_OPS_HOST: 'a b' })).toThrow(/TILESTYLE_OPS_HOST/);
  });
});
