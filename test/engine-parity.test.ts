/**
 * @jest-environment ./test/onnx-environment.cjs
 */
/**
 * The TensorFlow.js backend is the reference: a finite-difference check guards its gradient, and the
 * ONNX backend must agree with it on losses, features and gradient.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { LossBackend, LossSpec, LossTargets, VggImage } from '../src/engine/backend.js';
import { decodeImage, resizeRgb } from '../src/engine/image.js';
import { createOnnxBackend } from '../src/engine/onnx/backend.js';
import { createTfjsBackend } from '../src/engine/tfjs/backend.js';
import { tf } from '../src/engine/tfjs/runtime.js';
import { loadVgg19, VGG_MEAN_BGR, type ConvLayer } from '../src/engine/weights.js';
import { TEST_THREADS } from './helpers/threads.js';

const ROOT = path.resolve(new URL('.', import.meta.url).pathname, '..');
const MODEL_DIR = process.env.TILESTYLE_MODEL_DIR ?? path.resolve(ROOT, '../shared/models/vgg19');
const FIXTURES = process.env.TILESTYLE_FIXTURES ?? path.resolve(ROOT, '../shared/fixtures');

const STYLE_LAYERS = ['relu1_1', 'relu2_1', 'relu3_1', 'relu4_1', 'relu5_1'];
const CONTENT_LAYERS = ['relu4_2'];

/** A fixture resized to exactly width×height, in VGG input space (NCHW, BGR, minus the means). */
async function fixture(name: string, width: number, height: number): Promise<VggImage> {
  const rgb = await resizeRgb(await decodeImage(await readFile(path.join(FIXTURES, name)), { maxSide: 256 }), width, height);
  const n = width * height;
  const data = new Float32Array(3 * n);
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < n; i++) data[c * n + i] = rgb.data[i * 3 + (2 - c)] - VGG_MEAN_BGR[c];
  }
  return { data, width, height };
}

