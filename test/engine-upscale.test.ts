/**
 * @jest-environment ./test/onnx-environment.cjs
 */
/** Large results: the schedule's sharpening level, and an upscale that redraws a result from itself. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { Engine, paletteSizeFor, paletteTilesFor, SHARPEN_STYLE_LAYERS } from '../src/engine/index.js';
import { structureKept } from '../src/engine/quality.js';
import { planLevels, SHARPEN_FROM, SHARPEN_STEPS, STROKE_LEVEL_STEPS } from '../src/engine/schedule.js';
import type { Progress } from '../src/engine/index.js';
import { TEST_THREADS } from './helpers/threads.js';

const ROOT = path.resolve(new URL('.', import.meta.url).pathname, '..');
const MODEL_DIR = process.env.TILESTYLE_MODEL_DIR ?? path.resolve(ROOT, '../shared/models/vgg19');
const FIXTURES = process.env.TILESTYLE_FIXTURES ?? path.resolve(ROOT, '../shared/fixtures');
const fixture = (name: string) => readFile(path.join(FIXTURES, name));

describe('the quick schedule of a large result', () => {
  const opts = { size: 512, scales: 3, iterations: 160, schedule: 'quick' as const };

  test('draws at a quarter and a half of the size and only sharpens at the full size', () => {
    const levels = planLevels(opts, 512, false);
    expect(levels.map((l) => l.longest)).toEqual([128, 256, 512]);
    expect(levels.map((l) => l.sharpen)).toEqual([false, false, true]);
    expect(levels[2].maxSteps).toBe(SHARPEN_STEPS);
    expect(levels[1].maxSteps).toBe(STROKE_LEVEL_STEPS);
    expect(levels.reduce((a, l) => a + l.maxSteps, 0)).toBeLessThanOrEqual(160);
  });

  test('a result below the sharpening size, the classic schedule and a single level never sharpen', () => {
    expect(planLevels(opts, SHARPEN_FROM - 1, false).some((l) => l.sharpen)).toBe(false);
    expect(planLevels({ ...opts, schedule: 'classic' }, 512, false).some((l) => l.sharpen)).toBe(false);
    expect(planLevels({ ...opts, scales: 1 }, 512, false).some((l) => l.sharpen)).toBe(false);
  });

  test('a palette starts one level coarser and also only sharpens at the full size', () => {
    const levels = planLevels(opts, 512, true);
    expect(levels.map((l) => l.longest)).toEqual([64, 128, 256, 512]);
    expect(levels.at(-1)!.sharpen).toBe(true);
  });

  test("a stylize job's palette is drawn at half the result's size, never below 256 px or above the result", () => {
    expect(paletteSizeFor(512)).toBe(256);
    expect(paletteSizeFor(1024)).toBe(512);
    expect(paletteSizeFor(256)).toBe(256);
    expect(paletteSizeFor(128)).toBe(128);
  });

  test('with proportionally fewer tiles, so each copy is as large as in the result', () => {
    expect(paletteTilesFor(6, 512)).toBe(3);
    expect(paletteTilesFor(16, 512)).toBe(8);
    expect(paletteTilesFor(1, 512)).toBe(1);
    expect(paletteTilesFor(6, 256)).toBe(6);
  });

  test('the sharpening layers are shallow ones of the default style layers', () => {
    expect(SHARPEN_STYLE_LAYERS.length).toBeGreaterThan(0);
    expect(SHARPEN_STYLE_LAYERS.every((l) => /^relu[123]_1$/.test(l))).toBe(true);
  });
});

describe('upscale', () => {
  let engine: Engine;
  let dog: Buffer;
  let guitar: Buffer;
  beforeAll(async () => {
    engine = await Engine.create({ modelDir: MODEL_DIR, threads: TEST_THREADS, maxSize: 512 });
    [dog, guitar] = await Promise.all([fixture('dog.jpg'), fixture('guitar.png')]);
  });
  afterAll(() => engine?.dispose());

  test('redraws a result at twice its size, keeping its composition, in one level of its own', async () => {
    const small = await engine.stylize(dog, [{ image: guitar }], { size: 64, iterations: 40, tiles: 3, seed: 3 });
    const progress: Progress[] = [];
    const up = await engine.upscale(dog, [{ image: guitar }], small.image, { ...small.options, size: 128 }, { onProgress: (p) => progress.push(p) });
    expect([up.stats.width, up.stats.height]).toEqual([2 * small.stats.width, 2 * small.stats.height]);
    const meta = await sharp(up.image).metadata();
    expect([meta.width, meta.height]).toEqual([up.stats.width, up.stats.height]);
    expect(up.stats.levelSteps).toHaveLength(1);
    expect(up.options.tiles).toBe(3);
    expect(progress.length).toBe(up.stats.steps);
    expect(await structureKept(small.image, up.image)).toBeGreaterThanOrEqual(0.85);
    // Redrawn, not interpolated: the pixels differ from a plain resize of the smaller result.
    const resized = await sharp(small.image).resize(up.stats.width, up.stats.height, { fit: 'fill' }).raw().toBuffer();
    const redrawn = await sharp(up.image).removeAlpha().raw().toBuffer();
    let diff = 0;
    for (let i = 0; i < resized.length; i++) diff += Math.abs(resized[i] - redrawn[i]);
    expect(diff / resized.length).toBeGreaterThan(2);
  });

  test("with tiles 'auto' takes the tiles chosen for the result's own size", async () => {
    const small = await engine.stylize(dog, [{ image: guitar }], { size: 64, iterations: 20, tiles: 'auto', seed: 3 });
    const up = await engine.upscale(dog, [{ image: guitar }], small.image, { size: 96, iterations: 20, tiles: 'auto' });
    expect(up.options.tiles).toBe(small.options.tiles);
  });

  test('refuses a size that is not larger than the result', async () => {
    const small = await engine.stylize(dog, [{ image: guitar }], { size: 64, iterations: 10, tiles: 2 });
    await expect(engine.upscale(dog, [{ image: guitar }], small.image, { ...small.options, size: 64 })).rejects.toThrow(/larger than the result/);
  });
});
