/** Option validation, level planning and the optimizers on small known problems (no network needed). */
import { DEFAULT_OPTIONS, OptionError, resolveOptions } from '../src/engine/index.js';
import { createAdam, createLbfgs, type Objective } from '../src/engine/optimizers/index.js';
import { levelSizes, splitIterations } from '../src/engine/transfer.js';
import { seededRandom } from '../src/engine/preprocess.js';
import { tileStyle } from '../src/engine/tiling.js';

function rejects(partial: Record<string, unknown>, option: string, text: RegExp) {
  let error: unknown;
  try {
    resolveOptions(partial as never, 512);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(OptionError);
  expect((error as OptionError).option).toBe(option);
  expect((error as OptionError).message).toMatch(text);
}

describe('resolveOptions', () => {
  test('fills defaults and keeps given values', () => {
    const o = resolveOptions({ tiles: 4, size: 128 });
    expect(o).toEqual({ ...DEFAULT_OPTIONS, tiles: 4, size: 128 });
    expect(resolveOptions({ size: undefined }).size).toBe(DEFAULT_OPTIONS.size);
  });

  test('rejects out-of-range values with messages that say the allowed range', () => {
    rejects({ tiles: 0 }, 'tiles', /tiles must be a whole number from 1 to 16 \(got 0\)/);
    rejects({ tiles: 17 }, 'tiles', /from 1 to 16/);
    rejects({ tiles: 2.5 }, 'tiles', /whole number/);
    rejects({ size: 31 }, 'size', /size must be a whole number from 32 to 512/);
    rejects({ size: 513 }, 'size', /from 32 to 512 \(got 513\)/);
    rejects({ iterations: 0 }, 'iterations', /from 1 to 2000/);
    rejects({ iterations: 2001 }, 'iterations', /from 1 to 2000/);
    rejects({ styleWeight: -1 }, 'styleWeight', /styleWeight must be from 0 to/);
    rejects({ strength: 11 }, 'strength', /strength must be from 1 to 10/);
    rejects({ schedule: 'fast' as never }, 'schedule', /schedule must be one of quick, classic/);
    rejects({ contentWeight: Number.NaN }, 'contentWeight', /must be a number/);
    rejects({ tvWeight: -0.1 }, 'tvWeight', /0 or more/);
    rejects({ optimizer: 'sgd' }, 'optimizer', /one of lbfgs, adam/);
    rejects({ init: 'zeros' }, 'init', /one of content, noise, style/);
    rejects({ styleLayers: ['relu9_1'] }, 'styleLayers', /unknown layer 'relu9_1'/);
    rejects({ styleLayers: [] }, 'styleLayers', /at least one layer/);
    rejects({ contentLayers: ['relu4_2', 'relu4_2'] }, 'contentLayers', /twice/);
    rejects({ styleScale: 10 }, 'styleScale', /from 0.1 to 4/);
    rejects({ scales: 0 }, 'scales', /from 1 to 4/);
    rejects({ preserveColors: 'yes' }, 'preserveColors', /true or false/);
    rejects({ seed: 1.5 }, 'seed', /whole number/);
    rejects({ seed: -1 }, 'seed', /from 0 to 2147483647/);
    rejects({ seed: 2 ** 31 }, 'seed', /from 0 to 2147483647/);
    rejects({ colour: 1 }, 'colour', /Unknown option 'colour'/);
  });
});

describe('coarse-to-fine plan', () => {
  test('levels double up to the size and never go below 32 px', () => {
    expect(levelSizes(256, 1)).toEqual([256]);
    expect(levelSizes(256, 3)).toEqual([64, 128, 256]);
    expect(levelSizes(64, 4)).toEqual([32, 64]);
  });
  test('iterations are split over levels and sum to the total', () => {
    expect(splitIterations(200, 1)).toEqual([200]);
    const s = splitIterations(101, 3);
    expect(s.reduce((a, b) => a + b, 0)).toBe(101);
    expect(Math.min(...s)).toBeGreaterThan(0);
    expect(splitIterations(2, 3)).toEqual([1, 1]);
  });
});

describe('optimizers', () => {
  // A badly scaled quadratic with a box constraint that binds for one coordinate.
  const n = 50;
  const scale = Float32Array.from({ length: n }, (_, i) => 1 + i * 2);
  const target = Float32Array.from({ length: n }, (_, i) => (i === 0 ? 10 : i % 7) - 3);
  const lower = new Float32Array(n).fill(-5);
  const upper = new Float32Array(n).fill(5);
  const f: Objective = async (x) => {
    let total = 0;
    const grad = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const d = x[i] - target[i];
      total += scale[i] * d * d;
      grad[i] = 2 * scale[i] * d;
    }
    return { losses: { total, content: 0, style: total, tv: 0 }, grad };
  };

  test('L-BFGS converges within the box', async () => {
    const o = createLbfgs(new Float32Array(n), f, { lower, upper });
    let last = Infinity;
    for (let i = 0; i < 60; i++) last = (await o.step()).total;
    expect(o.x[0]).toBeCloseTo(5, 3); // clamped at the upper bound
    for (let i = 1; i < n; i++) expect(o.x[i]).toBeCloseTo(target[i], 2);
    expect(last).toBeCloseTo(4, 1); // only the clamped coordinate is left: (5 − 7)²·1
  });

  test('Adam decreases the loss and respects the box', async () => {
    const o = createAdam(new Float32Array(n), f, { lower, upper }, 0.5);
    const first = (await o.step()).total;
    let last = first;
    for (let i = 0; i < 200; i++) last = (await o.step()).total;
    expect(last).toBeLessThan(first / 20);
    expect(Math.max(...o.x)).toBeLessThanOrEqual(5);
  });
});

test('seeded noise is reproducible', () => {
  const a = seededRandom(7);
  const b = seededRandom(7);
  const c = seededRandom(8);
  const xs = [a(), a(), a()];
  expect([b(), b(), b()]).toEqual(xs);
  expect(c()).not.toBe(xs[0]);
});

test('tiling repeats the resized style tiles×tiles over the mosaic', async () => {
  // 2×2 style: red, green / blue, white.
  const style = { width: 2, height: 2, data: Float32Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255]) };
  const mosaic = await tileStyle(style, 3, 6, 6);
  expect(mosaic.width).toBe(6);
  const px = (x: number, y: number) => Array.from(mosaic.data.slice((y * 6 + x) * 3, (y * 6 + x) * 3 + 3));
  // Each tile is the 2×2 style; the pattern repeats every 2 px.
  expect(px(0, 0)).toEqual(px(2, 0));
  expect(px(0, 0)).toEqual(px(4, 4));
  expect(px(1, 1)).toEqual(px(5, 3));
  expect(px(0, 0)).not.toEqual(px(1, 0));
});
