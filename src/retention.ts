/**
 * What the data directory keeps, and for how long. Inputs, results and the web page's images grow with
 * every job; this removes files older than the age limit, then the oldest until the total is under the
 * byte limit. Files younger than a grace period are never removed for size alone, so a job that is
 * waiting or running keeps its images. The job store (jobs.sqlite) and the palette cache (bounded by
 * its own limits) are left alone; jobs whose images are gone say so when re-run. The results of a job
 * whose final replies are not out yet (still being tried, or undelivered and kept for the next start)
 * are never removed: they are what the user is still owed.
 */
import { readdir, rm, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, readInt, type Env } from './config.js';

export interface RetentionPolicy {
  /** Files older than this are removed. 0 keeps files whatever their age. */
  maxAgeMs: number;
  /** The images together are kept under this many bytes. 0 sets no limit. */
  maxBytes: number;
  /** Never removed for size alone while younger than this. */
  graceMs: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_RETENTION: RetentionPolicy = { maxAgeMs: 30 * DAY_MS, maxBytes: 2048 * 2 ** 20, graceMs: 60 * 60 * 1000 };

/** Where the images live under the data directory (relative), and the conversations pruned by age alone. */
const IMAGE_DIRS = ['inputs', 'results', path.join('web', 'files')];
const AGE_ONLY_DIRS = [path.join('web', 'conversations')];

/** TILESTYLE_KEEP_DAYS (default 30) and TILESTYLE_KEEP_MB (default 2048); 0 turns a limit off. */
export function retentionFromEnv(env: Env): RetentionPolicy {
  const days = readInt(env, 'TILESTYLE_KEEP_DAYS', 30, 0, 36_500);
  const megabytes = readInt(env, 'TILESTYLE_KEEP_MB', 2048, 0, 100_000_000);
  if (megabytes > 0 && megabytes < 10) {
    throw new ConfigError('TILESTYLE_KEEP_MB', `must be 0 (no limit) or at least 10, so a job's own images fit (got ${megabytes}).`);
  }
  return { ...DEFAULT_RETENTION, maxAgeMs: days * DAY_MS, maxBytes: megabytes * 2 ** 20 };
}

interface Entry {
  file: string;
  size: number;
  mtimeMs: number;
}

async function filesUnder(dir: string): Promise<Entry[]> {
  let names: string[];
  try {
    names = await readdir(dir, { recursive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const entries: Entry[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    const info = await stat(file).catch(() => null); // removed meanwhile
    if (info?.isFile()) entries.push({ file, size: info.size, mtimeMs: info.mtimeMs });
  }
  return entries;
}

/** Folders left empty (a job's results folder) go too; the top folders stay. */
async function removeEmptyFolders(top: string): Promise<void> {
  const names = await readdir(top, { recursive: true }).catch(() => [] as string[]);
  const folders = names.map((n) => path.join(top, n)).sort((a, b) => b.length - a.length);
  for (const folder of folders) await rmdir(folder).catch(() => undefined); // fails unless an empty folder
}

export interface PruneReport {
  removedFiles: number;
  removedBytes: number;
  keptBytes: number;
}

/** `owed`: jobs whose results must stay (their final replies are not delivered yet). */
export async function pruneDataDir(dataDir: string, policy: RetentionPolicy, now = Date.now(), owed: ReadonlySet<string> = new Set()): Promise<PruneReport> {
  const report: PruneReport = { removedFiles: 0, removedBytes: 0, keptBytes: 0 };
  const remove = async (entry: Entry) => {
    await rm(entry.file, { force: true });
    report.removedFiles += 1;
    report.removedBytes += entry.size;
  };
  const tooOld = (entry: Entry) => policy.maxAgeMs > 0 && now - entry.mtimeMs > policy.maxAgeMs;

  for (const dir of AGE_ONLY_DIRS) {
    for (const entry of await filesUnder(path.join(dataDir, dir))) if (tooOld(entry)) await remove(entry);
  }
  const images: Entry[] = [];
  for (const dir of IMAGE_DIRS) images.push(...(await filesUnder(path.join(dataDir, dir))));
  const resultsDir = path.join(dataDir, 'results');
  const isOwed = (entry: Entry) => {
    const [job, ...rest] = path.relative(resultsDir, entry.file).split(path.sep);
    return rest.length > 0 && job !== '..' && owed.has(job!);
  };
  const kept: Entry[] = [];
  for (const entry of images) {
    if (isOwed(entry)) continue; // kept whatever its age, and not counted against the byte limit
    if (tooOld(entry)) await remove(entry);
    else kept.push(entry);
  }
  let total = kept.reduce((sum, e) => sum + e.size, 0);
  if (policy.maxBytes > 0) {
    kept.sort((a, b) => a.mtimeMs - b.mtimeMs);
    for (const entry of kept) {
      if (total <= policy.maxBytes || now - entry.mtimeMs < policy.graceMs) break;
      await remove(entry);
      total -= entry.size;
    }
  }
  for (const dir of IMAGE_DIRS) await removeEmptyFolders(path.join(dataDir, dir));
  report.keptBytes = total;
  return report;
}

export interface RetentionHandle {
  stop(): Promise<void>;
}

/**
 * Prunes now and then every `intervalMs` (default hourly); a failed round is logged and retried later.
 * `owed` names, at each round, the jobs whose results must stay (CommandService.owedResults).
 */
export function startRetention(
  dataDir: string,
  policy: RetentionPolicy,
  log: Pick<Console, 'info' | 'error'> = console,
  intervalMs = 60 * 60 * 1000,
  owed: () => Iterable<string> = () => [],
): RetentionHandle {
  let running: Promise<void> = Promise.resolve();
  const round = () => {
    running = Promise.resolve()
      .then(() => pruneDataDir(dataDir, policy, Date.now(), new Set(owed())))
      .then((r) => {
        if (r.removedFiles > 0)
          log.info(
            `Retention: removed ${r.removedFiles} old files (${(r.removedBytes / 2 ** 20).toFixed(1)} MB); ${(r.keptBytes / 2 ** 20).toFixed(1)} MB of images kept.`,
          );
      })
      .catch((err: unknown) => log.error('Retention: pruning the data directory failed:', err));
  };
  round();
  const timer = setInterval(round, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
