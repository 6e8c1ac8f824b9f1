/** Data retention on a real data directory: what is removed for age, for size, and what is never touched. */
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DataFiles } from '../src/jobs/data-files.js';
import { ConfigError } from '../src/config.js';
import { DEFAULT_RETENTION, pruneDataDir, retentionFromEnv, type RetentionPolicy } from '../src/retention.js';

const DAY = 24 * 60 * 60 * 1000;
const NOW = Date.UTC(2030, 0, 31);

let dataDir: string;

/** Writes `bytes` bytes at `relative`, last modified `daysAgo` days before NOW. */
async function file(relative: string, bytes: number, daysAgo: number): Promise<void> {
  const full = path.join(dataDir, relative);
  await mkdir(path.dirname(full), { recursive: true });
  await writeFile(full, Buffer.alloc(bytes, 1));
  const when = new Date(NOW - daysAgo * DAY);
  await utimes(full, when, when);
}

async function present(): Promise<string[]> {
  const names = await readdir(dataDir, { recursive: true, withFileTypes: true });
  return names
    .filter((e) => e.isFile())
    .map((e) => path.relative(dataDir, path.join(e.parentPath, e.name)))
    .sort();
}

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'tilestyle-retention-'));
  await file('jobs.sqlite', 1000, 400);
  await file('palette-cache/abc.png', 1000, 400);
  await file(`inputs/${'a'.repeat(64)}`, 300, 40);
  await file(`inputs/${'b'.repeat(64)}`, 300, 10);
  await file('results/old-job/result.png', 300, 45);
  await file('results/new-job/result.png', 300, 2);
  await file('web/files/0123456789abcdef01234567.png', 300, 5);
  await file('web/conversations/old-conversation.json', 50, 90);
  await file('web/conversations/recent-conversation.json', 50, 1);
});

afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('pruneDataDir', () => {
  it('removes images and conversations older than the age limit, and never the job store or the palette cache', async () => {
    const report = await pruneDataDir(dataDir, { ...DEFAULT_RETENTION, maxAgeMs: 30 * DAY, maxBytes: 0 }, NOW);
    expect(await present()).toEqual([
      `inputs/${'b'.repeat(64)}`,
      'jobs.sqlite',
      'palette-cache/abc.png',
      'results/new-job/result.png',
      'web/conversations/recent-conversation.json',
      'web/files/0123456789abcdef01234567.png',
    ]);
    expect(report).toEqual({ removedFiles: 3, removedBytes: 650, keptBytes: 900 });
    expect(await readdir(path.join(dataDir, 'results'))).toEqual(['new-job']); // the emptied job folder went too
  });

  it('removes the oldest images until the total is under the byte limit, but none younger than the grace period', async () => {
    const policy: RetentionPolicy = { maxAgeMs: 0, maxBytes: 650, graceMs: 3 * DAY };
    await pruneDataDir(dataDir, policy, NOW);
    expect((await present()).filter((f) => !f.startsWith('web/conversations') && f !== 'jobs.sqlite' && !f.startsWith('palette'))).toEqual([
      'results/new-job/result.png',
      'web/files/0123456789abcdef01234567.png',
    ]);
    // Under the grace period nothing goes, even over the limit.
    await file('results/running-job/result.png', 5000, 0);
    const report = await pruneDataDir(dataDir, { ...policy, maxBytes: 100 }, NOW);
    expect(await present()).toContain('results/running-job/result.png');
    expect(await present()).toContain('results/new-job/result.png'); // 2 days old: within the grace period
    expect(await present()).not.toContain('web/files/0123456789abcdef01234567.png'); // 5 days: the oldest, so it went
    expect(report.keptBytes).toBe(5300);
  });

  it('counts an input sent again as new', async () => {
    const files = new DataFiles(dataDir);
    const bytes = Buffer.from('the same picture, sent twice');
    const hash = await files.saveInput(bytes);
    const long = new Date(Date.now() - 100 * DAY);
    await utimes(files.inputPath(hash), long, long);
    await files.saveInput(bytes);
    await pruneDataDir(dataDir, { ...DEFAULT_RETENTION, maxAgeMs: 30 * DAY, maxBytes: 0 });
    expect(files.hasInput(hash)).toBe(true);
  });
});

describe('retentionFromEnv', () => {
  it('defaults to 30 days and 2 GB, and 0 turns a limit off', () => {
    expect(retentionFromEnv({})).toEqual(DEFAULT_RETENTION);
    expect(retentionFromEnv({ TILESTYLE_KEEP_DAYS: '0', TILESTYLE_KEEP_MB: '0' })).toMatchObject({ maxAgeMs: 0, maxBytes: 0 });
    expect(retentionFromEnv({ TILESTYLE_KEEP_DAYS: '7', TILESTYLE_KEEP_MB: '500' })).toMatchObject({ maxAgeMs: 7 * DAY, maxBytes: 500 * 2 ** 20 });
  });

  it.each([
    ['TILESTYLE_KEEP_DAYS', 'a week'],
    ['TILESTYLE_KEEP_DAYS', '-1'],
    ['TILESTYLE_KEEP_MB', '1.5'],
    ['TILESTYLE_KEEP_MB', '5'],
  ])('names %s when it is %s', (variable, value) => {
    expect(() => retentionFromEnv({ [variable]: value })).toThrow(ConfigError);
    expect(() => retentionFromEnv({ [variable]: value })).toThrow(new RegExp(`^${variable}: `));
  });
});
