/**
 * @jest-environment ./test/onnx-environment.cjs
 */
/** The hand-written ONNX backward pass against finite differences of its own loss, on the real weights. */
import path from 'node:path';
import { HAS_GPU_DEVICE } from './helpers/gpu.js';
import { createOnnxBackend } from '../src/engine/onnx/backend.js';
import { loadVgg19, type ConvLayer } from '../src/engine/weights.js';
import { seededRandom } from '../src/engine/preprocess.js';
import type { LossBackend, LossSpec, LossTargets } from '../src/engine/backend.js';
import { TEST_THREADS } from './helpers/threads.js';

const ROOT = path.resolve(new URL('.', import.meta.url).pathname, '..');
const MODEL_DIR = process.env.TILESTYLE_MODEL_DIR ?? path.resolve(ROOT, '../shared/models/vgg19');

let layers: ConvLayer[];
let backend: LossBackend;

beforeAll(async () => {
  layers = await loadVgg19(MODEL_DIR);
  backend = await createOnnxBackend(layers, { threads: TEST_THREADS });
});
afterAll(() => backend?.dispose());

function randomArray(n: number, amplitude: number, seed: number): Float32Array {
  const r = seededRandom(seed);
  return Float32Array.from({ length: n }, () => (r() - 0.5) * amplitude);
}

test('gradient matches a central finite difference along a random direction', async () => {
  // Odd sides exercise the floor pooling and the zero-padded unpooling.
  const width = 37;
  const height = 42;
  const n = 3 * width * height;
  const smooth = (seed: number) => {
    // Low-frequency image: the loss is smooth enough for a finite difference in float32.
    const r = randomArray(n, 60, seed);
    return r.map((v, i) => v + 40 * Math.sin(i / 50));
  };
  const contentLayers = ['relu3_2', 'relu4_2'];
  const styleLayers = ['relu1_1', 'relu2_1', 'relu3_1', 'relu4_1', 'relu5_1'];
  const target = await backend.features({ data: smooth(1), width, height }, { content: contentLayers, style: styleLayers });
  const spec: LossSpec = {
    contentLayers,
    styleLayers,
    contentWeight: 0.5,
    styleLayerWeights: [1, 0.1, 0.3, 0.05, 1000],
    tvWeight: 0.01,
  };
  const x = smooth(2);
  const at = (v: Float32Array) => backend.lossAndGrad({ data: v, width, height }, target, spec);
  const { losses, grad } = await at(x);
  expect(losses.content).toBeGreaterThan(0);
  expect(losses.style).toBeGreaterThan(0);
  expect(losses.tv).toBeGreaterThan(0);
  expect(losses.total).toBeCloseTo(losses.content + losses.style + losses.tv, 3);

  // Direction along the gradient plus noise, so the directional derivative is well above float32 noise.
  const noise = randomArray(n, 1, 3);
  let gnorm = 0;
  for (const g of grad) gnorm += g * g;
  gnorm = Math.sqrt(gnorm);
  const d = noise.map((v, i) => v / Math.sqrt(n) + grad[i] / gnorm);
  let analytic = 0;
  for (let i = 0; i < n; i++) analytic += grad[i] * d[i];
  const eps = 0.05;
  const plus = (await at(x.map((v, i) => v + eps * d[i]))).losses.total;
  const minus = (await at(x.map((v, i) => v - eps * d[i]))).losses.total;
  const numeric = (plus - minus) / (2 * eps);
  expect(Math.abs(numeric - analytic) / Math.abs(analytic)).toBeLessThan(0.02);
});

test('a content mask weighs the content term by position, and the gradient stays exact', async () => {
  const width = 37;
  const height = 42;
  const n = 3 * width * height;
  const smooth = (seed: number) => randomArray(n, 60, seed).map((v, i) => v + 40 * Math.sin(i / 50));
  const contentLayers = ['relu3_2', 'relu4_2'];
  const plain = await backend.features({ data: smooth(1), width, height }, { content: contentLayers, style: [] });
  // The left half of each content map weighs 6, the rest 1 (as on a subject's positions).
  const maskFor = (d: number) => {
    const w = Math.floor(width / d);
    const h = Math.floor(height / d);
    return Float32Array.from({ length: w * h }, (_, i) => (i % w < w / 2 ? 6 : 1));
  };
  const masked: LossTargets = { ...plain, contentMask: [maskFor(4), maskFor(8)] };
  const spec: LossSpec = { contentLayers, styleLayers: [], contentWeight: 0.5, styleLayerWeights: [], tvWeight: 0 };
  const x = smooth(2);
  const at = (v: Float32Array, targets: LossTargets = masked) => backend.lossAndGrad({ data: v, width, height }, targets, spec);
  const { losses, grad } = await at(x);
  const unweighted = (await at(x, plain)).losses.content;
  expect(losses.content).toBeGreaterThan(unweighted);
  expect(losses.content).toBeLessThan(6 * unweighted);
  const d = randomArray(n, 1, 4);
  let analytic = 0;
  for (let i = 0; i < n; i++) analytic += grad[i] * d[i];
  const eps = 0.05;
  const numeric = ((await at(x.map((v, i) => v + eps * d[i]))).losses.total - (await at(x.map((v, i) => v - eps * d[i]))).losses.total) / (2 * eps);
  expect(Math.abs(numeric - analytic) / Math.abs(analytic)).toBeLessThan(0.02);
});

