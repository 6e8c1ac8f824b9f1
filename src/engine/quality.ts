/**
 * Image measures of a result, so quality can be compared across runs and reviews:
 * - structure: how much of the content's layout survives (SSIM of blurred small luminance);
 * - colour shift: how far the result's colours moved from the content's toward the style's.
 * Both work on encoded images (any format sharp reads), flattened on white.
 */
import sharp from 'sharp';
import { toBytes, type RgbImage } from './image.js';

const STRUCTURE_WIDTH = 64;
const SSIM_WINDOW = 8;
const SSIM_STRIDE = 4;
const C1 = (0.01 * 255) ** 2;
const C2 = (0.03 * 255) ** 2;

async function rgbAt(input: Buffer | RgbImage, width: number, height: number): Promise<Buffer> {
  const image = Buffer.isBuffer(input)
    ? sharp(input, { pages: 1 }).rotate().toColourspace('srgb').flatten({ background: '#ffffff' })
    : sharp(toBytes(input), { raw: { width: input.width, height: input.height, channels: 3 } });
  return image.resize(width, height, { fit: 'fill' }).removeAlpha().raw().toBuffer();
}

/** BT.601 luma of an RGB buffer. */
function luma(rgb: Buffer): Float64Array {
  const out = new Float64Array(rgb.length / 3);
  for (let i = 0; i < out.length; i++) out[i] = 0.299 * rgb[3 * i] + 0.587 * rgb[3 * i + 1] + 0.114 * rgb[3 * i + 2];
  return out;
}

/** Separable Gaussian blur (σ = 1, radius 3), edges clamped. */
export function blur(img: Float64Array, width: number, height: number): Float64Array {
  const k = [-3, -2, -1, 0, 1, 2, 3].map((d) => Math.exp(-(d * d) / 2));
  const sum = k.reduce((a, b) => a + b, 0);
  const kn = k.map((v) => v / sum);
  const pass = (src: Float64Array, horizontal: boolean) => {
    const out = new Float64Array(src.length);
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        let acc = 0;
        for (let d = -3; d <= 3; d++) {
          const xx = horizontal ? Math.min(width - 1, Math.max(0, x + d)) : x;
          const yy = horizontal ? y : Math.min(height - 1, Math.max(0, y + d));
          acc += kn[d + 3] * src[yy * width + xx];
        }
        out[y * width + x] = acc;
      }
    return out;
  };
  return pass(pass(img, true), false);
}

/** A window's weight in the mean, by its top-left corner (default: every window counts once). */
type WindowWeight = (x0: number, y0: number) => number;

function meanSsim(a: Float64Array, b: Float64Array, width: number, height: number, weight: WindowWeight = () => 1): number {
  let total = 0;
  let windows = 0;
  const n = SSIM_WINDOW * SSIM_WINDOW;
  for (let y0 = 0; y0 + SSIM_WINDOW <= height; y0 += SSIM_STRIDE)
    for (let x0 = 0; x0 + SSIM_WINDOW <= width; x0 += SSIM_STRIDE) {
      let sa = 0;
      let sb = 0;
      let saa = 0;
      let sbb = 0;
      let sab = 0;
      for (let y = y0; y < y0 + SSIM_WINDOW; y++)
        for (let x = x0; x < x0 + SSIM_WINDOW; x++) {
          const va = a[y * width + x];
          const vb = b[y * width + x];
          sa += va;
          sb += vb;
          saa += va * va;
          sbb += vb * vb;
          sab += va * vb;
        }
      const ma = sa / n;
      const mb = sb / n;
      const va = saa / n - ma * ma;
      const vb = sbb / n - mb * mb;
      const cov = sab / n - ma * mb;
      const w = weight(x0, y0);
      total += (w * ((2 * ma * mb + C1) * (2 * cov + C2))) / ((ma * ma + mb * mb + C1) * (va + vb + C2));
      windows += w;
    }
  return windows ? total / windows : 1;
}

