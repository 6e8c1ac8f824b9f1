/**
 * Colour control (Gatys et al. 2017, "Controlling Perceptual Factors in Neural Style Transfer", §5):
 * the style image's colours are moved to the photo's before its Gram matrices are taken, by the affine
 * map that gives the style's pixels the photo's mean and covariance. The object's shapes, edges and
 * shading stay (an affine map of colour moves no pixel); only its palette becomes the photo's, so the
 * strokes no longer repaint the photo in the object's colours (a sunset in a duck's yellow, leaves in a
 * cut-out's white).
 *
 *   x' = A (x − μs) + μc,   A = Σc^½ Σs^−½   (symmetric square roots, the paper's "image analogies" form)
 *
 * Modes:
 *  - 'image': the style's statistics over all its pixels, background included (the paper's form);
 *  - 'object': for an object cut out on a plain background, the statistics of the object's pixels
 *    alone (white would dominate them otherwise: neural-style-pt's masked style loss makes the same
 *    point), and the background painted in the photo's mean colour, so the style no longer asks for
 *    areas of flat white. A style without a plain background is matched as in 'image'.
 * Works on the style before tiling: the loss graph is unchanged.
 */
import type { RgbImage } from './image.js';
import type { ColourMatchMode } from './types.js';

export type { ColourMatchMode };

export interface ColourStats {
  mean: [number, number, number];
  /** Row-major 3×3 covariance of R, G, B (0..255). */
  cov: number[];
}

/** Keeps a singular covariance (a flat or two-colour image) invertible: a variance of 1 grey level². */
const COV_FLOOR = 1;
/** A pixel differs from a plain background when a channel is this far from its colour (as style-crop.ts). */
const BACKGROUND_TOLERANCE = 24;
/** Share of the border in the background's colour for a plain background (as style-crop.ts). */
const PLAIN_BORDER = 0.6;
/** An object covering less than this share of the picture is too little to measure: the whole image is. */
const MIN_OBJECT_SHARE = 0.02;

/** Mean and covariance of the pixels where `mask` is 1 (all pixels without a mask). */
export function colourStats(img: RgbImage, mask?: Uint8Array): ColourStats {
  const d = img.data;
  const n = img.width * img.height;
  const mean: [number, number, number] = [0, 0, 0];
  let count = 0;
  for (let i = 0; i < n; i++) {
    if (mask && !mask[i]) continue;
    count++;
    for (let c = 0; c < 3; c++) mean[c] += d[3 * i + c];
  }
  for (let c = 0; c < 3; c++) mean[c] /= Math.max(1, count);
  const cov = new Array<number>(9).fill(0);
  for (let i = 0; i < n; i++) {
    if (mask && !mask[i]) continue;
    for (let a = 0; a < 3; a++) for (let b = a; b < 3; b++) cov[a * 3 + b] += (d[3 * i + a] - mean[a]) * (d[3 * i + b] - mean[b]);
  }
  for (let a = 0; a < 3; a++)
    for (let b = a; b < 3; b++) {
      cov[a * 3 + b] /= Math.max(1, count);
      cov[b * 3 + a] = cov[a * 3 + b];
    }
  return { mean, cov };
}

/** Eigen-decomposition of a symmetric 3×3 matrix by Jacobi rotations: values and column eigenvectors. */
function symmetricEigen(m: number[]): { values: number[]; vectors: number[] } {
  const a = m.slice();
  const v = [1, 0, 0, 0, 1, 0, 0, 0, 1];
  for (let sweep = 0; sweep < 50; sweep++) {
    const off = a[1] * a[1] + a[2] * a[2] + a[5] * a[5];
    if (off < 1e-18) break;
    for (const [p, q] of [
      [0, 1],
      [0, 2],
      [1, 2],
    ] as const) {
      const apq = a[p * 3 + q];
      if (Math.abs(apq) < 1e-30) continue;
      const theta = (a[q * 3 + q] - a[p * 3 + p]) / (2 * apq);
      const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
      const c = 1 / Math.sqrt(t * t + 1);
      const s = t * c;
      // a ← Jᵀ a J, v ← v J, with J the rotation in the (p, q) plane.
      for (let k = 0; k < 3; k++) {
        const akp = a[k * 3 + p];
        const akq = a[k * 3 + q];
        a[k * 3 + p] = c * akp - s * akq;
        a[k * 3 + q] = s * akp + c * akq;
      }
      for (let k = 0; k < 3; k++) {
        const apk = a[p * 3 + k];
        const aqk = a[q * 3 + k];
        a[p * 3 + k] = c * apk - s * aqk;
        a[q * 3 + k] = s * apk + c * aqk;
      }
      for (let k = 0; k < 3; k++) {
        const vkp = v[k * 3 + p];
        const vkq = v[k * 3 + q];
        v[k * 3 + p] = c * vkp - s * vkq;
        v[k * 3 + q] = s * vkp + c * vkq;
      }
    }
  }
  return { values: [a[0], a[4], a[8]], vectors: v };
}

