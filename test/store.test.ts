/**
 * @jest-environment ./test/onnx-environment.cjs
 */
/**
 * The job store and restarts: jobs survive in SQLite; a new service resumes what the old one left
 * waiting or running, fails (and says so) what it cannot resume, and re-runs jobs from before.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { JobStore } from '../src/jobs/job-store.js';
import type { JobRecord } from '../src/jobs/job-record.js';
import { imageSource, invocation, makeTestCommands, RecordingFrontend, RecordingPort, testEngine } from './helpers/commands.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tilestyle-store-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const base: JobRecord = {
  id: 'job1',
  platform: 'slack',
  user: { id: 'U1', name: 'ann' },
  where: { channel: 'C1' },
  kind: 'stylize',
  options: { tiles: 4, size: 64, iterations: 5, strength: 5, balance: 'auto', styleWeight: 1, contentWeight: 1, preserveColors: false, seed: 3 },
  inputs: { content: 'a'.repeat(64), style: 'b'.repeat(64) },
  state: 'queued',
  createdAt: 1000,
};

describe('JobStore', () => {
  it('keeps jobs, their states, places and messages across reopening', () => {
    const store = new JobStore(dir);
    store.insert(base);
    store.insert({ ...base, id: 'job2', createdAt: 2000, user: { id: 'U2' } });
    store.insert({ ...base, id: 'job3', createdAt: 3000, where: { channel: 'C2' } });
    store.setWhere('job1', { channel: 'C1', thread: '171.5', extra: { team: 'T1' } });
    store.addMessage('slack', '171.5', 'job1', 'status');
    store.addMessage('slack', '171.9', 'job1', 'result');
    store.setState('job1', 'running', { device: 'cpu', startedAt: 1500 });
    store.setState('job2', 'failed', { finishedAt: 2500, error: 'The image is too small.' });
    store.close();

    const again = new JobStore(dir);
    const job1 = again.get('job1')!;
    expect(job1).toEqual({ ...base, state: 'running', device: 'cpu', startedAt: 1500, where: { channel: 'C1', thread: '171.5', extra: { team: 'T1' } } });
    expect(again.jobForMessage('slack', '171.9')?.id).toBe('job1');
    expect(again.jobForMessage('discord', '171.9')).toBeUndefined();
    expect(again.messagesOf('job1')).toEqual([
      { id: '171.5', role: 'status' },
      { id: '171.9', role: 'result' },
    ]);
    expect(again.get('job2')).toMatchObject({ state: 'failed', error: 'The image is too small.', finishedAt: 2500, user: { id: 'U2' } });
    expect(again.unfinished().map((j) => j.id)).toEqual(['job1', 'job3']);
    expect(again.latestOf('slack', 'U1', ['queued', 'running'])?.id).toBe('job3');
    expect(again.inConversation('slack', 'C1', undefined, 10).map((j) => j.id)).toEqual(['job1', 'job2']);
    expect(again.inConversation('slack', 'C1', '171.5', 10).map((j) => j.id)).toEqual(['job1']);
    again.close();
  });
});

describe('restart', () => {
  it('resumes a running and a waiting job in a new service, and re-runs a job from before the restart', async () => {
    const before = await makeTestCommands({ dataDir: dir, createEngine: testEngine });
    const donePort = new RecordingPort({ channel: 'restart' });
    await before.handler.handle(
      { kind: 'palette', style: imageSource('guitar.png'), options: { tiles: 2, iterations: 3 } },
      invocation('ann', { channel: 'restart' }),
      donePort,
    );
    await donePort.waitForSettings();

    const running = new RecordingPort({ channel: 'restart' });
    const waiting = new RecordingPort({ channel: 'restart' });
    await before.handler.handle(
      { kind: 'palette', style: imageSource('eagle.jpg'), options: { iterations: 400 } },
      invocation('ann', { channel: 'restart' }),
      running,
    );
    await before.handler.handle(
      { kind: 'stylize', content: imageSource('dog.jpg'), style: imageSource('face.png'), options: { iterations: 4, seed: 5 } },
      invocation('ben', { channel: 'restart' }),
      waiting,
    );
    await running.waitFor((p) => p.updatesOf(p.posts()[0]!.id).some((u) => u.text.includes('step')));
    await before.close();
    expect(running.textOf(running.posts()[0]!.id)).toContain("Paused: I'm restarting.");
    expect(waiting.textOf(waiting.posts()[0]!.id)).toContain("Paused: I'm restarting.");

    const frontend = new RecordingFrontend('web');
    // The long job is made short on resume only by cancelling it: what matters is that both come back.
    const after = await makeTestCommands({ dataDir: dir, frontends: [frontend], createEngine: testEngine });
    try {
      expect(frontend.ports).toHaveLength(2);
      const [resumedRunning, resumedWaiting] = frontend.ports;
      expect(resumedRunning!.where().thread).toBe(running.where().thread);
      expect(resumedRunning!.posts()[0]!.text).toMatch(/^Resuming job \w+ after a restart\.\nStarting now on cpu\./);
      expect(resumedWaiting!.posts()[0]!.text).toMatch(/^Resuming job \w+ after a restart\.\nQueued — position 1 on cpu\./);
      await resumedRunning!.waitFor((p) => p.updatesOf(p.posts()[0]!.id).some((u) => u.text.includes('step')));
      await after.handler.handle({ kind: 'cancel' }, invocation('ann', { channel: 'restart' }), resumedRunning!);
      await resumedWaiting!.waitForSettings();
      expect(resumedWaiting!.filePosts().map((p) => p.files[0]!.filename)).toEqual([expect.stringMatching(/^palette-/), expect.stringMatching(/^result-/)]);
      expect(resumedWaiting!.posts().at(-1)!.text).toMatch(/^Settings: tiles=\d+ size=64 iterations=4 .* seed=5 · /);

      // A reaction on a result posted before the restart still finds its job.
      const rerun = new RecordingPort(donePort.where());
      await after.handler.handle({ kind: 'rerun', messageId: donePort.filePosts()[0]!.id }, invocation('cyd', { channel: 'restart' }), rerun);
      await rerun.waitForSettings();
      expect(rerun.posts()[0]!.text).toContain('with finer tiles: 2 → 4.');
      expect(rerun.posts().at(-1)!.text).toMatch(/^Settings: tiles=4 /);

      const states = after.service.history({ platform: 'web', channel: 'restart' }).map((j) => [j.kind, j.state]);
      expect(states).toEqual([
        ['palette', 'done'],
        ['palette', 'cancelled'],
        ['stylize', 'done'],
        ['palette', 'done'],
      ]);
    } finally {
      await after.close();
    }
  });

  it('fails jobs it cannot resume, saying so where it can', async () => {
    const store = new JobStore(dir);
    store.insert({ ...base, id: 'lost-inputs', platform: 'web', where: { channel: 'W1', thread: 't1' } });
    store.insert({ ...base, id: 'no-frontend', platform: 'discord', state: 'running' });
    store.close();
    const frontend = new RecordingFrontend('web');
    const service = await makeTestCommands({ dataDir: dir, frontends: [frontend] });
    try {
      expect(frontend.ports).toHaveLength(1);
      expect(frontend.ports[0]!.where()).toEqual({ channel: 'W1', thread: 't1' });
      expect(frontend.ports[0]!.posts()[0]!.text).toBe(
        'Sorry, job lost-inputs failed: Its images were lost in a restart, so it could not be resumed. Please send them again.',
      );
      expect(service.service.job('lost-inputs')?.state).toBe('failed');
      expect(service.service.job('no-frontend')).toMatchObject({
        state: 'failed',
        error: 'The discord front end is not running, so the job could not be resumed after a restart.',
      });
    } finally {
      await service.close();
    }
  });
});
