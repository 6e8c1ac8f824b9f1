/**
 * tiles=auto against the labelled styles of test/fixtures/styles: it agrees with the labels on at
 * least 90 % of them, every class is represented, and the count follows the result size.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { autoTilesAgreement, formatAgreement, readManifest, STYLE_CLASSES, STYLES_DIR } from '../bench/auto-tiles-table.js';
import { chooseTiles, COPY_PX, tilesForSize } from '../src/engine/auto-tiles.js';

const style = (file: string) => readFile(path.join(STYLES_DIR, file));

test('the labelled set: at least 40 small images, every class, each with its source and licence', async () => {
  const manifest = await readManifest();
  expect(manifest.length).toBeGreaterThanOrEqual(40);
  for (const c of STYLE_CLASSES) expect(manifest.filter((s) => s.class === c).length).toBeGreaterThanOrEqual(3);
  for (const s of manifest) {
    expect(s.source).toMatch(/^(Debian|npm) /);
    expect(s.licence.length).toBeGreaterThan(3);
    const meta = await sharp(await style(s.file)).metadata();
    expect(Math.max(meta.width!, meta.height!)).toBeLessThanOrEqual(256);
  }
});

test('agrees with the labels on at least 90 % of the styles', async () => {
  const { rows, agreement } = await autoTilesAgreement(512);
  // On failure the table says which images were missed.
  if (agreement < 0.9) console.log(formatAgreement(rows, agreement));
  expect(agreement).toBeGreaterThanOrEqual(0.9);
});

test('a portrait and an animal in their scenes are tiled, a painting and a landscape are not', async () => {
  for (const file of ['portrait-astronaut.jpg', 'animal-cat.jpg', 'animal-lemurs.jpg']) {
    const choice = await chooseTiles(await style(file), 512);
    expect(choice).toEqual({ tiles: 6, reason: 'the style is a photo of a subject; each copy ≈ 85 px' });
  }
  for (const file of ['painting-starry-night.jpg', 'landscape-canyon.jpg', 'texture-brick.jpg']) {
    expect((await chooseTiles(await style(file), 512)).tiles).toBe(1);
  }
  expect((await chooseTiles(await style('icon-pizza.png'), 512)).reason).toMatch(/single object on a plain background/);
});

test('the count follows the result size so that one copy stays about the same size', async () => {
  expect(tilesForSize(512)).toBe(6);
  expect(tilesForSize(256)).toBe(3);
  expect(tilesForSize(1024)).toBe(12);
  expect(tilesForSize(64)).toBe(2);
  for (const size of [256, 512, 1024]) expect(size / tilesForSize(size)).toBeCloseTo(COPY_PX, -1);
  const disc = await sharp(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="200" height="200"><rect width="200" height="200" fill="#fff"/><circle cx="100" cy="100" r="70" fill="#c22"/></svg>'))
    .png()
    .toBuffer();
  const small = await chooseTiles(disc, 256);
  const large = await chooseTiles(disc, 1024);
  expect(small.tiles).toBeGreaterThanOrEqual(2);
  expect(large.tiles).toBeGreaterThan(small.tiles);
  const noise = Buffer.from(Array.from({ length: 96 * 96 * 3 }, (_, i) => (i * 7919) % 251));
  expect((await chooseTiles(await sharp(noise, { raw: { width: 96, height: 96, channels: 3 } }).png().toBuffer(), 512)).tiles).toBe(1);
});
