/**
 * Is the style's object legible in a result? The share of copy-sized cells of the result that hold a
 * recognizable copy of the object: the object (its mask, cut from the style) is matched at the size a
 * copy has in the result, by normalized cross-correlation of its colours (L*a*b*, inside the mask) and
 * of its edges (gradient magnitude over its box), at every position; a cell holds a copy when the best
 * match centred in it passes MATCH. The plain photo, measured the same way, gives the chance level.
 *
 * The Gram (style) term is not this: it ignores where features sit, so a soup of object parts matches
 * it while no whole object forms.
 */
import sharp, { type Sharp } from 'sharp';
import { rgbToLab } from './lab.js';

/** The object's long side in the matching grid: enough for its outline, cheap to slide everywhere. */
const TEMPLATE_SIDE = 24;
/** Copies are drawn near the tile size, not at it: the sizes tried, relative to it. */
const SIZE_FACTORS = [0.7, 1, 1.3, 1.6];
/**
 * Mean of the colour and edge correlations above which a window is taken for a copy. Calibrated on
 * results: crisp copies score 0.5–0.7, the smeared copies of the README's gallery 0.3–0.45, the plain
 * photos' windows mostly under 0.35 (a red leaf against a strawberry reaches 0.45).
 */
export const MATCH = 0.4;
/** Background: a style pixel this far (ΔE) from its border's colour is the object (no alpha). */
const BACKGROUND_DELTA = 12;
/** Variance floors (L*a*b*², gradient²): a flat window correlates with nothing. */
const COLOUR_FLOOR = 4;
const EDGE_FLOOR = 1;

interface Planes {
  width: number;
  height: number;
  lab: [Float64Array, Float64Array, Float64Array];
  edges: Float64Array;
}

export interface ObjectTemplate extends Planes {
  /** 1 inside the object. */
  mask: Uint8Array;
  /** The object's long side over the style's (where the copy sits within a tile). */
  fraction: number;
}

function gradientMagnitude(L: Float64Array, w: number, h: number): Float64Array {
  const out = new Float64Array(w * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const dx = L[y * w + Math.min(w - 1, x + 1)]! - L[y * w + Math.max(0, x - 1)]!;
      const dy = L[Math.min(h - 1, y + 1) * w + x]! - L[Math.max(0, y - 1) * w + x]!;
      out[y * w + x] = Math.hypot(dx, dy) / 2;
    }
  return out;
}

async function planes(image: Sharp, width: number, height: number): Promise<Planes> {
  // Blurred a little: a drawn copy is soft and off by a pixel here and there, its outline never exact.
  const rgb = await image.resize(width, height, { fit: 'fill' }).blur(0.8).removeAlpha().raw().toBuffer();
  const lab = rgbToLab(rgb, width * height);
  return { width, height, lab, edges: gradientMagnitude(lab[0], width, height) };
}

