import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ensureModelDir, PINNED_MANIFEST_FILE } from '../src/engine/model-store.js';
import { ModelError } from '../src/engine/types.js';
import { readManifest } from '../src/engine/weights.js';

const ROOT = path.resolve(new URL('.', import.meta.url).pathname, '..');
const MODEL_DIR = process.env.TILESTYLE_MODEL_DIR ?? path.resolve(ROOT, '../shared/models/vgg19');

interface FakeMirror {
  baseUrl: string;
  requests: string[];
  close(): Promise<void>;
}

/** A static file server over MODEL_DIR on 127.0.0.1; `tamper` may change or refuse single files. */
async function startMirror(tamper?: (name: string, bytes: Buffer) => Buffer | number): Promise<FakeMirror> {
  const requests: string[] = [];
  const server: Server = createServer(async (req, res) => {
    const name = decodeURIComponent((req.url ?? '/').replace(/^\/weights\//, ''));
    requests.push(name);
    let bytes: Buffer;
    try {
      if (name.includes('/') || name.includes('..')) throw new Error('bad path');
      bytes = await readFile(path.join(MODEL_DIR, name));
    } catch {
      res.writeHead(404).end('not found');
      return;
    }
    const served = tamper ? tamper(name, bytes) : bytes;
    if (typeof served === 'number') {
      res.writeHead(served).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': served.length }).end(served);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/weights/`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'tilestyle-models-'));
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function modelError(p: Promise<unknown>): Promise<ModelError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ModelError);
  return err as ModelError;
}

describe('ensureModelDir', () => {
  it('pins the same manifest as the shared weights', async () => {
    expect(await readFile(PINNED_MANIFEST_FILE, 'utf8')).toBe(await readFile(path.join(MODEL_DIR, 'manifest.json'), 'utf8'));
  });

  it('downloads every file, verifies it, and writes the manifest; a second call fetches nothing', async () => {
    const mirror = await startMirror();
    try {
      const cache = path.join(tmp, 'vgg19');
      const seen: string[] = [];
      const dir = await ensureModelDir({ cacheDir: cache, baseUrl: mirror.baseUrl, onDownload: (f) => seen.push(f) });
      expect(dir).toBe(cache);
      const manifest = await readManifest(MODEL_DIR);
      const files = Object.values(manifest.weights).map((e) => e.filename);
      expect(files).toHaveLength(32);
      expect(mirror.requests.sort()).toEqual([...files].sort());
      expect(seen).toHaveLength(32);
      for (const f of files) expect((await readFile(path.join(cache, f))).equals(await readFile(path.join(MODEL_DIR, f)))).toBe(true);
      expect((await readdir(cache)).sort()).toEqual([...files, 'manifest.json'].sort());

      mirror.requests.length = 0;
      await ensureModelDir({ cacheDir: cache, baseUrl: mirror.baseUrl });
      expect(mirror.requests).toEqual([]);

      // A file damaged later is fetched again, and only that file.
      const victim = path.join(cache, 'conv2_1_bias');
      const bytes = await readFile(victim);
      bytes[0] ^= 0xff;
      await writeFile(victim, bytes);
      await ensureModelDir({ cacheDir: cache, baseUrl: mirror.baseUrl });
      expect(mirror.requests).toEqual(['conv2_1_bias']);
      expect((await readFile(victim)).equals(await readFile(path.join(MODEL_DIR, 'conv2_1_bias')))).toBe(true);
    } finally {
      await mirror.close();
    }
  });

  it('refuses a corrupted download, keeps no partial file and writes no manifest', async () => {
    const mirror = await startMirror((name, bytes) => {
      if (name !== 'conv3_1_kernel') return bytes;
      const bad = Buffer.from(bytes);
      bad[1234] ^= 0x01;
      return bad;
    });
    try {
      const cache = path.join(tmp, 'vgg19');
      const err = await modelError(ensureModelDir({ cacheDir: cache, baseUrl: mirror.baseUrl }));
      expect(err.message).toMatch(/conv3_1_kernel/);
      expect(err.message).toMatch(/corrupt: it md5 [0-9a-f]{32} does not match/);
      const left = await readdir(cache);
      expect(left).not.toContain('conv3_1_kernel');
      expect(left).not.toContain('manifest.json');
      expect(left.filter((f) => f.includes('partial'))).toEqual([]);
      // An engine pointed at this half-filled cache is told so rather than trusting it.
      await expect(ensureModelDir({ dir: cache, cacheDir: cache })).rejects.toThrow(/No VGG19 manifest/);
    } finally {
      await mirror.close();
    }
  });

  it('reports a missing file on the server clearly', async () => {
    const mirror = await startMirror((name, bytes) => (name === 'conv1_2_kernel' ? 404 : bytes));
    try {
      const cache = path.join(tmp, 'vgg19');
      const err = await modelError(ensureModelDir({ cacheDir: cache, baseUrl: mirror.baseUrl }));
      expect(err.message).toMatch(/Could not download VGG19 weight file conv1_2_kernel from http:\/\/127\.0\.0\.1:\d+\/weights\/conv1_2_kernel: HTTP 404/);
      expect(await readdir(cache)).not.toContain('manifest.json');
    } finally {
      await mirror.close();
    }
  });

  it('reports an unreachable server', async () => {
    const mirror = await startMirror();
    const baseUrl = mirror.baseUrl;
    await mirror.close(); // nothing listens there any more
    const err = await modelError(ensureModelDir({ cacheDir: path.join(tmp, 'vgg19'), baseUrl }));
    expect(err.message).toMatch(/Could not download VGG19 weight file conv1_1_kernel/);
  });

  it('verifies an explicitly given directory and names a corrupted file', async () => {
    const copy = path.join(tmp, 'copy');
    await cp(MODEL_DIR, copy, { recursive: true });
    expect(await ensureModelDir({ dir: copy, cacheDir: path.join(tmp, 'unused') })).toBe(copy);

    const victim = path.join(copy, 'conv4_2_kernel');
    const bytes = await readFile(victim);
    bytes[bytes.length - 1] ^= 0x80;
    await writeFile(victim, bytes);
    const err = await modelError(ensureModelDir({ dir: copy, cacheDir: path.join(tmp, 'unused') }));
    expect(err.message).toMatch(/conv4_2_kernel is corrupt: it md5/);
  });

  it('names a given directory without weights', async () => {
    const err = await modelError(ensureModelDir({ dir: tmp, cacheDir: path.join(tmp, 'unused') }));
    expect(err.message).toMatch(/No VGG19 manifest at .*manifest\.json/);
  });
});
