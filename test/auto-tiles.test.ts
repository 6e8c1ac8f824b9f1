/**
 * tiles=auto against the labelled styles of test/fixtures/styles: it agrees with the labels on at
 * least 90 % of them, every class is represented, and the count follows the result size.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { autoTilesAgreement, formatAgreement, readManifest, STYLE_CLASSES, STYLES_DIR } from '../bench/auto-tiles-table.js';
import { AUTO_TILES_MIN, chooseTiles, COPY_PX, MIN_COPY_PX, OBJECT_MIN_SHORT_PX, objectTilesForSize, tilesForSize } from '../src/engine/auto-tiles.js';
import type { SubjectScale } from '../src/engine/subject-scale.js';

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
  const disc = await sharp(
    Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="200"><rect width="200" height="200" fill="#fff"/><circle cx="100" cy="100" r="70" fill="#c22"/></svg>',
    ),
  )
    .png()
    .toBuffer();
  const small = await chooseTiles(disc, 256);
  const large = await chooseTiles(disc, 1024);
  expect(small.tiles).toBeGreaterThanOrEqual(2);
  expect(large.tiles).toBeGreaterThan(small.tiles);
  const noise = Buffer.from(Array.from({ length: 96 * 96 * 3 }, (_, i) => (i * 7919) % 251));
  expect(
    (
      await chooseTiles(
        await sharp(noise, { raw: { width: 96, height: 96, channels: 3 } })
          .png()
          .toBuffer(),
        512,
      )
    ).tiles,
  ).toBe(1);
});

describe("an object's copy is measured on its short side", () => {
  /** An object on a transparent canvas, as a cut-out arrives. */
  const cutOut = (width: number, height: number, shapes: string) =>
    sharp(Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${shapes}</svg>`))
      .png()
      .toBuffer();
  // A lion lying down (4:1) and a standing figure (1:4), each with a few parts of its own colour.
  const lion = () =>
    cutOut(
      440,
      110,
      '<ellipse cx="250" cy="65" rx="170" ry="32" fill="#c8902f"/><circle cx="70" cy="50" r="45" fill="#7a4a1a"/><circle cx="70" cy="52" r="28" fill="#d9a441"/><rect x="15" y="88" width="130" height="12" fill="#b07a28"/>',
    );
  const figure = () =>
    cutOut(
      110,
      440,
      '<circle cx="55" cy="50" r="36" fill="#e0b090"/><rect x="20" y="90" width="70" height="190" rx="12" fill="#2a5caa"/><rect x="24" y="280" width="24" height="150" fill="#333"/><rect x="62" y="280" width="24" height="150" fill="#333"/>',
    );
  const smallSubjects = { share: 0.08, regions: 12, faces: 0, mask: new Uint8Array(0), width: 0, height: 0 } satisfies SubjectScale;

  test("a square object keeps the square rule; small subjects never shrink its copy below relu4_1's field", () => {
    expect(objectTilesForSize(512, COPY_PX, 1)).toBe(tilesForSize(512, COPY_PX));
    // Subjects of 41 px would ask for copies of MIN_COPY_PX (9 tiles, 57 px); an object gets 7, 73 px.
    expect(tilesForSize(512, MIN_COPY_PX)).toBe(9);
    expect(objectTilesForSize(512, MIN_COPY_PX, 1)).toBe(7);
  });

  test('a wide or tall object gets fewer, longer copies, each at least OBJECT_MIN_SHORT_PX on its short side where the size allows', () => {
    expect(objectTilesForSize(512, COPY_PX, 2)).toBe(3);
    expect(objectTilesForSize(1024, COPY_PX, 4)).toBe(3);
    // Where even two copies across are too short, two it is: tiling is what makes an object a stroke.
    expect(objectTilesForSize(512, COPY_PX, 10)).toBe(AUTO_TILES_MIN);
    for (const size of [256, 384, 512, 768, 1024])
      for (const copy of [MIN_COPY_PX, 70, COPY_PX])
        for (const aspect of [1, 1.3, 2, 3, 4, 6, 10]) {
          const tiles = objectTilesForSize(size, copy, aspect);
          expect(tiles).toBeLessThanOrEqual(tilesForSize(size, copy));
          if (tiles > AUTO_TILES_MIN) expect(size / tiles / aspect).toBeGreaterThanOrEqual(OBJECT_MIN_SHORT_PX);
        }
  });

  test('chooseTiles measures the object and says why its copies are that long', async () => {
    const wide = await chooseTiles(await lion(), 512);
    expect(wide.tiles).toBe(2);
    expect(wide.reason).toMatch(
      /^the style is a single object on a plain background, 4 times as wide as tall; each copy ≈ 256×6\d px, large enough to show the whole object$/,
    );
    const tall = await chooseTiles(await figure(), 1024);
    expect(tall.tiles).toBe(3);
    expect(tall.reason).toMatch(/4 times as tall as wide; each copy ≈ \d\d×341 px, large enough to show the whole object$/);
    // At 128 px nothing of it can be 68 px high: the fewest tiles, and the reply says so.
    expect(await chooseTiles(await lion(), 128)).toEqual({
      tiles: 2,
      reason: 'the style is a single object on a plain background, 4 times as wide as tall; each copy ≈ 64×16 px, the largest that 2 copies across allow',
    });
    // The photo's small subjects do not make the lion's copies any thinner.
    expect(await chooseTiles(await lion(), 512, smallSubjects)).toEqual(wide);
    const disc = await cutOut(200, 200, '<circle cx="100" cy="100" r="70" fill="#c22"/>');
    expect(await chooseTiles(disc, 512)).toEqual({ tiles: 6, reason: 'the style is a single object on a plain background; each copy ≈ 85 px' });
    expect(await chooseTiles(disc, 512, smallSubjects)).toEqual({
      tiles: 7,
      reason: 'the style is a single object on a plain background; each copy ≈ 73 px, large enough to show the whole object',
    });
  });
});
