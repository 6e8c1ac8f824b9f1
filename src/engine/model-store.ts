/**
 * Where the VGG19 weights come from: a directory the operator names, or a cache filled on first use
 * from a pinned public address. The manifest (names, sizes, md5s) is committed in the repository, so
 * a download can be verified file by file; the cache's own manifest.json is written last, so a
 * half-filled cache is never mistaken for a complete one.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModelError } from './types.js';
import { checkWeightFile, readManifest, type Manifest, type ManifestEntry } from './weights.js';

/** neuralpixels/neuralpixels at a fixed commit (MIT); see models/README.md. */
export const PINNED_BASE_URL =
  'https://raw.githubusercontent.com/neuralpixels/neuralpixels/5b6a6f0e20892535d2a193b0c9e2080a2071e9ad/python/neuralpixels/pretrained/weights/vgg19/';

/** The committed copy of the manifest the downloads are checked against. */
export const PINNED_MANIFEST_FILE = fileURLToPath(new URL('../../models/manifest.json', import.meta.url));

/** The default cache: models/vgg19 in the repository (git-ignored). */
export const DEFAULT_CACHE_DIR = fileURLToPath(new URL('../../models/vgg19', import.meta.url));

const DOWNLOAD_TIMEOUT_MS = 120_000;

export interface ModelDirOptions {
  /** A directory holding the weights already; verified and returned as is. */
  dir?: string;
  /** Where to download the weights when `dir` is not given. */
  cacheDir: string;
  /** Overrides the pinned address (a mirror); files are fetched as `${baseUrl}/${filename}`. */
  baseUrl?: string;
  /** Per-file timeout in milliseconds. */
  timeoutMs?: number;
  /** Called as each file is fetched (for a progress line). */
  onDownload?: (file: string, index: number, count: number) => void;
}

async function readIfPresent(file: string): Promise<Buffer | null> {
  try {
    return await readFile(file);
  } catch {
    return null;
  }
}

/** Checks every file of a model directory against its manifest; throws ModelError naming the first bad one. */
export async function verifyModelDir(dir: string): Promise<Manifest> {
  const manifest = await readManifest(dir);
  const entries = Object.values(manifest.weights ?? {});
  if (entries.length === 0) throw new ModelError(`The VGG19 manifest in ${dir} lists no weight files.`);
  for (const entry of entries) {
    const file = path.join(dir, entry.filename);
    const bytes = await readIfPresent(file);
    if (!bytes) throw new ModelError(`VGG19 weight file ${file} is missing.`);
    const problem = checkWeightFile(entry, bytes);
    if (problem) throw new ModelError(`VGG19 weight file ${file} is corrupt: it ${problem}.`);
  }
  return manifest;
}

async function loadPinnedManifest(): Promise<{ manifest: Manifest; text: string }> {
  let text: string;
  try {
    text = await readFile(PINNED_MANIFEST_FILE, 'utf8');
  } catch {
    throw new ModelError(`The pinned VGG19 manifest ${PINNED_MANIFEST_FILE} is missing from the installation.`);
  }
  return { manifest: JSON.parse(text) as Manifest, text };
}

async function download(url: string, timeoutMs: number): Promise<Buffer> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const cause = err instanceof Error && err.name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : describe(err);
    throw new Error(cause);
  }
  if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`.trim());
  try {
    return Buffer.from(await res.arrayBuffer());
  } catch (err) {
    throw new Error(`the transfer broke off (${describe(err)})`);
  }
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof Error ? `${err.message}: ${cause.message}` : err.message;
}

/** Writes bytes to a temporary name beside `file`, then renames: readers never see a partial file. */
async function writeAtomically(file: string, bytes: Uint8Array | string): Promise<void> {
  const temp = `${file}.partial-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await writeFile(temp, bytes);
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

async function fetchEntry(entry: ManifestEntry, baseUrl: string, dir: string, timeoutMs: number): Promise<void> {
  const url = `${baseUrl.replace(/\/+$/, '')}/${entry.filename}`;
  let bytes: Buffer;
  try {
    bytes = await download(url, timeoutMs);
  } catch (err) {
    throw new ModelError(`Could not download VGG19 weight file ${entry.filename} from ${url}: ${describe(err)}.`);
  }
  const problem = checkWeightFile(entry, bytes);
  if (problem) {
    throw new ModelError(
      `The downloaded VGG19 weight file ${entry.filename} from ${url} is corrupt: it ${problem}. Nothing was kept; try again or use another mirror.`,
    );
  }
  await writeAtomically(path.join(dir, entry.filename), bytes);
}

/**
 * Returns a directory holding verified VGG19 weights: `dir` when given (checked file by file), else
 * `cacheDir`, downloading whatever is missing or damaged there. Throws ModelError.
 */
export async function ensureModelDir(opts: ModelDirOptions): Promise<string> {
  if (opts.dir) {
    await verifyModelDir(opts.dir);
    return opts.dir;
  }
  const dir = opts.cacheDir;
  const { manifest, text } = await loadPinnedManifest();
  const cachedManifest = await readIfPresent(path.join(dir, 'manifest.json'));
  if (cachedManifest?.toString('utf8') === text) {
    try {
      await verifyModelDir(dir);
      return dir;
    } catch {
      // Damaged since it was filled: repair below.
    }
  }
  try {
    await mkdir(dir, { recursive: true });
    // Until every file checks out, the cache must not look complete.
    await unlink(path.join(dir, 'manifest.json')).catch(() => undefined);
  } catch (err) {
    throw new ModelError(`Cannot use ${dir} as the VGG19 model cache: ${describe(err)}.`);
  }
  const entries = Object.values(manifest.weights);
  const baseUrl = opts.baseUrl ?? PINNED_BASE_URL;
  for (const [i, entry] of entries.entries()) {
    const existing = await readIfPresent(path.join(dir, entry.filename));
    if (existing && checkWeightFile(entry, existing) === null) continue;
    opts.onDownload?.(entry.filename, i, entries.length);
    await fetchEntry(entry, baseUrl, dir, opts.timeoutMs ?? DOWNLOAD_TIMEOUT_MS);
  }
  await writeAtomically(path.join(dir, 'manifest.json'), text);
  return dir;
}
