/** The palette cache on disk: same style bytes and options → same key; bounded, least recently used out first. */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PaletteCache } from '../src/jobs/palette-cache.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tilestyle-cache-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const pause = () => new Promise((resolve) => setTimeout(resolve, 20));

it('keys on the style and every option, in any order', () => {
  const a = PaletteCache.key('s1', { tiles: 2, size: 64 });
  expect(PaletteCache.key('s1', { size: 64, tiles: 2 })).toBe(a);
  expect(PaletteCache.key('s1', { size: 64, tiles: 4 })).not.toBe(a);
  expect(PaletteCache.key('s2', { size: 64, tiles: 2 })).not.toBe(a);
});

it('drops the least recently used entries beyond maxEntries', async () => {
  const cache = new PaletteCache(dir, { maxEntries: 2, maxBytes: 1e9 });
  await cache.put('a', Buffer.from('A'));
  await pause();
  await cache.put('b', Buffer.from('B'));
  await pause();
  expect(await cache.get('a')).toEqual(Buffer.from('A')); // refreshes a
  await pause();
  await cache.put('c', Buffer.from('C'));
  expect(await cache.get('b')).toBeNull();
  expect(await cache.get('a')).toEqual(Buffer.from('A'));
  expect(await cache.get('c')).toEqual(Buffer.from('C'));
  expect((await readdir(dir)).sort()).toEqual(['a.png', 'c.png']);
});

it('drops the oldest entries beyond maxBytes, but keeps the newest even if it alone is larger', async () => {
  const cache = new PaletteCache(dir, { maxEntries: 100, maxBytes: 10 });
  await cache.put('a', Buffer.alloc(6));
  await pause();
  await cache.put('b', Buffer.alloc(6));
  expect((await readdir(dir)).sort()).toEqual(['b.png']);
  await pause();
  await cache.put('c', Buffer.alloc(20));
  expect((await readdir(dir)).sort()).toEqual(['c.png']);
});