/** f(M) for symmetric M = V diag(λ) Vᵀ: V diag(f(λ)) Vᵀ. */
function symmetricPower(m: number[], power: number): number[] {
  const { values, vectors: v } = symmetricEigen(m);
  const f = values.map((l) => Math.max(l, COV_FLOOR) ** power);
  const out = new Array<number>(9).fill(0);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) out[i * 3 + j] += v[i * 3 + k] * f[k] * v[j * 3 + k];
  return out;
}

function multiply(a: number[], b: number[]): number[] {
  const out = new Array<number>(9).fill(0);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) out[i * 3 + j] += a[i * 3 + k] * b[k * 3 + j];
  return out;
}

/** The affine colour map that takes pixels with statistics `from` to statistics `to`. */
export function colourTransfer(from: ColourStats, to: ColourStats): (r: number, g: number, b: number) => [number, number, number] {
  const A = multiply(symmetricPower(to.cov, 0.5), symmetricPower(from.cov, -0.5));
  return (r, g, b) => {
    const x = [r - from.mean[0], g - from.mean[1], b - from.mean[2]];
    return [0, 1, 2].map((i) => A[i * 3] * x[0] + A[i * 3 + 1] * x[1] + A[i * 3 + 2] * x[2] + to.mean[i]) as [number, number, number];
  };
}

/**
 * The pixels of an object on a plain background (1) and of the background (0), or null when the border
 * is not plain or the object is too small to measure. The background is the border's median colour.
 */
export function objectMask(img: RgbImage): Uint8Array | null {
  const { data, width, height } = img;
  const ring = Math.max(1, Math.round(Math.min(width, height) * 0.03));
  const border: number[] = [];
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) if (x < ring || y < ring || x >= width - ring || y >= height - ring) border.push(y * width + x);
  const ref = [0, 1, 2].map((c) => {
    const v = border.map((i) => data[3 * i + c]).sort((a, b) => a - b);
    return v[v.length >> 1];
  });
  const differs = (i: number) => [0, 1, 2].some((c) => Math.abs(data[3 * i + c] - ref[c]) > BACKGROUND_TOLERANCE);
  if (border.filter((i) => !differs(i)).length < PLAIN_BORDER * border.length) return null;
  const mask = new Uint8Array(width * height);
  let count = 0;
  for (let i = 0; i < mask.length; i++)
    if (differs(i)) {
      mask[i] = 1;
      count++;
    }
  return count >= MIN_OBJECT_SHARE * mask.length ? mask : null;
}

/**
 * The colour match of a job. 'auto' gives a tiled style (an object as the stroke) the photo's colours
 * by the whole style's statistics ('image'), and leaves an untiled painting its own colours, which are
 * its style. Measured at 384 px on six full-frame photos under tiled objects (a duck, strawberries, a
 * sunflower, an apple, a football): the photos came back (mean a*b* distance of 12×8 block means to
 * the photo 10–55 → 5–12) with the objects still formed; 'object' brought the colours back as well
 * but its flat background weakened the copies (thin ones, a guitar or a controller, nearly vanished).
 * None with preserveColors: the network sees grey anyway.
 */
export function colourMatchFor(asked: ColourMatchMode | 'auto', tiles: number, preserveColors: boolean): ColourMatchMode {
  if (preserveColors) return 'none';
  if (asked === 'auto') return tiles > 1 ? 'image' : 'none';
  return asked;
}

/**
 * How far a job's style takes the photo's colours, from its strength: all the way up to the default
 * (5), none at 10, where the style may take over with its own colours as it did without the match.
 * Measured at 384 px half-way (strength 7.5): the objects keep their own colours (red strawberries,
 * yellow smileys) and the photo half returns (a herd of horses under strawberries, not a forest).
 */
export function colourShare(strength: number): number {
  return Math.min(1, Math.max(0, (10 - strength) / 5));
}

/** Statistics `share` of the way from `a` to `b` (means and covariances interpolated). */
export function between(a: ColourStats, b: ColourStats, share: number): ColourStats {
  const lerp = (x: number, y: number) => x + share * (y - x);
  return { mean: a.mean.map((v, i) => lerp(v, b.mean[i])) as ColourStats['mean'], cov: a.cov.map((v, i) => lerp(v, b.cov[i])) };
}

/**
 * The style with its colours moved to the photo's (`photo`: the photo's statistics), per `mode`;
 * `share` < 1 moves them only part of the way, so the object keeps some of its own colour.
 */
export function matchColours(style: RgbImage, photo: ColourStats, mode: ColourMatchMode, share = 1): RgbImage {
  if (mode === 'none' || share <= 0) return style;
  const mask = mode === 'object' ? objectMask(style) : null;
  const own = colourStats(style, mask ?? undefined);
  const map = colourTransfer(own, between(own, photo, share));
  const out = new Float32Array(style.data.length);
  const d = style.data;
  for (let i = 0; i < out.length / 3; i++) {
    const [r, g, b] = mask && !mask[i] ? photo.mean : map(d[3 * i], d[3 * i + 1], d[3 * i + 2]);
    out[3 * i] = Math.min(255, Math.max(0, r));
    out[3 * i + 1] = Math.min(255, Math.max(0, g));
    out[3 * i + 2] = Math.min(255, Math.max(0, b));
  }
  return { data: out, width: style.width, height: style.height };
}