/** Deterministic ±1 direction. */
function direction(n: number, seed: number): Float32Array {
  let s = seed;
  return new Float32Array(n).map(() => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647 < 0.5 ? -1 : 1;
  });
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function relErr(a: Float32Array, b: Float32Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

/** Targets from real images and weights that give each loss term a comparable share. */
async function problem(backend: LossBackend, width: number, height: number) {
  const x = await fixture('dog.jpg', width, height);
  const style = await backend.features(await fixture('scream.jpg', width, height), { content: [], style: STYLE_LAYERS });
  const content = await backend.features(await fixture('eagle.jpg', width, height), {
    content: CONTENT_LAYERS,
    style: [],
  });
  const targets: LossTargets = { content: content.content, grams: style.grams };
  const spec: LossSpec = {
    contentLayers: CONTENT_LAYERS,
    styleLayers: STYLE_LAYERS,
    contentWeight: 1,
    styleLayerWeights: [1e-2, 2e-2, 3e-2, 4e-2, 5e-2],
    tvWeight: 1,
  };
  return { x, targets, spec };
}

let layers: ConvLayer[];
let reference: LossBackend;

beforeAll(async () => {
  layers = await loadVgg19(MODEL_DIR);
  reference = await createTfjsBackend(layers);
});

afterAll(async () => {
  await reference?.dispose();
});

describe('tfjs reference backend', () => {
  it('gradient matches central finite differences (along the gradient and a random direction)', async () => {
    const { x, targets, spec } = await problem(reference, 32, 32);
    const base = await reference.lossAndGrad(x, targets, spec);
    for (const part of ['content', 'style', 'tv'] as const) expect(base.losses[part]).toBeGreaterThan(0);
    expect(base.losses.total).toBeCloseTo(base.losses.content + base.losses.style + base.losses.tv, 0);

    // Along the gradient itself the loss changes most, so float32 rounding matters least; a random
    // direction checks the gradient's direction too, with a looser bound for that rounding.
    const gMax = base.grad.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const checks = [
      { d: base.grad.map((v) => v / gMax), tolerance: 2e-3 },
      { d: direction(x.data.length, 7), tolerance: 3e-2 },
    ];
    for (const { d, tolerance } of checks) {
      const eps = 0.3; // pixel units (0..255): large enough for float32 losses, small enough to stay nearly linear
      const shifted = (sign: number) => ({ ...x, data: x.data.map((v, i) => v + sign * eps * d[i]) });
      const plus = await reference.lossAndGrad(shifted(1), targets, spec);
      const minus = await reference.lossAndGrad(shifted(-1), targets, spec);
      const numeric = (plus.losses.total - minus.losses.total) / (2 * eps);
      const analytic = dot(base.grad, d);
      expect(Math.abs(analytic)).toBeGreaterThan(0);
      expect(rel(numeric, analytic)).toBeLessThan(tolerance);
    }
  });

  it('leaks no tensors and refuses work after dispose', async () => {
    const backend = await createTfjsBackend(layers.slice(0, 2));
    const before = tf.memory().numTensors;
    const x = await fixture('dog.jpg', 16, 16);
    const f = await backend.features(x, { content: ['relu1_2'], style: ['relu1_1'] });
    expect(f.content[0].length).toBe(64 * 16 * 16);
    expect(f.grams[0].length).toBe(64 * 64);
    const spec: LossSpec = { contentLayers: ['relu1_2'], styleLayers: ['relu1_1'], contentWeight: 1, styleLayerWeights: [1], tvWeight: 1 };
    await backend.lossAndGrad(x, { content: f.content, grams: f.grams }, spec);
    expect(tf.memory().numTensors).toBe(before);
    await backend.dispose();
    expect(tf.memory().numTensors).toBe(before - 2 * 3);
    await expect(backend.lossAndGrad(x, { content: f.content, grams: f.grams }, spec)).rejects.toThrow(/disposed/);
  });
});

describe('onnx backend agrees with the tfjs reference', () => {
  let onnx: LossBackend;
  beforeAll(async () => {
    onnx = await createOnnxBackend(layers, { device: 'cpu', threads: TEST_THREADS });
  });
  afterAll(async () => {
    await onnx?.dispose();
  });

  it.each([
    [32, 32],
    [48, 40],
  ])('at %i×%i: features, losses and gradient within 1e-3', async (width, height) => {
    const { x, targets, spec } = await problem(reference, width, height);

    const fr = await reference.features(x, { content: CONTENT_LAYERS, style: STYLE_LAYERS });
    const fo = await onnx.features(x, { content: CONTENT_LAYERS, style: STYLE_LAYERS });
    expect(fo.content[0].length).toBe(fr.content[0].length);
    expect(relErr(fo.content[0], fr.content[0])).toBeLessThan(1e-3);
    fr.grams.forEach((g, i) => {
      expect(fo.grams[i].length).toBe(g.length);
      expect(relErr(fo.grams[i], g)).toBeLessThan(1e-3);
    });

    const r = await reference.lossAndGrad(x, targets, spec);
    const o = await onnx.lossAndGrad(x, targets, spec);
    for (const part of ['total', 'content', 'style', 'tv'] as const) {
      expect(r.losses[part]).toBeGreaterThan(0);
      expect(rel(o.losses[part], r.losses[part])).toBeLessThan(1e-3);
    }
    expect(o.grad.length).toBe(r.grad.length);
    expect(relErr(o.grad, r.grad)).toBeLessThan(1e-3);

    // The content term weighed by position (the content's subjects) agrees too.
    const cells = Math.floor(width / 8) * Math.floor(height / 8);
    const masked: LossTargets = { ...targets, contentMask: [Float32Array.from({ length: cells }, (_, i) => 1 + (i % 3))] };
    const rm = await reference.lossAndGrad(x, masked, spec);
    const om = await onnx.lossAndGrad(x, masked, spec);
    expect(rm.losses.content).toBeGreaterThan(r.losses.content);
    expect(rel(om.losses.content, rm.losses.content)).toBeLessThan(1e-3);
    expect(relErr(om.grad, rm.grad)).toBeLessThan(1e-3);
  });
});