/**
 * Mean SSIM (8×8 windows, stride 4) of the σ=1-blurred luminance of both images at 64 px wide (height
 * by the content's aspect). 1 = the content's layout; a result whose content vanished scores 0.2–0.4.
 */
export async function structureKept(content: Buffer, result: Buffer): Promise<number> {
  const meta = await sharp(content).metadata();
  const [w0, h0] = (meta.orientation ?? 1) >= 5 ? [meta.height!, meta.width!] : [meta.width!, meta.height!];
  return structureAt(content, result, w0, h0);
}

/** structureKept of decoded images (the engine measures its work in progress with it). */
export function structureOfRgb(content: RgbImage, result: RgbImage): Promise<number> {
  return structureAt(content, result, content.width, content.height);
}

async function structureAt(content: Buffer | RgbImage, result: Buffer | RgbImage, w0: number, h0: number, mask?: SubjectMask): Promise<number> {
  const width = STRUCTURE_WIDTH;
  const height = Math.max(SSIM_WINDOW, Math.round((width * h0) / w0));
  const a = blur(luma(await rgbAt(content, width, height)), width, height);
  const b = blur(luma(await rgbAt(result, width, height)), width, height);
  return meanSsim(a, b, width, height, mask ? maskCoverage(mask, width, height) : undefined);
}

/** Where a picture's subjects are: 1 = subject, at any resolution of the picture's aspect. */
export interface SubjectMask {
  mask: Uint8Array;
  width: number;
  height: number;
}

/** A window's share of subject pixels, the mask read at the structure map's scale. */
function maskCoverage(m: SubjectMask, width: number, height: number): WindowWeight {
  return (x0, y0) => {
    let on = 0;
    for (let y = y0; y < y0 + SSIM_WINDOW; y++)
      for (let x = x0; x < x0 + SSIM_WINDOW; x++) {
        const mx = Math.min(m.width - 1, Math.floor(((x + 0.5) * m.width) / width));
        const my = Math.min(m.height - 1, Math.floor(((y + 0.5) * m.height) / height));
        on += m.mask[my * m.width + mx]!;
      }
    return on / (SSIM_WINDOW * SSIM_WINDOW);
  };
}

/**
 * structureKept on the content's subjects alone: each window weighed by its share of subject pixels
 * (subject-scale.ts), so a herd that vanished under the strokes scores low even where the sky and the
 * ground still hold the picture's overall light and dark.
 */
export async function subjectStructureKept(content: Buffer, result: Buffer, mask: SubjectMask): Promise<number> {
  const meta = await sharp(content).metadata();
  const [w0, h0] = (meta.orientation ?? 1) >= 5 ? [meta.height!, meta.width!] : [meta.width!, meta.height!];
  return structureAt(content, result, w0, h0, mask);
}

/** 512-bin RGB histogram (top 3 bits per channel) at 64×64, as fractions. */
async function histogram(bytes: Buffer): Promise<Float64Array> {
  const rgb = await rgbAt(bytes, 64, 64);
  const h = new Float64Array(512);
  for (let i = 0; i < rgb.length; i += 3) h[((rgb[i] >> 5) << 6) | ((rgb[i + 1] >> 5) << 3) | (rgb[i + 2] >> 5)]++;
  for (let i = 0; i < 512; i++) h[i] /= rgb.length / 3;
  return h;
}

const l1 = (a: Float64Array, b: Float64Array) => a.reduce((s, v, i) => s + Math.abs(v - b[i]), 0);

/**
 * Where the result's colours sit between the content's (0) and the style's (1):
 * (L1(content,result) − L1(style,result) + L1(content,style)) / (2·L1(content,style)).
 */
export async function colourShift(content: Buffer, style: Buffer, result: Buffer): Promise<number> {
  const [c, s, r] = await Promise.all([histogram(content), histogram(style), histogram(result)]);
  const cs = l1(c, s);
  if (cs === 0) return 1;
  return (l1(c, r) - l1(s, r) + cs) / (2 * cs);
}
