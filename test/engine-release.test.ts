/**
 * @jest-environment ./test/onnx-environment.cjs
 */
/**
 * Memory of large jobs: each onnxruntime session keeps an arena as large as the largest image it has
 * run, so before a large level the engine frees the sessions of the layer sets its earlier levels used.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import type { LossBackend } from '../src/engine/backend.js';
import { createOnnxBackend } from '../src/engine/onnx/backend.js';
import { DEFAULT_OPTIONS, SHARPEN_STYLE_LAYERS } from '../src/engine/index.js';
import { seededRandom } from '../src/engine/preprocess.js';
import { LruCache } from '../src/engine/style-cache.js';
import { stylize } from '../src/engine/transfer.js';
import { loadVgg19 } from '../src/engine/weights.js';
import { TEST_THREADS } from './helpers/threads.js';

const ROOT = path.resolve(new URL('.', import.meta.url).pathname, '..');
const MODEL_DIR = process.env.TILESTYLE_MODEL_DIR ?? path.resolve(ROOT, '../shared/models/vgg19');
const FIXTURES = process.env.TILESTYLE_FIXTURES ?? path.resolve(ROOT, '../shared/fixtures');

let backend: LossBackend;
beforeAll(async () => {
  backend = await createOnnxBackend(await loadVgg19(MODEL_DIR), { threads: TEST_THREADS });
});
afterAll(() => backend?.dispose());

const FULL = { content: DEFAULT_OPTIONS.contentLayers, style: DEFAULT_OPTIONS.styleLayers };
const key = (l: { content: string[]; style: string[] }) => `${l.content.join(',')}|${l.style.join(',')}`;

test('a released layer set is rebuilt when next used and computes the same', async () => {
  const rand = seededRandom(4);
  const image = { data: Float32Array.from({ length: 3 * 48 * 40 }, () => (rand() - 0.5) * 200), width: 40, height: 48 };
  const before = await backend.features(image, FULL);
  await backend.release!(FULL);
  await backend.release!({ content: [], style: ['relu2_2'] }); // never built: nothing to free
  const after = await backend.features(image, FULL);
  expect(after.grams.map((g) => Array.from(g))).toEqual(before.grams.map((g) => Array.from(g)));
  expect(Array.from(after.content[0])).toEqual(Array.from(before.content[0]));
});

test('before its large sharpening level a job frees the full-depth sessions, and when it ends the sharpening ones', async () => {
  const calls: string[] = [];
  const recording: LossBackend = {
    name: backend.name,
    device: backend.device,
    features: (image, layers) => {
      calls.push(`features ${key(layers)}`);
      return backend.features(image, layers);
    },
    lossAndGrad: (image, targets, spec) => {
      calls.push(`loss ${key({ content: spec.contentLayers, style: spec.styleLayers })}`);
      return backend.lossAndGrad(image, targets, spec);
    },
    release: (layers) => {
      calls.push(`release ${key(layers)}`);
      return backend.release!(layers);
    },
    dispose: async () => undefined,
  };
  const [dog, face] = await Promise.all([readFile(path.join(FIXTURES, 'dog.jpg')), readFile(path.join(FIXTURES, 'face.png'))]);
  // A 4:1 strip of the photo has the levels of any 384-px job (96 and 192 px at full depth, then
  // sharpening at 384 px) at a third of a 4:3 photo's pixels: 96×24, 192×48 and 384×96.
  const strip = await sharp(dog).extract({ left: 0, top: 192, width: 768, height: 192 }).png().toBuffer();
  // The threshold here counts the sharpening level as large and the others as not.
  const ctx = { backend: recording, styleCache: new LruCache<Float32Array[]>(4), releaseAbovePixels: 192 * 48 };
  const r = await stylize(ctx, strip, [{ image: face }], { ...DEFAULT_OPTIONS, size: 384, iterations: 16, tiles: 4 });
  expect([r.stats.width, r.stats.height]).toEqual([384, 96]);
  expect(r.stats.levelSteps).toHaveLength(3);

  const SHARPEN = { content: [], style: DEFAULT_OPTIONS.styleLayers.filter((l) => SHARPEN_STYLE_LAYERS.includes(l)) };
  const releases = calls.flatMap((c, i) => (c.startsWith('release') ? [{ c, i }] : []));
  expect(releases.map((r) => r.c)).toEqual([`release ${key(FULL)}`, `release ${key({ content: [], style: FULL.style })}`, `release ${key(SHARPEN)}`]);
  const lastIndex = (s: string) => calls.map((c, i) => (c === s ? i : -1)).reduce((a, b) => Math.max(a, b));
  const firstSharpen = calls.indexOf(`loss ${key(SHARPEN)}`);
  // The full-depth sets go after their last use and before the sharpening level's first step; the
  // sharpening set after its last step.
  expect(releases[0].i).toBeGreaterThan(Math.max(lastIndex(`loss ${key(FULL)}`), lastIndex(`features ${key(FULL)}`)));
  expect(releases[1].i).toBeLessThan(firstSharpen);
  expect(releases[2].i).toBe(calls.length - 1);

  // A job whose levels are all under the threshold keeps every session.
  calls.length = 0;
  await stylize(ctx, strip, [{ image: face }], { ...DEFAULT_OPTIONS, size: 192, iterations: 16, tiles: 4 });
  expect(calls.filter((c) => c.startsWith('release'))).toEqual([]);
});
