/**
 * Is the photo still recognizable in a result? A lineup: the result is described, each photo of a set
 * is described the same way, and the result should be nearer its own photo than every other one.
 *
 * The description is one the loss does not optimize: the layout of edge orientations at a mid scale
 * (96×72, gradients of the L*a*b* planes, 8 orientations in 6×6 cells), like HOG. The layout term keeps
 * block-mean luminance and the content term VGG features; neither asks that the photo's horizon still
 * run level, a boat's hull still slope, or an orange sky still meet a blue one, and a result whose
 * photo vanished under object copies has the copies' outlines, in every direction, instead.
 */
import sharp from 'sharp';
import { rgbToLab } from './lab.js';
import { blur } from './quality.js';

const WIDTH = 96;
const HEIGHT = 72;
const CELLS_X = 6;
const CELLS_Y = 6;
const BINS = 8;
/** A cell's histogram is divided by √(|h|² + (ε·mean |h|)²): a flat sky does not count as much as a hull. */
const FLAT_CELL = 0.2;

/** The edge-orientation layout of an encoded picture (any format sharp reads, flattened on white). */
export async function edgeLayout(image: Buffer): Promise<Float64Array> {
  return (await describe(image)).edges;
}

export interface PhotoDescription {
  edges: Float64Array;
  colours: Float64Array;
  /** How much the colour layout says (0 for a grey picture, near 1 for a colourful one). */
  colourWeight: number;
}

async function describe(image: Buffer): Promise<PhotoDescription> {
  const rgb = await sharp(image, { pages: 1 })
    .rotate()
    .flatten({ background: '#ffffff' })
    .toColourspace('srgb')
    .resize(WIDTH, HEIGHT, { fit: 'fill' })
    .removeAlpha()
    .raw()
    .toBuffer();
  const planes = rgbToLab(rgb, WIDTH * HEIGHT).map((p) => blur(p, WIDTH, HEIGHT));
  const hist = new Float64Array(CELLS_X * CELLS_Y * BINS);
  const cw = WIDTH / CELLS_X;
  const ch = HEIGHT / CELLS_Y;
  for (let y = 1; y < HEIGHT - 1; y++)
    for (let x = 1; x < WIDTH - 1; x++) {
      // The strongest of the three planes' gradients: a colour edge counts as much as a light one.
      let gx = 0;
      let gy = 0;
      let best = -1;
      for (const p of planes) {
        const dx = (p[y * WIDTH + x + 1]! - p[y * WIDTH + x - 1]!) / 2;
        const dy = (p[(y + 1) * WIDTH + x]! - p[(y - 1) * WIDTH + x]!) / 2;
        const m = dx * dx + dy * dy;
        if (m > best) [best, gx, gy] = [m, dx, dy];
      }
      const magnitude = Math.sqrt(best);
      // Unsigned orientation in [0, π), linearly shared between the two nearest bins.
      let t = Math.atan2(gy, gx);
      if (t < 0) t += Math.PI;
      const pos = (t / Math.PI) * BINS - 0.5;
      const lo = Math.floor(pos);
      const frac = pos - lo;
      const cell = Math.min(CELLS_Y - 1, Math.floor(y / ch)) * CELLS_X + Math.min(CELLS_X - 1, Math.floor(x / cw));
      hist[cell * BINS + ((lo + BINS) % BINS)] += magnitude * (1 - frac);
      hist[cell * BINS + ((lo + 1) % BINS)] += magnitude * frac;
    }
  const norms = Array.from({ length: CELLS_X * CELLS_Y }, (_, c) => Math.hypot(...hist.subarray(c * BINS, (c + 1) * BINS)));
  const floor = FLAT_CELL * (norms.reduce((a, b) => a + b, 0) / norms.length) + 1e-9;
  for (let c = 0; c < norms.length; c++) {
    const d = Math.hypot(norms[c]!, floor);
    // Centred on the cell's mean: only the preference for some orientations is kept. Texture with
    // edges in every direction (grass, a soup of object copies) comes out flat, so a busy photo is not
    // near every busy result.
    let mean = 0;
    for (let b = 0; b < BINS; b++) mean += hist[c * BINS + b]! / BINS;
    for (let b = 0; b < BINS; b++) hist[c * BINS + b] = (hist[c * BINS + b]! - mean) / d;
  }
  return { edges: hist, ...chromaLayout(planes[1]!, planes[2]!) };
}

