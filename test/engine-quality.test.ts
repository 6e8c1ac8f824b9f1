/**
 * @jest-environment ./test/onnx-environment.cjs
 */
/**
 * Quality at the defaults, measured as `npm run quality` measures it: three pairs at a small size
 * must keep the photo and take the style; tiles=auto tells paintings from objects; the strength moves
 * the balance the way it says.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { measureResult, QUALITY_THRESHOLDS } from '../bench/quality-table.js';
import { chooseTiles, Engine } from '../src/engine/index.js';
import { structureKept } from '../src/engine/quality.js';

const ROOT = path.resolve(new URL('.', import.meta.url).pathname, '..');
const MODEL_DIR = process.env.TILESTYLE_MODEL_DIR ?? path.resolve(ROOT, '../shared/models/vgg19');
const FIXTURES = process.env.TILESTYLE_FIXTURES ?? path.resolve(ROOT, '../shared/fixtures');
const fixture = (name: string) => readFile(path.join(FIXTURES, name));

let engine: Engine;
beforeAll(async () => {
  // One thread per core this process may use (a machine pinned to one core gets one).
  engine = await Engine.create({ modelDir: MODEL_DIR });
});
afterAll(() => engine?.dispose());

describe('tiles=auto', () => {
  test('leaves a painting untiled and tiles the emoji objects', async () => {
    expect(await chooseTiles(await fixture('scream.jpg'), 256)).toEqual({ tiles: 1, reason: 'the style looks like a painting or texture' });
    for (const name of ['guitar.png', 'game-controller.png', 'face.png']) {
      const choice = await chooseTiles(await fixture(name), 256);
      expect(choice.tiles).toBeGreaterThanOrEqual(3);
      expect(choice.reason).toMatch(/single object/);
    }
  });

  test('judges made-up images by their layout: a texture stays 1, a cut-out shape is tiled, finer at a larger size', async () => {
    const noise = Buffer.from(Array.from({ length: 96 * 96 * 3 }, (_, i) => (i * 7919) % 251));
    const texture = await sharp(noise, { raw: { width: 96, height: 96, channels: 3 } }).png().toBuffer();
    expect((await chooseTiles(texture, 256)).tiles).toBe(1);
    const disc = await sharp(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="200" height="200"><rect width="200" height="200" fill="#fff"/><circle cx="100" cy="100" r="70" fill="#c22"/></svg>'))
      .png()
      .toBuffer();
    const small = await chooseTiles(disc, 256);
    const large = await chooseTiles(disc, 512);
    expect(small.tiles).toBeGreaterThanOrEqual(3);
    expect(large.tiles).toBeGreaterThan(small.tiles);
  });
});

describe('the defaults keep the picture and take the style', () => {
  // A little under the default size, on two cores; auto tiles are 6 here as at the default.
  const size = 224;
  test.each([
    ['dog.jpg', 'scream.jpg'],
    ['eagle.jpg', 'guitar.png'],
    ['person.jpg', 'face.png'],
  ])('%s in the style of %s', async (c, s) => {
    const [content, style] = await Promise.all([fixture(c), fixture(s)]);
    const result = await engine.stylize(content, [{ image: style }], { size, seed: 7 });
    const row = await measureResult(`${c} × ${s}`, content, style, result);
    const t = QUALITY_THRESHOLDS;
    expect(row.structure).toBeGreaterThanOrEqual(t.structure.min);
    expect(row.structure).toBeLessThanOrEqual(t.structure.max);
    expect(row.styleMatch).toBeLessThanOrEqual(t.styleMatchMax);
    expect(row.colourShift).toBeGreaterThanOrEqual(t.colourShiftMin);
    expect(result.stats.levelSteps.length).toBe(2);
  });
});

test('a higher strength keeps less of the photo', async () => {
  const [content, style] = await Promise.all([fixture('eagle.jpg'), fixture('face.png')]);
  const run = (strength: number) => engine.stylize(content, [{ image: style }], { size: 96, strength, seed: 3 });
  const gentle = await run(1);
  const strong = await run(10);
  expect(await structureKept(content, gentle.image)).toBeGreaterThan((await structureKept(content, strong.image)) + 0.1);
});
