/** Conversions between user images (RGB HWC 0..255) and network input (BGR NCHW minus means), and colour helpers. */
import type { VggImage } from './backend.js';
import type { RgbImage } from './image.js';
import { VGG_MEAN_BGR } from './weights.js';

export function rgbToVgg(img: RgbImage): VggImage {
  const { width: w, height: h, data } = img;
  const plane = w * h;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    out[i] = data[3 * i + 2] - VGG_MEAN_BGR[0];
    out[plane + i] = data[3 * i + 1] - VGG_MEAN_BGR[1];
    out[2 * plane + i] = data[3 * i] - VGG_MEAN_BGR[2];
  }
  return { data: out, width: w, height: h };
}

export function vggToRgb(img: VggImage): RgbImage {
  const { width: w, height: h, data } = img;
  const plane = w * h;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    out[3 * i + 2] = data[i] + VGG_MEAN_BGR[0];
    out[3 * i + 1] = data[plane + i] + VGG_MEAN_BGR[1];
    out[3 * i] = data[2 * plane + i] + VGG_MEAN_BGR[2];
  }
  return { data: out, width: w, height: h };
}

/** Lower and upper bounds of each VGG-space value: pixels stay within 0..255. */
export function vggBounds(width: number, height: number): { lower: Float32Array; upper: Float32Array } {
  const plane = width * height;
  const lower = new Float32Array(3 * plane);
  const upper = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    lower.fill(-VGG_MEAN_BGR[c], c * plane, (c + 1) * plane);
    upper.fill(255 - VGG_MEAN_BGR[c], c * plane, (c + 1) * plane);
  }
  return { lower, upper };
}

/** BT.601 luma. */
function luma(r: number, g: number, b: number): number {
  return 0.299 * r + 0.587 * g + 0.114 * b;
}

/** A grey RGB image holding only the luminance (what the network sees in colour-preserving mode). */
export function luminanceOnly(img: RgbImage): RgbImage {
  const out = new Float32Array(img.data.length);
  for (let i = 0; i < out.length; i += 3) {
    const y = luma(img.data[i], img.data[i + 1], img.data[i + 2]);
    out[i] = out[i + 1] = out[i + 2] = y;
  }
  return { data: out, width: img.width, height: img.height };
}

/**
 * The luminance of `lumaSource` with the chroma (YCbCr Cb, Cr) of `colourSource`; both the same size.
 * Used to keep the content's colours while taking the stylized image's light and texture.
 */
export function combineLuminance(lumaSource: RgbImage, colourSource: RgbImage): RgbImage {
  const a = lumaSource.data;
  const b = colourSource.data;
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i += 3) {
    const y = luma(a[i], a[i + 1], a[i + 2]);
    const cb = -0.168736 * b[i] - 0.331264 * b[i + 1] + 0.5 * b[i + 2];
    const cr = 0.5 * b[i] - 0.418688 * b[i + 1] - 0.081312 * b[i + 2];
    out[i] = y + 1.402 * cr;
    out[i + 1] = y - 0.344136 * cb - 0.714136 * cr;
    out[i + 2] = y + 1.772 * cb;
  }
  return { data: out, width: lumaSource.width, height: lumaSource.height };
}

/** Mulberry32: a small seeded PRNG, so noise inits are reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A VGG-space image of uniform noise over the valid pixel range, reproducible from the seed. */
export function noiseImage(width: number, height: number, seed: number): VggImage {
  const rand = seededRandom(seed);
  const { lower, upper } = vggBounds(width, height);
  const data = new Float32Array(3 * width * height);
  for (let i = 0; i < data.length; i++) {
    // Mid-grey ± a moderate amplitude: strong enough to break symmetry, weak enough to converge fast.
    const mid = (lower[i] + upper[i]) / 2;
    data[i] = mid + (rand() - 0.5) * 128;
  }
  return { data, width, height };
}