/** The object of a style image: its alpha where it has one, else what differs from its border's colour. */
export async function objectTemplate(style: Buffer): Promise<ObjectTemplate> {
  const { data, info } = await sharp(style, { pages: 1 }).rotate().toColourspace('srgb').ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const { width, height } = info;
  const n = width * height;
  const rgb = new Uint8Array(3 * n);
  let transparent = 0;
  for (let i = 0; i < n; i++) {
    rgb.set(data.subarray(4 * i, 4 * i + 3), 3 * i);
    if (data[4 * i + 3]! < 128) transparent++;
  }
  const inside = new Uint8Array(n);
  if (transparent > 0.02 * n) {
    for (let i = 0; i < n; i++) inside[i] = data[4 * i + 3]! >= 128 ? 1 : 0;
  } else {
    const [L, A, B] = rgbToLab(rgb, n);
    const border = [...Array(n).keys()].filter((i) => i % width === 0 || i % width === width - 1 || i < width || i >= n - width);
    const median = (p: Float64Array) => border.map((i) => p[i]!).sort((x, y) => x - y)[border.length >> 1]!;
    const [l0, a0, b0] = [median(L), median(A), median(B)];
    for (let i = 0; i < n; i++) inside[i] = Math.hypot(L[i]! - l0, A[i]! - a0, B[i]! - b0) > BACKGROUND_DELTA ? 1 : 0;
  }
  let [x0, y0, x1, y1] = [width, height, -1, -1];
  for (let i = 0; i < n; i++)
    if (inside[i]) {
      const x = i % width;
      const y = Math.floor(i / width);
      [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
    }
  if (x1 < 0) [x0, y0, x1, y1] = [0, 0, width - 1, height - 1];
  const [bw, bh] = [x1 - x0 + 1, y1 - y0 + 1];
  const scale = TEMPLATE_SIDE / Math.max(bw, bh);
  const tw = Math.max(4, Math.round(bw * scale));
  const th = Math.max(4, Math.round(bh * scale));
  const box = { left: x0, top: y0, width: bw, height: bh };
  // Flattened on white, as the engine sees a cut-out style.
  const cut = sharp(Buffer.from(data), { raw: { width, height, channels: 4 } }).extract(box);
  const t = await planes(cut.clone().flatten({ background: '#ffffff' }), tw, th);
  const maskBytes = await sharp(Buffer.from(inside.map((v) => v * 255)), { raw: { width, height, channels: 1 } })
    .extract(box)
    .resize(tw, th, { fit: 'fill' })
    .raw()
    .toBuffer();
  return { ...t, mask: Uint8Array.from(maskBytes, (v) => (v >= 128 ? 1 : 0)), fraction: Math.max(bw, bh) / Math.max(width, height) };
}

/** Normalized cross-correlation of the template's channels with the picture's at (px, py). */
function matchAt(p: Planes, t: ObjectTemplate, px: number, py: number): number {
  let colour = 0;
  let cc = 0;
  let ct = 0;
  for (let ch = 0; ch < 3; ch++) {
    const [P, T] = [p.lab[ch]!, t.lab[ch]!];
    let sp = 0;
    let st = 0;
    let k = 0;
    for (let y = 0; y < t.height; y++)
      for (let x = 0; x < t.width; x++)
        if (t.mask[y * t.width + x]) {
          sp += P[(py + y) * p.width + px + x]!;
          st += T[y * t.width + x]!;
          k++;
        }
    if (!k) return 0;
    const [mp, mt] = [sp / k, st / k];
    for (let y = 0; y < t.height; y++)
      for (let x = 0; x < t.width; x++)
        if (t.mask[y * t.width + x]) {
          const a = P[(py + y) * p.width + px + x]! - mp;
          const b = T[y * t.width + x]! - mt;
          colour += a * b;
          cc += a * a;
          ct += b * b;
        }
  }
  const k = t.mask.reduce((s, v) => s + v, 0);
  const colourNcc = colour / Math.sqrt((cc + COLOUR_FLOOR * k) * (ct + COLOUR_FLOOR * k));
  let sp = 0;
  let st = 0;
  const n = t.width * t.height;
  for (let y = 0; y < t.height; y++)
    for (let x = 0; x < t.width; x++) {
      sp += p.edges[(py + y) * p.width + px + x]!;
      st += t.edges[y * t.width + x]!;
    }
  let e = 0;
  let ep = 0;
  let et = 0;
  for (let y = 0; y < t.height; y++)
    for (let x = 0; x < t.width; x++) {
      const a = p.edges[(py + y) * p.width + px + x]! - sp / n;
      const b = t.edges[y * t.width + x]! - st / n;
      e += a * b;
      ep += a * a;
      et += b * b;
    }
  const edgeNcc = e / Math.sqrt((ep + EDGE_FLOOR * n) * (et + EDGE_FLOOR * n));
  return (colourNcc + edgeNcc) / 2;
}

export interface CopiesFound {
  /** Share of copy-sized cells holding a copy (best size). */
  share: number;
  /** That size, relative to the expected copy size. */
  sizeFactor: number;
  cells: number;
}

/**
 * Copies of the object in a picture, where a copy's long side is about `copySide` px of the picture
 * (tried at SIZE_FACTORS of it; the best size counts).
 */
export async function copiesFound(image: Buffer, t: ObjectTemplate, copySide: number): Promise<CopiesFound> {
  const meta = await sharp(image).metadata();
  const [w0, h0] = (meta.orientation ?? 1) >= 5 ? [meta.height!, meta.width!] : [meta.width!, meta.height!];
  let best: CopiesFound = { share: 0, sizeFactor: 1, cells: 0 };
  for (const factor of SIZE_FACTORS) {
    const scale = TEMPLATE_SIDE / (copySide * factor);
    const width = Math.max(t.width + 1, Math.round(w0 * scale));
    const height = Math.max(t.height + 1, Math.round(h0 * scale));
    const p = await planes(sharp(image, { pages: 1 }).rotate().toColourspace('srgb').flatten({ background: '#ffffff' }), width, height);
    // Cells of a tile's size (one copy each, margins included); a cell's score is the best match
    // whose centre falls in it.
    const cell = TEMPLATE_SIDE / t.fraction;
    const cx = Math.max(1, Math.round(width / cell));
    const cy = Math.max(1, Math.round(height / cell));
    const [cw, ch] = [width / cx, height / cy];
    const cellBest = new Float64Array(cx * cy).fill(-1);
    // Every second position: the blur makes a one-pixel shift cost little, and it is 4× cheaper.
    for (let y = 0; y + t.height <= height; y += 2)
      for (let x = 0; x + t.width <= width; x += 2) {
        const c = Math.min(cy - 1, Math.floor((y + t.height / 2) / ch)) * cx + Math.min(cx - 1, Math.floor((x + t.width / 2) / cw));
        const s = matchAt(p, t, x, y);
        if (s > cellBest[c]!) cellBest[c] = s;
      }
    const share = cellBest.filter((s) => s >= MATCH).length / cellBest.length;
    if (share > best.share || best.cells === 0) best = { share, sizeFactor: factor, cells: cellBest.length };
  }
  return best;
}

export interface Legibility {
  /** Share of the result's copy-sized cells holding a copy of the object. */
  share: number;
  /** The same share in the plain photo: what chance and the photo's own shapes give. */
  chance: number;
  sizeFactor: number;
}

/**
 * Object legibility of a result against its photo. `tileSide`: a style tile's long side in the result's
 * pixels (tileSideOf); the object fills its share of the tile.
 */
export async function objectLegibility(result: Buffer, content: Buffer, style: Buffer, tileSide: number): Promise<Legibility> {
  const t = await objectTemplate(style);
  const side = tileSide * t.fraction;
  const found = await copiesFound(result, t, side);
  // The photo at the result's size, so cells and sizes line up.
  const { width, height } = await sharp(result).metadata();
  const photo = await sharp(content).rotate().resize(width, height, { fit: 'fill' }).png().toBuffer();
  const chance = await copiesFound(photo, t, side);
  return { share: found.share, chance: chance.share, sizeFactor: found.sizeFactor };
}

/**
 * A style tile's long side in a result: the engine draws the style at the result's long side × style
 * scale and repeats it tiles × tiles (tiling.ts), so each tile is that over tiles.
 */
export const tileSideOf = (resultLongSide: number, styleScale: number, tiles: number) => (resultLongSide * styleScale) / Math.max(1, tiles);
