/**
 * @jest-environment ./test/onnx-environment.cjs
 */
/** The Engine end to end on real images and weights, at small sizes. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { Engine, ImageInputError, JobCancelledError, OptionError } from '../src/engine/index.js';
import type { Progress, TransferOptions } from '../src/engine/index.js';
import { TEST_THREADS } from './helpers/threads.js';

const ROOT = path.resolve(new URL('.', import.meta.url).pathname, '..');
const MODEL_DIR = process.env.TILESTYLE_MODEL_DIR ?? path.resolve(ROOT, '../shared/models/vgg19');
const FIXTURES = process.env.TILESTYLE_FIXTURES ?? path.resolve(ROOT, '../shared/fixtures');
const fixture = (name: string) => readFile(path.join(FIXTURES, name));

let engine: Engine;
let dog: Buffer;
let scream: Buffer;
let guitar: Buffer;

beforeAll(async () => {
  engine = await Engine.create({ modelDir: MODEL_DIR, maxSize: 512, threads: TEST_THREADS });
  [dog, scream, guitar] = await Promise.all([fixture('dog.jpg'), fixture('scream.jpg'), fixture('guitar.png')]);
});
afterAll(() => engine?.dispose());

async function pixels(png: Buffer, width: number, height: number): Promise<Float32Array> {
  const { data } = await sharp(png).resize(width, height, { fit: 'fill' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return Float32Array.from(data);
}

function meanAbsDiff(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
}

const small: Partial<TransferOptions> = { size: 64, iterations: 30, scales: 1, schedule: 'classic' };

test('stylize: the style loss falls a lot, the content stays recognisable, the result is new', async () => {
  const progress: Progress[] = [];
  const r = await engine.stylize(dog, [{ image: scream }], small, { onProgress: (p) => progress.push(p) });
  const { initialLosses: first, finalLosses: last, width, height } = r.stats;
  expect(Math.max(width, height)).toBe(64);
  expect(last.style).toBeLessThan(first.style / 4);
  // Content starts at 0 (content init) and may grow, but stays well below the style loss it traded for.
  expect(last.content).toBeLessThan(first.style / 2);
  expect(progress.map((p) => p.step)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
  expect(progress.every((p) => p.total === 30 && p.elapsedMs >= 0 && Number.isFinite(p.losses.total))).toBe(true);
  const meta = await sharp(r.image).metadata();
  expect([meta.format, meta.width, meta.height]).toEqual(['png', width, height]);
  const out = await pixels(r.image, width, height);
  expect(meanAbsDiff(out, await pixels(dog, width, height))).toBeGreaterThan(5);
  expect(meanAbsDiff(out, await pixels(scream, width, height))).toBeGreaterThan(5);
});

test('the quick schedule stops converged levels early and reports the steps each level took', async () => {
  const progress: Progress[] = [];
  // Two levels (96 and 192 px) of a 3:1 strip of the photo: under half the pixels of the whole 4:3 photo.
  const strip = await sharp(dog).extract({ left: 0, top: 160, width: 768, height: 256 }).png().toBuffer();
  const r = await engine.stylize(strip, [{ image: scream }], { size: 192, iterations: 400, seed: 5 }, { onProgress: (p) => progress.push(p) });
  expect([r.stats.width, r.stats.height]).toEqual([192, 64]);
  expect(r.stats.levelSteps).toHaveLength(2);
  expect(r.stats.levelSteps.reduce((a, b) => a + b, 0)).toBe(r.stats.steps);
  // Each level may take 200 steps; a converged one stops well before.
  expect(r.stats.steps).toBeLessThan(400);
  expect(r.stats.levelSteps.every((n) => n >= 20)).toBe(true);
  expect(progress.every((p) => p.total === 400)).toBe(true);
  // The automatic balance's layout term is a number of its own: not inside content, part of the total.
  for (const { losses: l } of progress) {
    expect(l.layout).toBeGreaterThanOrEqual(0);
    expect(Math.abs(l.content + l.style + l.tv + l.layout! - l.total) / l.total).toBeLessThan(1e-9);
  }
  expect(progress.some((p) => p.losses.layout! > 0)).toBe(true);
  expect(r.stats.styleMatch).toBeGreaterThan(0);
  expect(r.stats.styleMatch).toBeLessThan(0.5);
  expect(r.options.tiles).toBe(1);
  expect(r.tilesReason).toMatch(/painting/);
});

test('palette: tiles 1 and 4 give different images, each matching its own tiled target', async () => {
  const opts = { size: 64, iterations: 30, seed: 3, scales: 1, schedule: 'classic' as const };
  const one = await engine.palette([{ image: guitar }], { ...opts, tiles: 1 });
  const four = await engine.palette([{ image: guitar }], { ...opts, tiles: 4 });
  for (const r of [one, four]) {
    expect(r.stats.finalLosses.style).toBeLessThan(r.stats.initialLosses.style / 5);
    expect(r.stats.finalLosses.content).toBe(0);
    expect(r.options.contentWeight).toBe(0);
  }
  const { width, height } = one.stats;
  expect(meanAbsDiff(await pixels(one.image, width, height), await pixels(four.image, width, height))).toBeGreaterThan(5);
});

test('a seed makes a run reproducible; another seed changes it', async () => {
  const opts = { size: 48, iterations: 5, init: 'noise' as const };
  const a = await engine.stylize(dog, [{ image: scream }], { ...opts, seed: 11 });
  const b = await engine.stylize(dog, [{ image: scream }], { ...opts, seed: 11 });
  const c = await engine.stylize(dog, [{ image: scream }], { ...opts, seed: 12 });
  expect(a.image.equals(b.image)).toBe(true);
  expect(a.image.equals(c.image)).toBe(false);
  expect(a.options.seed).toBe(11);
});

test('abort cancels within one step', async () => {
  const controller = new AbortController();
  const steps: number[] = [];
  const run = engine.stylize(
    dog,
    [{ image: scream }],
    { size: 64, iterations: 200 },
    {
      signal: controller.signal,
      onProgress: (p) => {
        steps.push(p.step);
        if (p.step === 2) controller.abort();
      },
    },
  );
  await expect(run).rejects.toBeInstanceOf(JobCancelledError);
  expect(Math.max(...steps)).toBe(2);
  // The engine is still usable afterwards.
  const after = await engine.palette([{ image: guitar }], { size: 32, iterations: 2, schedule: 'classic' });
  expect(after.stats.steps).toBe(2);
});

test('multi-scale, several styles, colour preservation and previews work together', async () => {
  const previews: Buffer[] = [];
  const r = await engine.stylize(
    dog,
    [
      { image: scream, weight: 2 },
      { image: guitar, weight: 1 },
    ],
    {
      size: 64,
      iterations: 8,
      scales: 2,
      preserveColors: true,
      previewEvery: 3,
    },
    { onProgress: (p) => p.preview && previews.push(p.preview) },
  );
  expect(previews.length).toBe(2);
  expect((await sharp(previews[0]).metadata()).format).toBe('png');
  expect(r.stats.steps).toBe(8);
  expect(Math.max(r.stats.width, r.stats.height)).toBe(64);
  // Colours preserved: the chroma of the result follows the content's.
  const { width, height } = r.stats;
  const out = await pixels(r.image, width, height);
  const content = await pixels(dog, width, height);
  const chroma = (p: Float32Array) => {
    let s = 0;
    for (let i = 0; i < p.length; i += 3) s += p[i] - p[i + 2];
    return s / (p.length / 3);
  };
  expect(Math.abs(chroma(out) - chroma(content))).toBeLessThan(12);
});

test('the first preview comes at step 10, however far apart the later ones are', async () => {
  const at: number[] = [];
  await engine.palette(
    [{ image: guitar }],
    { size: 32, iterations: 24, scales: 1, schedule: 'classic', previewEvery: 20 },
    {
      onProgress: (p) => p.preview && at.push(p.step),
    },
  );
  expect(at).toEqual([10, 20]);
});

test('bad inputs and options are refused with messages for the user', async () => {
  await expect(engine.stylize(Buffer.from('hello, not an image'), [{ image: scream }], small)).rejects.toBeInstanceOf(ImageInputError);
  await expect(engine.stylize(dog, [{ image: Buffer.from('%PDF-1.4 nope') }], small)).rejects.toBeInstanceOf(ImageInputError);
  await expect(engine.stylize(dog, [{ image: scream }], { size: 4096 })).rejects.toThrow(OptionError);
  await expect(engine.palette([{ image: guitar }], { tiles: 40 })).rejects.toThrow(/tiles must be/);
});

test('memory stays flat over repeated jobs', async () => {
  const opts = { size: 48, iterations: 3 };
  const rss: number[] = [];
  for (let i = 1; i <= 20; i++) {
    await engine.stylize(dog, [{ image: scream }], { ...opts, seed: i });
    rss.push(process.memoryUsage().rss);
  }
  const growth = rss[19] - rss[4];
  // A session (≈160 MB of weights) or a job's tensors kept per job would exceed this many times over.
  expect(growth).toBeLessThan(60 * 2 ** 20);
});
