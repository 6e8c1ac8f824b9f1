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
import { measureResult, QUALITY_THRESHOLDS } from '../bench/quality-table.js';
import { Engine } from '../src/engine/index.js';
import { structureKept } from '../src/engine/quality.js';
import { TEST_THREADS } from './helpers/threads.js';

const ROOT = path.resolve(new URL('.', import.meta.url).pathname, '..');
const MODEL_DIR = process.env.TILESTYLE_MODEL_DIR ?? path.resolve(ROOT, '../shared/models/vgg19');
const FIXTURES = process.env.TILESTYLE_FIXTURES ?? path.resolve(ROOT, '../shared/fixtures');
const fixture = (name: string) => readFile(path.join(FIXTURES, name));

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
