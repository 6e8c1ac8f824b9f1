/**
 * @jest-environment ./test/onnx-environment.cjs
 */
/**
 * Styles and photos of any shape give a palette and a result: a wide object cut out on transparency
 * (a lion lying down), a tall one, a thin line-like one and a tiny icon, at every kind of tiles value,
 * and photos far from square as content. The real engine, at 96 px and a few steps.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { Engine, type TransferResult } from '../src/engine/index.js';
import { MIN_SIDE } from '../src/engine/limits.js';
import { PALETTE_MAX_ASPECT, planLevels } from '../src/engine/schedule.js';
import { styleMosaic } from '../src/engine/tiling.js';
import { TEST_THREADS } from './helpers/threads.js';

const ROOT = path.resolve(new URL('.', import.meta.url).pathname, '..');
const MODEL_DIR = process.env.TILESTYLE_MODEL_DIR ?? path.resolve(ROOT, '../shared/models/vgg19');
const FIXTURES = process.env.TILESTYLE_FIXTURES ?? path.resolve(ROOT, '../shared/fixtures');

const SIZE = 96;
/** Tiles at both ends of the range, one between, and the automatic choice. */
const TILES = [1, 9, 16, 'auto'] as const;

/** An object drawn on a transparent canvas of width×height, as a cut-out arrives. */
const cutOut = (width: number, height: number, shapes: string) =>
  sharp(Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${shapes}</svg>`))
    .png()
    .toBuffer();

const SHAPES = {
  // A lion lying down: body, head and mane, legs stretched forward; 4:1.
  wide: () =>
    cutOut(
      400,
      100,
      '<ellipse cx="230" cy="60" rx="150" ry="30" fill="#c8902f"/><circle cx="70" cy="45" r="38" fill="#7a4a1a"/><circle cx="70" cy="48" r="24" fill="#d9a441"/><rect x="20" y="80" width="120" height="12" fill="#b07a28"/><rect x="300" y="82" width="90" height="10" fill="#b07a28"/>',
    ),
  // A standing figure: 1:4.
  tall: () =>
    cutOut(
      100,
      400,
      '<circle cx="50" cy="45" r="32" fill="#e0b090"/><rect x="20" y="80" width="60" height="170" rx="12" fill="#2a5caa"/><rect x="24" y="250" width="20" height="140" fill="#333"/><rect x="56" y="250" width="20" height="140" fill="#333"/>',
    ),
  // A pencil: 10:1, line-like.
  thin: () =>
    cutOut(
      500,
      50,
      '<rect x="40" y="10" width="400" height="30" fill="#f2c12e"/><polygon points="440,10 490,25 440,40" fill="#e8c8a0"/><rect x="10" y="10" width="30" height="30" fill="#e06080"/>',
    ),
  // A 20×20 icon.
  tiny: () => cutOut(20, 20, '<circle cx="10" cy="10" r="8" fill="#d33"/><circle cx="7" cy="8" r="2" fill="#fff"/>'),
} as const;

/** Width ÷ height of what a palette repeats: the crop when the style was cut, else the whole picture. */
async function repeatedAspect(style: Buffer, r: TransferResult): Promise<number> {
  const { width, height } = await sharp(style).metadata();
  const box = r.crop?.box ?? { width: 1, height: 1 };
  return (box.width * width!) / (box.height * height!);
}

async function sizeOf(png: Buffer): Promise<[number, number]> {
  const meta = await sharp(png).metadata();
  expect(meta.format).toBe('png');
  return [meta.width!, meta.height!];
}

let engine: Engine;
let dog: Buffer;
beforeAll(async () => {
  engine = await Engine.create({ modelDir: MODEL_DIR, maxSize: 512, threads: TEST_THREADS });
  dog = await readFile(path.join(FIXTURES, 'dog.jpg'));
});
afterAll(() => engine?.dispose());

describe.each(Object.keys(SHAPES) as (keyof typeof SHAPES)[])('a %s object as the style', (shape) => {
  let style: Buffer;
  beforeAll(async () => {
    style = await SHAPES[shape]();
  });

  test.each(TILES)('tiles=%s: a palette as long as the size, in the aspect of what it repeats up to 3:1', async (tiles) => {
    const r = await engine.palette([{ image: style }], { size: SIZE, iterations: 3, tiles });
    const [w, h] = await sizeOf(r.image);
    expect([w, h]).toEqual([r.stats.width, r.stats.height]);
    expect(Math.max(w, h)).toBe(SIZE);
    expect(Math.min(w, h)).toBeGreaterThanOrEqual(MIN_SIDE);
    const aspect = await repeatedAspect(style, r);
    const capped = aspect >= 1 ? Math.min(aspect, PALETTE_MAX_ASPECT) : 1 / Math.min(1 / aspect, PALETTE_MAX_ASPECT);
    expect(w / h).toBeCloseTo(capped, 0);
    expect(w >= h).toBe(aspect >= 1);
    if (tiles !== 'auto') expect(r.options.tiles).toBe(tiles);
  });

  test.each([16, 'auto'] as const)("tiles=%s: a result in the photo's own frame", async (tiles) => {
    const r = await engine.stylize(dog, [{ image: style }], { size: SIZE, iterations: 4, tiles });
    // dog.jpg is 4:3.
    expect(await sizeOf(r.image)).toEqual([96, 72]);
    expect(r.stats.steps).toBeGreaterThan(0);
  });
});

describe('photos far from square as content', () => {
  const strip = (w: number, h: number) => sharp(dog).resize(w, h, { fit: 'cover' }).png().toBuffer();

  test.each([
    ['a 4:1 panorama', 400, 100, [96, 24]],
    ['a 1:3 tall photo', 100, 300, [32, 96]],
  ] as const)('%s under the wide and the thin object at 9 tiles and auto', async (_name, w, h, expected) => {
    const content = await strip(w, h);
    for (const style of [await SHAPES.wide(), await SHAPES.thin()]) {
      for (const tiles of [9, 'auto'] as const) {
        const r = await engine.stylize(content, [{ image: style }], { size: SIZE, iterations: 3, tiles });
        expect(await sizeOf(r.image)).toEqual([...expected]);
      }
    }
  });
});

describe('the pieces that make a thin style run', () => {
  test("a thin style's mosaic keeps each copy's size and aspect and adds copies along its short side", async () => {
    // A 10:1 style: left half red, right half blue.
    const style = { width: 40, height: 4, data: new Float32Array(40 * 4 * 3) };
    for (let y = 0; y < 4; y++) for (let x = 0; x < 40; x++) style.data.set(x < 20 ? [255, 0, 0] : [0, 0, 255], (y * 40 + x) * 3);
    // At a 32-px level with 2 tiles each copy is 16×2 px: 8 rows of them reach MIN_SIDE.
    const mosaic = await styleMosaic(style, 2, 32, MIN_SIDE);
    expect([mosaic.width, mosaic.height]).toEqual([32, 16]);
    const px = (x: number, y: number) => Array.from(mosaic.data.slice((y * 32 + x) * 3, (y * 32 + x) * 3 + 3));
    for (const y of [0, 7, 15]) {
      expect(px(2, y)).toEqual([255, 0, 0]);
      expect(px(13, y)).toEqual([0, 0, 255]);
      expect(px(18, y)).toEqual([255, 0, 0]);
      expect(px(29, y)).toEqual([0, 0, 255]);
    }
    // A style thick enough at the level is tiled as before: tiles×tiles copies over its own frame.
    const square = await styleMosaic({ width: 8, height: 8, data: new Float32Array(8 * 8 * 3) }, 3, 48, MIN_SIDE);
    expect([square.width, square.height]).toEqual([48, 48]);
  });

  test('levels too thin for the network are skipped; the last level always stays', () => {
    const opts = { size: 256, scales: 3, iterations: 40, schedule: 'quick' as const };
    expect(planLevels(opts, 256, true).map((l) => l.longest)).toEqual([32, 64, 128, 256]);
    // 256×64 (4:1): the 32-px level would be 8 px high.
    expect(planLevels(opts, 256, true, 64).map((l) => l.longest)).toEqual([64, 128, 256]);
    // 256×26 (10:1): only the full size is 16 px high or more.
    const thin = planLevels(opts, 256, true, 26);
    expect(thin.map((l) => l.longest)).toEqual([256]);
    expect(thin[0]!.maxSteps).toBe(Math.round(40 * 0.7));
  });
});
