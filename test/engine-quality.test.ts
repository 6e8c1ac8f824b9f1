/**
 * @jest-environment ./test/onnx-environment.cjs
 */
/**
 * Quality at the defaults, measured as `npm run quality` measures it: three pairs at a small size
 * must keep the photo and take the style; the strength moves the balance the way it says (tiles=auto
 * has its own test, auto-tiles.test.ts).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { measureResult, QUALITY_THRESHOLDS } from '../bench/quality-table.js';
import { Engine } from '../src/engine/index.js';
import { objectLegibility, tileSideOf } from '../src/engine/object-legibility.js';
import { lineupOf, placeInLineup, type LineupPhoto } from '../src/engine/photo-lineup.js';
import { structureKept } from '../src/engine/quality.js';
import { TEST_THREADS } from './helpers/threads.js';

const ROOT = path.resolve(new URL('.', import.meta.url).pathname, '..');
const MODEL_DIR = process.env.TILESTYLE_MODEL_DIR ?? path.resolve(ROOT, '../shared/models/vgg19');
const FIXTURES = process.env.TILESTYLE_FIXTURES ?? path.resolve(ROOT, '../shared/fixtures');
const fixture = (name: string) => readFile(path.join(FIXTURES, name));
const gallery = (name: string) => readFile(path.join(ROOT, 'docs/gallery', `${name}-result.png`));

let engine: Engine;
beforeAll(async () => {
  engine = await Engine.create({ modelDir: MODEL_DIR, threads: TEST_THREADS });
});
afterAll(() => engine?.dispose());

describe('the defaults keep the picture and take the style', () => {
  // Under the default size, on two cores, with the default schedule: 96 and 192 px, then sharpening at 384.
  const size = 384;
  // A painting keeps its colours; a tiled object takes the photo's (colour-match.ts).
  test.each([
    ['dog.jpg', 'scream.jpg', 'none'],
    ['eagle.jpg', 'guitar.png', 'image'],
    ['person.jpg', 'face.png', 'image'],
  ])('%s in the style of %s (colour match %s)', async (c, s, colorMatch) => {
    const [content, style] = await Promise.all([fixture(c), fixture(s)]);
    const result = await engine.stylize(content, [{ image: style }], { size, seed: 7 }, { measure: true });
    const row = await measureResult(`${c} × ${s}`, content, style, result);
    const t = QUALITY_THRESHOLDS;
    expect(row.structure).toBeGreaterThanOrEqual(t.structure.min);
    expect(row.structure).toBeLessThanOrEqual(t.structure.max);
    expect(row.styleMatch).toBeLessThanOrEqual(t.styleMatchMax);
    expect(result.options.colorMatch).toBe(colorMatch);
    // The style's colours taken, or, matched, the photo's kept: nearer the photo's than the style's.
    if (colorMatch === 'none') expect(row.colourShift).toBeGreaterThanOrEqual(t.colourShiftMin);
    else expect(row.colourShift).toBeLessThan(0.5);
    expect(row.failures).toEqual([]);
    expect(result.stats.levelSteps.length).toBe(3);
  });
});

test('a higher strength keeps less of the photo', async () => {
  const [content, style] = await Promise.all([fixture('eagle.jpg'), fixture('face.png')]);
  // 40 steps: the strong run has given up most of the photo by then (structure about 0.4 against 0.8).
  const run = (strength: number) => engine.stylize(content, [{ image: style }], { size: 96, strength, seed: 3, iterations: 40 });
  const gentle = await run(1);
  const strong = await run(10);
  expect(await structureKept(content, gentle.image)).toBeGreaterThan((await structureKept(content, strong.image)) + 0.1);
});

/**
 * What the layout term keeps, and nothing else: copies of `style` on white (tiles × tiles, as
 * tiling.ts repeats it), each 1/32-of-the-long-side block shifted so its mean luminance is the photo's.
 * Grey, so no colour of the photo survives either.
 */
async function layoutOnly(photo: Buffer, style: Buffer, width: number, height: number, tiles: number): Promise<Buffer> {
  const luma = await sharp(photo).resize(width, height, { fit: 'fill' }).greyscale().raw().toBuffer();
  const side = Math.round(Math.max(width, height) / tiles);
  const tile = await sharp(style).flatten({ background: '#ffffff' }).resize(side, side, { fit: 'contain', background: '#ffffff' }).greyscale().raw().toBuffer();
  const block = Math.round(Math.max(width, height) / 32);
  const out = Buffer.alloc(width * height);
  for (let by = 0; by < height; by += block)
    for (let bx = 0; bx < width; bx += block) {
      const px: number[] = [];
      for (let y = by; y < Math.min(height, by + block); y++) for (let x = bx; x < Math.min(width, bx + block); x++) px.push(y * width + x);
      const copy = (i: number) => tile[(Math.floor(i / width) % side) * side + ((i % width) % side)]!;
      const shift = px.reduce((a, i) => a + luma[i]! - copy(i), 0) / px.length;
      for (const i of px) out[i] = Math.max(0, Math.min(255, Math.round(copy(i) + shift)));
    }
  return sharp(out, { raw: { width, height, channels: 1 } })
    .png()
    .toBuffer();
}

