/**
 * The layout term: the coarse light and dark of the content picture, kept while the style redraws
 * everything finer. It is the squared difference of block-averaged luminance (blocks of `block`×`block`
 * pixels, about 64 blocks along the longest side), divided by the variance of the content's own block
 * luminance so that its size does not depend on the photo's contrast:
 *
 *   Llayout(x) = mean_b (Ȳ_b(x) − Ȳ_b(c))² / var_b(Ȳ_b(c)),   Ȳ_b = mean of Y = 0.299R + 0.587G + 0.114B over block b
 *
 * A tiled object is then free to be the brush stroke inside each block, but the blocks still add up
 * to the photo, as in a photomosaic. Computed in JS on the pixels (cheap and exact), for both backends.
 */
import type { VggImage } from './backend.js';

/** Luma weights in the network's BGR channel order. Mean offsets cancel in differences. */
const LUMA_BGR = [0.114, 0.587, 0.299] as const;
/** Blocks along the longest side: the scale at which a picture is recognized at a glance. */
export const LAYOUT_BLOCKS = 64;

export interface LayoutTarget {
  block: number;
  bw: number;
  bh: number;
  /** Block luminance of the content. */
  means: Float64Array;
  /** Variance of `means` (at least 1, so a flat picture does not divide by zero). */
  variance: number;
}

function blockMeans(img: VggImage, block: number, bw: number, bh: number): Float64Array {
  const { data, width: W, height: H } = img;
  const plane = W * H;
  const sums = new Float64Array(bw * bh);
  const counts = new Float64Array(bw * bh);
  for (let y = 0; y < H; y++) {
    const by = Math.min(bh - 1, Math.floor(y / block));
    for (let x = 0; x < W; x++) {
      const b = by * bw + Math.min(bw - 1, Math.floor(x / block));
      const i = y * W + x;
      sums[b] += LUMA_BGR[0] * data[i] + LUMA_BGR[1] * data[plane + i] + LUMA_BGR[2] * data[2 * plane + i];
      counts[b]++;
    }
  }
  for (let b = 0; b < sums.length; b++) sums[b] /= counts[b];
  return sums;
}

export function layoutTarget(content: VggImage): LayoutTarget {
  const block = Math.max(1, Math.round(Math.max(content.width, content.height) / Number(process.env.TS_BLOCKS ?? LAYOUT_BLOCKS)));
  const bw = Math.max(1, Math.floor(content.width / block));
  const bh = Math.max(1, Math.floor(content.height / block));
  const means = blockMeans(content, block, bw, bh);
  const mean = means.reduce((a, b) => a + b, 0) / means.length;
  const variance = Math.max(1, means.reduce((a, b) => a + (b - mean) ** 2, 0) / means.length);
  return { block, bw, bh, means, variance };
}

/** Adds weight·Llayout's gradient to `grad`; returns weight·Llayout. */
export function addLayout(img: VggImage, target: LayoutTarget, weight: number, grad: Float32Array): number {
  if (weight === 0) return 0;
  const { block, bw, bh, means, variance } = target;
  const { width: W, height: H } = img;
  const plane = W * H;
  const now = blockMeans(img, block, bw, bh);
  const nb = means.length;
  let loss = 0;
  const dBlock = new Float64Array(nb);
  const counts = new Float64Array(nb);
  for (let y = 0; y < H; y++) {
    const by = Math.min(bh - 1, Math.floor(y / block));
    for (let x = 0; x < W; x++) counts[by * bw + Math.min(bw - 1, Math.floor(x / block))]++;
  }
  for (let b = 0; b < nb; b++) {
    const d = now[b] - means[b];
    loss += d * d;
    // d/dȲ_b of weight·mean(d²)/var, spread over the block's pixels (Ȳ_b is their mean).
    dBlock[b] = (2 * weight * d) / (nb * variance * counts[b]);
  }
  for (let y = 0; y < H; y++) {
    const by = Math.min(bh - 1, Math.floor(y / block));
    for (let x = 0; x < W; x++) {
      const g = dBlock[by * bw + Math.min(bw - 1, Math.floor(x / block))];
      const i = y * W + x;
      grad[i] += LUMA_BGR[0] * g;
      grad[plane + i] += LUMA_BGR[1] * g;
      grad[2 * plane + i] += LUMA_BGR[2] * g;
    }
  }
  return (weight * loss) / (nb * variance);
}
