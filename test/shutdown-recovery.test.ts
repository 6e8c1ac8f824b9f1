/**
 * The program as a real process, stopped or killed while it works, over the web front end:
 * - killed with SIGKILL the moment a job is "done" in the store: after a restart, every job's thread
 *   has its result, its settings line and a final status, each exactly once;
 * - stopped with SIGTERM while a job runs: its status message says it paused (not "Running…").
 */
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { WebMessage } from '../src/bots/web/conversations.js';
import { conversationId, postForm } from './e2e/web-client.js';
import { AppProcess } from './helpers/app-process.js';

let dataDir: string;
const apps: AppProcess[] = [];

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'tilestyle-crash-'));
});

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.kill('SIGKILL')));
  await rm(dataDir, { recursive: true, force: true });
});

function startApp(): AppProcess {
  // Three jobs from one user may all still be waiting when the engine is warming up: room for them.
  const app = AppProcess.start(
    'main.ts',
    { TILESTYLE_DATA_DIR: dataDir, WEB_PORT: '0', TILESTYLE_PROGRESS_INTERVAL_MS: '100', TILESTYLE_MAX_WAITING_PER_USER: '3' },
    dataDir,
  );
  apps.push(app);
  return app;
}

interface JobRow {
  id: string;
  state: string;
  thread: string | null;
}

function jobs(): JobRow[] {
  const file = path.join(dataDir, 'jobs.sqlite');
  if (!existsSync(file)) return [];
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT id, state, thread FROM jobs ORDER BY created_at, rowid').all() as JobRow[];
  } finally {
    db.close();
  }
}

/** Polls the job store (every few ms, so a short window is not missed) until `test` holds. */
async function whenJobs(test: (rows: JobRow[]) => boolean, timeoutMs = 300_000): Promise<JobRow[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    let rows: JobRow[] = [];
    try {
      rows = jobs();
    } catch {
      // The store is being created or checkpointed: look again.
    }
    if (test(rows)) return rows;
    if (Date.now() > until) throw new Error(`job store never matched; last seen: ${JSON.stringify(rows)}`);
    await new Promise((resolve) => setTimeout(resolve, 3));
  }
}

async function conversation(id: string): Promise<WebMessage[]> {
  return JSON.parse(await readFile(path.join(dataDir, 'web', 'conversations', `${id}.json`), 'utf8')) as WebMessage[];
}

async function stylize(url: string, c: string, fields: Record<string, string>): Promise<void> {
  const res = await postForm(
    url,
    '/api/stylize',
    c,
    { content: { name: 'dog.jpg', type: 'image/jpeg' }, style: { name: 'guitar.png', type: 'image/png' } },
    fields,
  );
  expect(res.status).toBeLessThan(300);
}

it('answers every job exactly once after a SIGKILL right as a job is done', async () => {
  const first = startApp();
  const url = await first.webUrl();
  const c = conversationId();
  for (let i = 0; i < 3; i++) await stylize(url, c, { size: '64', iterations: '4', seed: String(i + 1) });
  await whenJobs((rows) => rows.some((r) => r.state === 'done'));
  await first.kill('SIGKILL');

  const second = startApp();
  await second.waitForOutput(/Front ends started/);
  await whenJobs((rows) => rows.length === 3 && rows.every((r) => r.state === 'done'));
  // A clean stop writes the conversation; every reply was already durable before the store moved on.
  expect(await second.kill('SIGTERM')).toBe(0);

  const messages = await conversation(c);
  for (const job of jobs()) {
    const thread = messages.filter((m) => m.thread === job.thread && m.author === 'bot' && !m.whisper);
    const describe = thread.map((m) => m.text).join('\n');
    expect({ job: job.id, results: thread.filter((m) => m.files.some((f) => f.filename === `result-${job.id}.png`)).length }).toEqual({
      job: job.id,
      results: 1,
    });
    expect({ job: job.id, palettes: thread.filter((m) => m.files.some((f) => f.filename === `palette-${job.id}.png`)).length }).toEqual({
      job: job.id,
      palettes: 1,
    });
    expect({ job: job.id, settings: thread.filter((m) => m.text.startsWith('Settings:') && m.text.includes(`job ${job.id}`)).length }).toEqual({
      job: job.id,
      settings: 1,
    });
    expect({ job: job.id, stuck: thread.filter((m) => /Running on|Queued|Starting now/.test(m.text)).map((m) => m.text) }).toEqual({ job: job.id, stuck: [] });
    expect(describe).toMatch(/Done in .* on cpu\./);
  }
});

it("tells a running job's thread that it paused when stopped with SIGTERM", async () => {
  const app = startApp();
  const url = await app.webUrl();
  const c = conversationId();
  await stylize(url, c, { size: '64', iterations: '1000', seed: '1' });
  const [job] = await whenJobs((rows) => rows.length === 1 && rows[0]!.state === 'running');
  expect(await app.kill('SIGTERM')).toBe(0);

  const thread = (await conversation(c)).filter((m) => m.thread === job!.thread && m.author === 'bot');
  const status = thread[0]!;
  expect(status.text).toContain('Paused');
  expect(status.text).not.toContain('Running on');
  expect(jobs()[0]!.state).toBe('queued');
});