test('features: Grams are symmetric, normalised by C·N, and content maps have floor-pooled shapes', async () => {
  const width = 50;
  const height = 34;
  const x = randomArray(3 * width * height, 100, 5);
  const f = await backend.features({ data: x, width, height }, { content: ['relu4_2'], style: ['relu1_1', 'relu5_1'] });
  expect(f.content[0].length).toBe(512 * Math.floor(height / 8) * Math.floor(width / 8));
  expect(f.grams[0].length).toBe(64 * 64);
  expect(f.grams[1].length).toBe(512 * 512);
  const g = f.grams[0];
  expect(g[1 * 64 + 5]).toBeCloseTo(g[5 * 64 + 1], 3);
  // Diagonal of FFᵀ/(C·N) is mean(F_c²)/C ≥ 0.
  for (let c = 0; c < 64; c++) expect(g[c * 64 + c]).toBeGreaterThanOrEqual(0);
});

// Where a GPU may offer an adapter, the device check (npm run bundle:device) covers webgpu instead.
(HAS_GPU_DEVICE ? test.skip : test)('webgpu falls back to the CPU with a warning when no adapter is available', async () => {
  const warnings: string[] = [];
  const gpu = await createOnnxBackend(layers.slice(0, 2), { device: 'webgpu', threads: 1, warn: (m) => warnings.push(m) });
  try {
    const width = 32;
    const height = 32;
    const f = await gpu.features({ data: randomArray(3 * width * height, 50, 9), width, height }, { content: [], style: ['relu1_1'] });
    expect(f.grams[0].length).toBe(64 * 64);
    expect(gpu.device).toBe('cpu');
    expect(warnings.join('\n')).toMatch(/webgpu.*falling back to CPU/i);
  } finally {
    await gpu.dispose();
  }
});

test('an unknown device is refused', async () => {
  await expect(createOnnxBackend(layers.slice(0, 2), { device: 'tpu' })).rejects.toThrow(/Unknown device 'tpu'/);
});

test('the Winograd loss graph agrees with direct convolutions', async () => {
  const direct = await createOnnxBackend(layers, { threads: TEST_THREADS, winograd: false });
  try {
    const width = 64;
    const height = 52; // deeper levels are not multiples of 4: exercises the padding and cropping
    const n = 3 * width * height;
    const x = randomArray(n, 80, 21).map((v, i) => v + 50 * Math.sin(i / 40));
    const contentLayers = ['relu4_2'];
    const styleLayers = ['relu1_1', 'relu2_1', 'relu3_1', 'relu4_1', 'relu5_1'];
    const targets = await direct.features({ data: randomArray(n, 100, 22), width, height }, { content: contentLayers, style: styleLayers });
    const spec: LossSpec = { contentLayers, styleLayers, contentWeight: 1, styleLayerWeights: [100, 7, 30, 3, 2e5], tvWeight: 1 };
    const a = await backend.lossAndGrad({ data: x, width, height }, targets, spec);
    const b = await direct.lossAndGrad({ data: x, width, height }, targets, spec);
    expect(a.losses.content).toBeCloseTo(b.losses.content, 1);
    expect(Math.abs(a.losses.style - b.losses.style) / b.losses.style).toBeLessThan(1e-4);
    let diff = 0;
    let norm = 0;
    for (let i = 0; i < n; i++) {
      diff += (a.grad[i] - b.grad[i]) ** 2;
      norm += b.grad[i] ** 2;
    }
    expect(Math.sqrt(diff / norm)).toBeLessThan(1e-3);
  } finally {
    await direct.dispose();
  }
});