const COLOUR_CELLS_X = 8;
const COLOUR_CELLS_Y = 6;
/** a*b* spread (ΔE) below which a picture counts as grey: its colour layout is noise, not a cue. */
const GREY_SPREAD = 3;
/** Spread (ΔE) at which a photo's colour layout counts half as much as its edges. */
const COLOURFUL_SPREAD = 6;

/**
 * Where the picture's colours sit relative to each other: a*, b* cell means on 8×6, less their mean,
 * over their spread. A result whose colours all moved toward the style's keeps this pattern as long
 * as the sunset is still warmer than the water; object copies strewn over it do not.
 */
function chromaLayout(a: Float64Array, b: Float64Array): { colours: Float64Array; colourWeight: number } {
  const cells = COLOUR_CELLS_X * COLOUR_CELLS_Y;
  const out = new Float64Array(2 * cells);
  const counts = new Float64Array(cells);
  for (let y = 0; y < HEIGHT; y++)
    for (let x = 0; x < WIDTH; x++) {
      const c = Math.floor((y * COLOUR_CELLS_Y) / HEIGHT) * COLOUR_CELLS_X + Math.floor((x * COLOUR_CELLS_X) / WIDTH);
      out[2 * c] += a[y * WIDTH + x]!;
      out[2 * c + 1] += b[y * WIDTH + x]!;
      counts[c]++;
    }
  let ma = 0;
  let mb = 0;
  for (let c = 0; c < cells; c++) {
    out[2 * c] /= counts[c]!;
    out[2 * c + 1] /= counts[c]!;
    ma += out[2 * c]! / cells;
    mb += out[2 * c + 1]! / cells;
  }
  let spread = 0;
  for (let c = 0; c < cells; c++) {
    out[2 * c] -= ma;
    out[2 * c + 1] -= mb;
    spread += (out[2 * c]! ** 2 + out[2 * c + 1]! ** 2) / cells;
  }
  const d = Math.hypot(Math.sqrt(spread), GREY_SPREAD);
  for (let i = 0; i < out.length; i++) out[i] /= d;
  return { colours: out, colourWeight: spread / (spread + COLOURFUL_SPREAD ** 2) };
}

function cosine(a: Float64Array, b: Float64Array): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return aa && bb ? ab / Math.sqrt(aa * bb) : 0;
}

export interface LineupPhoto {
  name: string;
  layout: PhotoDescription;
}

/**
 * The edge and colour layouts' cosines, the colour weighed by how colourful the photo is: a grey
 * photo (fog, a greyscale shot) has no colour layout to keep, so a result is judged on its edges.
 */
const similarity = (result: PhotoDescription, photo: PhotoDescription) =>
  (cosine(result.edges, photo.edges) + photo.colourWeight * cosine(result.colours, photo.colours)) / (1 + photo.colourWeight);

/** The photos of a lineup, described once. */
export async function lineupOf(photos: { name: string; image: Buffer }[]): Promise<LineupPhoto[]> {
  return Promise.all(photos.map(async (p) => ({ name: p.name, layout: await describe(p.image) })));
}

export interface LineupPlace {
  /** 1 = the result is nearer its own photo than every other photo. */
  rank: number;
  /** Photos in the lineup, its own included. */
  of: number;
  /** Similarity (cosine, −1–1) to its own photo. */
  own: number;
  /** The other photo it is nearest, and how near. */
  nearest: string;
  nearestSimilarity: number;
  /** own − nearestSimilarity: above 0 when it ranks first; the larger, the surer. */
  margin: number;
}

/** Where a result stands in the lineup: how many photos it is at least as near as its own. */
export async function placeInLineup(result: Buffer, own: string, photos: LineupPhoto[]): Promise<LineupPlace> {
  const r = await describe(result);
  const mine = photos.find((p) => p.name === own);
  if (!mine) throw new Error(`${own} is not in the lineup`);
  const ownSimilarity = similarity(r, mine.layout);
  const others = photos.filter((p) => p !== mine).map((p) => ({ name: p.name, s: similarity(r, p.layout) }));
  const nearest = others.reduce((a, b) => (b.s > a.s ? b : a), { name: '-', s: -1 });
  return {
    rank: 1 + others.filter((o) => o.s >= ownSimilarity).length,
    of: photos.length,
    own: ownSimilarity,
    nearest: nearest.name,
    nearestSimilarity: nearest.s,
    margin: ownSimilarity - nearest.s,
  };
}
