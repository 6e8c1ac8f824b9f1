/**
 * Image bytes on disk beside the job store: inputs by content hash (a style sent twice is kept once,
 * and a re-run finds its inputs after a restart), results by job id.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Writes via a temporary name, so a crash never leaves half a file under the real one. */
export async function writeAtomic(file: string, data: Buffer | string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, file);
}

export type ResultName = 'palette' | 'result';

export class DataFiles {
  readonly inputsDir: string;
  readonly resultsDir: string;

  constructor(dataDir: string) {
    this.inputsDir = path.join(dataDir, 'inputs');
    this.resultsDir = path.join(dataDir, 'results');
  }

  inputPath(hash: string): string {
    if (!/^[0-9a-f]{64}$/.test(hash)) throw new Error(`not a sha256: ${hash}`);
    return path.join(this.inputsDir, hash);
  }

  /** Keeps an input image; returns its hash. */
  async saveInput(bytes: Buffer): Promise<string> {
    const hash = sha256(bytes);
    const file = this.inputPath(hash);
    if (!existsSync(file)) await writeAtomic(file, bytes);
    // Sent again: the image is in use now, so data retention counts its age from today.
    else await utimes(file, new Date(), new Date()).catch(() => undefined);
    return hash;
  }

  hasInput(hash: string): boolean {
    return existsSync(this.inputPath(hash));
  }

  loadInput(hash: string): Promise<Buffer> {
    return readFile(this.inputPath(hash));
  }

  resultPath(jobId: string, name: ResultName): string {
    if (!/^[A-Za-z0-9_-]+$/.test(jobId)) throw new Error(`bad job id: ${jobId}`);
    return path.join(this.resultsDir, jobId, `${name}.png`);
  }

  saveResult(jobId: string, name: ResultName, png: Buffer): Promise<void> {
    return writeAtomic(this.resultPath(jobId, name), png);
  }

  loadResult(jobId: string, name: ResultName): Promise<Buffer> {
    return readFile(this.resultPath(jobId, name));
  }

  /** A job taken back: its results folder goes (nothing to do when it is gone already). */
  async removeResults(jobId: string): Promise<void> {
    await rm(path.dirname(this.resultPath(jobId, 'result')), { recursive: true, force: true });
  }

  /** An input no job uses any more goes (see JobStore.inputUsedElsewhere). */
  async removeInput(hash: string): Promise<void> {
    await rm(this.inputPath(hash), { force: true });
  }

  /** A job's last picture: its result, else (a palette job) its palette; absent when none is kept. */
  finalImage(jobId: string): ResultName | undefined {
    const kept = this.resultsOf(jobId);
    return kept.result ? 'result' : kept.palette ? 'palette' : undefined;
  }

  /** The result files a job has, by name (absent when not produced). */
  resultsOf(jobId: string): Partial<Record<ResultName, string>> {
    const out: Partial<Record<ResultName, string>> = {};
    for (const name of ['palette', 'result'] as const) {
      const file = this.resultPath(jobId, name);
      if (existsSync(file)) out[name] = file;
    }
    return out;
  }
}
