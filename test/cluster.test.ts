/**
 * @jest-environment ./test/onnx-environment.cjs
 *
 * The Redis mode end to end, all real: Debian's redis-server on a free port, two worker processes
 * (`npm run worker`'s program) with the real engine at 64 px, and the command service as front end
 * over a recording chat platform.
 * - 8 jobs from 3 users; one worker is killed with SIGKILL while it runs a job: every job is answered
 *   exactly once in its own thread, the killed one by the other worker;
 * - a cancel stops a job that runs on a worker;
 * - a job that finishes while the front end restarts is answered once by the new front end;
 * - `npm start`'s program in this mode loads no weights and never prints the Redis password;
 * - Redis restarted while jobs run: they still finish.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { createCommandService, type CommandService } from '../src/commands/index.js';
import { AppProcess } from './helpers/app-process.js';
import { imageSource, invocation, RecordingFrontend, RecordingPort } from './helpers/commands.js';
import { haveRedis, RedisServer } from './helpers/redis-server.js';

if (!haveRedis) console.warn('Skipping the Redis tests: redis-server is missing (.ci/run installs it).');
const describeWithRedis = haveRedis ? describe : describe.skip;

const log = { error: (...args: unknown[]) => console.error(...args), warn: () => undefined, info: () => undefined };

describeWithRedis('several workers on Redis', () => {
  let redis: RedisServer;
  let dataDir: string;
  let service: CommandService;
  const workers = new Map<string, AppProcess>();

  async function startWorker(name: string): Promise<void> {
    const worker = AppProcess.start(
      'worker.ts',
      {
        TILESTYLE_REDIS_URL: redis.url,
        TILESTYLE_WORKER_NAME: name,
        // A dead worker's job is taken over after a few seconds, not the default 30.
        TILESTYLE_WORKER_LOCK_MS: '4000',
        TILESTYLE_WORKER_STALLED_CHECK_MS: '1000',
      },
      tmpdir(),
    );
    workers.set(name, worker);
    await worker.waitForOutput(/Worker ready/, 300_000);
  }

  beforeAll(async () => {
    redis = await RedisServer.start();
    dataDir = await mkdtemp(path.join(tmpdir(), 'tilestyle-cluster-'));
    await Promise.all([startWorker('w1'), startWorker('w2')]);
    service = await createCommandService({
      dataDir,
      redisUrl: redis.url,
      limits: { perUserWaiting: 10, globalWaiting: 50, progressIntervalMs: 50 },
      defaults: { size: 64, iterations: 6 },
      log,
    });
    service.registerFrontend(new RecordingFrontend('web'));
    await service.start();
  });

  afterAll(async () => {
    await Promise.all([...workers.values()].map((w) => w.kill('SIGKILL')));
    await service?.stop();
    await redis?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  function stylize(port: RecordingPort, user: string, seed: number, iterations = 6): Promise<void> {
    return service.handle(
      { kind: 'stylize', content: imageSource('dog.jpg'), style: imageSource(seed % 2 ? 'guitar.png' : 'scream.jpg'), options: { seed, iterations } },
      invocation(user),
      port,
    );
  }

  const statusOf = (port: RecordingPort) => port.textOf(port.posts()[0]!.id) ?? '';
  const settingsOf = (port: RecordingPort) => port.posts().filter((p) => p.text.startsWith('Settings:'));

  it('answers 8 jobs from 3 users exactly once, though a worker is killed in the middle of one', async () => {
    const ports = Array.from({ length: 8 }, (_, i) => new RecordingPort({ channel: `c-${i}` }));
    for (const [i, port] of ports.entries()) await stylize(port, `user-${i % 3}`, i + 1);
    expect(ports.flatMap((p) => p.whispers())).toEqual([]);

    // The first job seen running on w1 loses its worker.
    const victim = await new Promise<RecordingPort>((resolve) => {
      const look = () => {
        const found = ports.find((p) => p.posts().length > 0 && statusOf(p).includes('Running on w1/'));
        if (found) resolve(found);
        else setTimeout(look, 10);
      };
      look();
    });
    await workers.get('w1')!.kill('SIGKILL');

    for (const port of ports) await port.waitFor((p) => p.posts().length > 0 && statusOf(p).startsWith('Done in'), 300_000);
    await service.idle();
    for (const port of ports) {
      const results = port.filePosts().filter((p) => p.files.some((f) => f.filename.startsWith('result-')));
      const palettes = port.filePosts().filter((p) => p.files.some((f) => f.filename.startsWith('palette-')));
      expect({ results: results.length, palettes: palettes.length, settings: settingsOf(port).length }).toEqual({ results: 1, palettes: 1, settings: 1 });
      expect(statusOf(port)).toMatch(/^Done in .* on w[12]\/cpu\.$/);
    }
    expect(settingsOf(victim)[0]!.text).toContain('on w2/cpu');
    // Places in the one line all workers take from were told.
    const said = ports.flatMap((p) => p.events.flatMap((e) => (e.type === 'post' || e.type === 'update' ? [e.text] : [])));
    expect(said.some((text) => /^Queued — position \d+ on the workers\./.test(text))).toBe(true);

    await startWorker('w1');
    const asker = new RecordingPort();
    await service.handle({ kind: 'status' }, invocation('user-0'), asker);
    expect(asker.whispers()[0]).toMatch(/• w1\/cpu: idle\n• w2\/cpu: idle\n/);
  });

  it('stops a job running on a worker when its user cancels it', async () => {
    const port = new RecordingPort({ channel: 'cancel' });
    await stylize(port, 'canceller', 99, 1000);
    await port.waitFor((p) => p.posts().length > 0 && /Running on w\d\/cpu — (palette|stylizing): step/.test(statusOf(p)), 300_000);
    await service.handle({ kind: 'cancel' }, invocation('canceller'), port);
    expect(port.whispers().at(-1)).toMatch(/^Cancelling your running job \w+/);
    await port.waitFor((p) => statusOf(p) === 'Cancelled.', 300_000);
    await port.waitFor((p) => p.posts().some((m) => /^Job \w+ was cancelled\.$/.test(m.text)));
    expect(settingsOf(port)).toEqual([]);
  });

  it('gives a job that finished while the front end was restarting its result, once', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'tilestyle-cluster-front-'));
    const options = { dataDir: dir, redisUrl: redis.url, limits: { progressIntervalMs: 50 }, defaults: { size: 64, iterations: 6 }, log };
    const queue = new Queue('tilestyle', { prefix: 'tilestyle', connection: { url: redis.url, maxRetriesPerRequest: null } });
    try {
      const first = await createCommandService(options);
      first.registerFrontend(new RecordingFrontend('web'));
      await first.start();
      const port = new RecordingPort({ channel: 'restart' });
      await first.handle(
        { kind: 'stylize', content: imageSource('dog.jpg'), style: imageSource('scream.jpg'), options: { seed: 5, iterations: 30 } },
        invocation('restarter'),
        port,
      );
      await port.waitFor((p) => p.posts().some((m) => m.text.startsWith('Palette of the style')), 300_000);
      const id = first.history({ platform: 'web', channel: 'restart' })[0]!.id;
      await first.stop();
      // The job goes on on its worker while no front end listens.
      for (let state = ''; state !== 'completed'; state = await queue.getJobState(`job-${id}`)) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }

      const frontend = new RecordingFrontend('web');
      const second = await createCommandService(options);
      second.registerFrontend(frontend);
      await second.start();
      const resumed = frontend.ports[0]!;
      await resumed.waitForSettings(300_000);
      await second.stop();
      const both = [...port.filePosts(), ...resumed.filePosts()].flatMap((p) => p.files.map((f) => f.filename));
      expect(both.sort()).toEqual([`palette-${id}.png`, `result-${id}.png`]);
      expect([...settingsOf(port), ...settingsOf(resumed)]).toHaveLength(1);
      // The first status message, edited through the new front end's port, points to the new one.
      expect(resumed.updatesOf(port.posts()[0]!.id).map((u) => u.text)).toEqual([expect.stringContaining('stopped following')]);
      expect(resumed.textOf(resumed.posts()[0]!.id)).toMatch(/^Resuming job \w+ after a restart\.\nDone in /);
    } finally {
      await queue.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("starts npm start's program as a front end that loads no weights and never prints the Redis password", async () => {
    const cwd = await mkdtemp(path.join(tmpdir(), 'tilestyle-cluster-main-'));
    try {
      const app = AppProcess.start(
        'main.ts',
        {
          TILESTYLE_REDIS_URL: redis.url.replace('redis://', 'redis://:SECRET-93@'),
          TILESTYLE_MODEL_DIR: path.join(cwd, 'no-weights-here'),
          TILESTYLE_DATA_DIR: cwd,
          WEB_PORT: '0',
        },
        cwd,
      );
      await app.waitForOutput(/Front ends started: web\./);
      expect(await app.kill('SIGTERM')).toBe(0);
      expect(app.output).toMatch(/Jobs go to the workers through Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+/);
      expect(app.output).not.toContain('SECRET-93');
      expect(app.output).not.toContain('Engines ready');
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });

  it('finishes the jobs when Redis restarts while they run', async () => {
    const ports = Array.from({ length: 3 }, (_, i) => new RecordingPort({ channel: `r-${i}` }));
    for (const [i, port] of ports.entries()) await stylize(port, `user-${i}`, 200 + i, 20);
    await ports[0]!.waitFor((p) => p.posts().length > 0 && statusOf(p).includes('Running on'), 300_000);
    await redis.restart();
    for (const port of ports) await port.waitFor((p) => p.posts().length > 0 && statusOf(p).startsWith('Done in'), 300_000);
    for (const port of ports) {
      expect(settingsOf(port)).toHaveLength(1);
      expect(statusOf(port)).toMatch(/^Done in /);
    }
  });
});