describe('measures the optimizer does not target', () => {
  let photos: LineupPhoto[];
  beforeAll(async () => {
    // The project's photos: the fixtures, the quality additions, two group photos of the face detector's package.
    const files: [string, string][] = [
      ['dog', path.join(FIXTURES, 'dog.jpg')],
      ['eagle', path.join(FIXTURES, 'eagle.jpg')],
      ['person', path.join(FIXTURES, 'person.jpg')],
      ['horses', path.join(ROOT, 'test/fixtures/quality/content-horses.jpg')],
      ['kites', path.join(ROOT, 'test/fixtures/quality/content-kites.jpg')],
      ['group1', path.join(ROOT, 'node_modules/@vladmandic/face-api/demo/sample1.jpg')],
      ['group5', path.join(ROOT, 'node_modules/@vladmandic/face-api/demo/sample5.jpg')],
    ];
    photos = await lineupOf(await Promise.all(files.map(async ([name, f]) => ({ name, image: await readFile(f) }))));
  });

  test.each([
    ['dog-face', 'dog'],
    ['eagle-guitar', 'eagle'],
    ['person-controller', 'person'],
    ['dog-portrait', 'dog'],
  ])('the lineup picks the photo of the gallery result %s', async (result, own) => {
    const place = await placeInLineup(await gallery(result), own, photos);
    expect(place).toMatchObject({ rank: 1, of: 7 });
    expect(place.margin).toBeGreaterThan(0);
  });

  test('a grey photo is judged on its edges: the person in black and white still picks its result', async () => {
    // No colour layout to keep: weighed like the colourful photos' it lost this lineup (rank 5 of 7).
    const grey = await sharp(await fixture('person.jpg'))
      .greyscale()
      .jpeg()
      .toBuffer();
    const lineup = [...photos.filter((p) => p.name !== 'person'), ...(await lineupOf([{ name: 'grey person', image: grey }]))];
    const place = await placeInLineup(await gallery('person-controller'), 'grey person', lineup);
    expect(place).toMatchObject({ rank: 1, of: 7 });
  });

  test('copies that keep only the block-mean luminance pass the structure measure, not the lineup', async () => {
    const [dog, face, result] = await Promise.all([fixture('dog.jpg'), fixture('face.png'), gallery('dog-face')]);
    const gamed = await layoutOnly(dog, face, 512, 384, 6);
    // The structure number cannot tell them apart: the copies keep it as well as the real result does.
    expect(await structureKept(dog, gamed)).toBeGreaterThanOrEqual(await structureKept(dog, result));
    // The lineup's description (edge orientations and colour layout) finds far less of the dog in them.
    const real = await placeInLineup(result, 'dog', photos);
    const copies = await placeInLineup(gamed, 'dog', photos);
    expect(copies.own).toBeLessThan(real.own - 0.2);
  });

  test('copies of the object are legible in a mosaic of it and not in the plain photo', async () => {
    const [dog, face] = await Promise.all([fixture('dog.jpg'), fixture('face.png')]);
    const gamed = await layoutOnly(dog, face, 512, 384, 6);
    const legibility = await objectLegibility(gamed, dog, face, tileSideOf(512, 1, 6));
    expect(legibility.share).toBeGreaterThanOrEqual(0.5);
    expect(legibility.chance).toBeLessThanOrEqual(0.1);
  });

  test('copies in colour at tiles 4 are found at their size; the eagle photo holds none', async () => {
    // Half of a 512-px result of guitars, tiles 4: the guitar's copies, in colour, on white.
    const guitar = await fixture('guitar.png');
    const side = tileSideOf(512, 1, 4);
    const copy = await sharp(guitar)
      .resize(Math.round(side), Math.round(side), { fit: 'contain', background: '#ffffff' })
      .flatten({ background: '#ffffff' })
      .png()
      .toBuffer();
    const tiles = [0, 1, 2, 3].flatMap((y) => [0, 1, 2, 3].map((x) => ({ input: copy, left: Math.round(x * side), top: Math.round(y * side) })));
    const mosaic = await sharp({ create: { width: 512, height: 512, channels: 3, background: '#ffffff' } })
      .composite(tiles)
      .png()
      .toBuffer();
    const legibility = await objectLegibility(mosaic, await fixture('eagle.jpg'), guitar, side);
    expect(legibility.share).toBeGreaterThanOrEqual(0.7);
    expect(legibility.chance).toBeLessThanOrEqual(0.1);
  });
});
