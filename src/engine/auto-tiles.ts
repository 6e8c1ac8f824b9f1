/**
 * `tiles=auto`: how many times to repeat a style image, judged from the image itself with cheap
 * statistics (a 96-px thumbnail, a few milliseconds), so the choice is made before the job is queued.
 *
 * Tiling helps exactly when the style image is not the same everywhere. A painting, a texture or a
 * pattern has the same kind of marks in every part, and a landscape's bands (sky, hills, field) run
 * across the whole width: their Gram matrices already describe a stroke. A subject — an emoji on
 * white, a face in front of a flag, an animal in the grass — differs from what is beside it; repeated
 * N×N, the subject itself becomes the stroke. Two cues:
 *  - a cut-out: the border is one plain colour and the centre is not (an object on a background);
 *  - a subject: split the image into a grid of crops and measure how far each crop's colour and
 *    detail statistics are from the other crops of its row (mostly) and its column (a little), on
 *    4×4, 5×5 and 6×6 grids. A subject stands out from its neighbours along the row; paintings,
 *    textures and landscapes look alike along it.
 * The threshold was set on the labelled styles of test/fixtures/styles (see the README's tiles=auto
 * section for the agreement and the images it gets wrong).
 *
 * N is then chosen so that one copy of the style image spans about COPY_PX pixels of the result:
 * large enough to make out a face or an emoji, small enough that several copies make a texture. With
 * the content picture at hand, a copy is also no larger than its subjects (subject-scale.ts), never
 * below MIN_COPY_PX: a small subject then spans at least a copy instead of vanishing inside one. (Half
 * a subject was tried: at 384 px it took the eagle, whose colour regions are patchy, to 7 tiles and its
 * structure from 0.54 to 0.41; keeping the subjects themselves is the content term's work, loss.ts.)
 *
 * An object's copy is measured on its short side too: a copy's long side is size/tiles, so a wide
 * object (a lion lying down, 4:1) at the square's 85 px is 21 px high, and the network draws its legs
 * and mane as separate strokes. Its copy is made long enough that its short side is at least
 * OBJECT_MIN_SHORT_PX, the receptive field of relu4_1, the first style layer that sees an object whole
 * (../notes: relu3_1 24 px, relu4_1 68, relu5_1 156) — fewer, larger copies, down to AUTO_TILES_MIN.
 */
import { rgbThumbnail, type RgbBytes } from './image.js';
import { objectOnPlainBackground } from './style-crop.js';
import type { SubjectScale } from './subject-scale.js';

const THUMB = 96;
/** On-screen size of one copy of the style image in the result, in pixels. */
export const COPY_PX = 85;
export const AUTO_TILES_MIN = 2;
/** A copy is at most this share of the content's subjects. */
export const SUBJECT_SHARE = 1;
/** Below this a face's eyes and mouth no longer form in a copy. */
export const MIN_COPY_PX = 56;
export const AUTO_TILES_MAX = 12;
/** The least short side of an object's copy: relu4_1's receptive field, which sees the object whole. */
export const OBJECT_MIN_SHORT_PX = 68;
/** An object at most this many times as long as it is wide is described by one length ("≈ 85 px"). */
const SQUARE_ENOUGH = 1.25;
/** Row-and-column crop difference from which an image counts as a subject photo. */
const SUBJECT_THRESHOLD = 0.74;
const GRIDS = [4, 5, 6];

export interface TilesChoice {
  tiles: number;
  /** A few words for the user: why this many. */
  reason: string;
}

export type StyleKind = 'cut-out' | 'subject' | 'uniform';

export interface StyleCues {
  /** Share of border pixels close to the border's median colour (1 = a plain background). */
  plainBorder: number;
  /** Share of the centre's pixels close to that colour (low when an object fills the centre). */
  centreLikeBorder: number;
  /** How far crops differ from the others of their row, plus a tenth of it along columns. */
  cropDifference: number;
}

type Thumb = RgbBytes;

const thumbnail = (bytes: Buffer): Promise<Thumb> => rgbThumbnail(bytes, THUMB);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The plain-border cue: the border's colour, and how much of the border and of the centre have it. */
function borderCues({ data, width, height }: Thumb): Pick<StyleCues, 'plainBorder' | 'centreLikeBorder'> {
  const ring = Math.max(2, Math.round(Math.min(width, height) * 0.06));
  const rgb = (x: number, y: number) => [0, 1, 2].map((c) => data[(y * width + x) * 3 + c]!);
  const border: number[][] = [];
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) if (x < ring || y < ring || x >= width - ring || y >= height - ring) border.push(rgb(x, y));
  const ref = [0, 1, 2].map((c) => median(border.map((p) => p[c]!)));
  const near = (p: number[]) => Math.max(...p.map((v, c) => Math.abs(v - ref[c]!))) <= 24;
  let centre = 0;
  let centreNear = 0;
  for (let y = Math.floor(height / 4); y < (height * 3) / 4; y++)
    for (let x = Math.floor(width / 4); x < (width * 3) / 4; x++) {
      centre++;
      if (near(rgb(x, y))) centreNear++;
    }
  return { plainBorder: border.filter(near).length / border.length, centreLikeBorder: centreNear / Math.max(1, centre) };
}

/** One crop's statistics: mean and spread of an opponent colour space, and its mean gradient. */
interface CropStats {
  mean: number[];
  spread: number[];
  detail: number;
}

function gridStats({ data, width, height }: Thumb, grid: number): { crops: CropStats[]; whole: CropStats } {
  const sums = Array.from({ length: grid * grid + 1 }, () => ({ n: 0, s: [0, 0, 0], s2: [0, 0, 0], e: 0 }));
  const luma = (x: number, y: number) => (data[(y * width + x) * 3]! + data[(y * width + x) * 3 + 1]! + data[(y * width + x) * 3 + 2]!) / 3;
  for (let y = 0; y < height - 1; y++)
    for (let x = 0; x < width - 1; x++) {
      const i = (y * width + x) * 3;
      const [r, g, b] = [data[i]!, data[i + 1]!, data[i + 2]!];
      const v = [(r + g + b) / 3, r - g, (r + g) / 2 - b];
      const e = Math.abs(luma(x + 1, y) - v[0]!) + Math.abs(luma(x, y + 1) - v[0]!);
      const cell = Math.min(grid - 1, Math.floor((y * grid) / height)) * grid + Math.min(grid - 1, Math.floor((x * grid) / width));
      for (const t of [sums[cell]!, sums[grid * grid]!]) {
        t.n++;
        t.e += e;
        for (let k = 0; k < 3; k++) {
          t.s[k]! += v[k]!;
          t.s2[k]! += v[k]! * v[k]!;
        }
      }
    }
  const stats = sums.map((t) => {
    const n = Math.max(1, t.n);
    const mean = t.s.map((s) => s / n);
    return { mean, spread: t.s2.map((s2, k) => Math.sqrt(Math.max(0, s2 / n - mean[k]! ** 2))), detail: t.e / n };
  });
  return { crops: stats.slice(0, grid * grid), whole: stats[grid * grid]! };
}

const average = (xs: CropStats[]): CropStats => ({
  mean: [0, 1, 2].map((k) => xs.reduce((a, c) => a + c.mean[k]!, 0) / xs.length),
  spread: [0, 1, 2].map((k) => xs.reduce((a, c) => a + c.spread[k]!, 0) / xs.length),
  detail: xs.reduce((a, c) => a + c.detail, 0) / xs.length,
});

/** Mean difference of crops from their row's (or column's) average, on one grid. */
function rowAndColumnDifference(thumb: Thumb, grid: number): { row: number; column: number } {
  const { crops, whole } = gridStats(thumb, grid);
  // Colour differences count relative to the image's own contrast; detail as a ratio.
  const scale = Math.hypot(...whole.spread) + 8;
  const distance = (p: CropStats, q: CropStats) =>
    Math.hypot(...p.mean.map((m, k) => m - q.mean[k]!)) / scale +
    Math.hypot(...p.spread.map((s, k) => s - q.spread[k]!)) / scale +
    Math.abs(Math.log((p.detail + 2) / (q.detail + 2)));
  let row = 0;
  let column = 0;
  for (let i = 0; i < grid; i++) {
    const inRow = crops.slice(i * grid, (i + 1) * grid);
    const inColumn = crops.filter((_, j) => j % grid === i);
    const rowMean = average(inRow);
    const columnMean = average(inColumn);
    row += inRow.reduce((a, c) => a + distance(c, rowMean), 0);
    column += inColumn.reduce((a, c) => a + distance(c, columnMean), 0);
  }
  return { row: row / crops.length, column: column / crops.length };
}

/** Measures the cues of an image (any format sharp reads). */
export async function styleCues(bytes: Buffer): Promise<StyleCues> {
  return cuesOf(await thumbnail(bytes));
}

function cuesOf(thumb: Thumb): StyleCues {
  const diffs = GRIDS.map((g) => rowAndColumnDifference(thumb, g));
  const mean = (k: 'row' | 'column') => diffs.reduce((a, d) => a + d[k], 0) / diffs.length;
  return { ...borderCues(thumb), cropDifference: mean('row') + 0.1 * mean('column') };
}

/** What the cues say the image is. */
export function styleKind(c: StyleCues): StyleKind {
  if (c.plainBorder >= 0.6 && c.centreLikeBorder <= 0.6) return 'cut-out';
  return c.cropDifference >= SUBJECT_THRESHOLD ? 'subject' : 'uniform';
}

/** Tiles for a result whose longest side is `size`: one copy of the style about `copy` px wide (COPY_PX unless given). */
export function tilesForSize(size: number, copy = COPY_PX): number {
  return Math.min(AUTO_TILES_MAX, Math.max(AUTO_TILES_MIN, Math.round(size / copy)));
}

/** The width of one copy in a result of `size` px whose subjects are `subjectShare` of its longest side. */
export function copyPxFor(size: number, subjectShare?: number): number {
  if (subjectShare === undefined) return COPY_PX;
  return Math.min(COPY_PX, Math.max(MIN_COPY_PX, SUBJECT_SHARE * subjectShare * size));
}

/**
 * Tiles for an object `aspect` times as long as it is wide whose copy would be `copy` px long (the
 * square's rule): no more than leave each copy's short side OBJECT_MIN_SHORT_PX (rounded down, so that
 * a copy is never below it where the result is large enough), never under AUTO_TILES_MIN.
 */
export function objectTilesForSize(size: number, copy: number, aspect: number): number {
  const legible = Math.floor(size / (OBJECT_MIN_SHORT_PX * Math.max(1, aspect)));
  return Math.max(AUTO_TILES_MIN, Math.min(tilesForSize(size, copy), legible));
}

/** How many times as long as it is wide the object on a plain background is (1 when none is found), and which way. */
function objectShape(thumb: Thumb): { aspect: number; wide: boolean } {
  const box = objectOnPlainBackground(thumb);
  if (!box) return { aspect: 1, wide: true };
  const w = box.width * thumb.width;
  const h = box.height * thumb.height;
  return { aspect: Math.max(w, h) / Math.max(1e-6, Math.min(w, h)), wide: w >= h };
}

/** "4 times as wide as tall" in a few words (aspect ≥ SQUARE_ENOUGH), whole or to one decimal. */
function aspectWords(aspect: number, wide: boolean): string {
  const times = aspect >= 3 ? String(Math.round(aspect)) : String(Math.round(aspect * 10) / 10);
  return `${times} times as ${wide ? 'wide as tall' : 'tall as wide'}`;
}

/**
 * Tiles for a style image at a result size (longest side): 1 for paintings/textures/landscapes, more for
 * subjects; more, smaller copies where the content picture's subjects (when given) are smaller than a copy;
 * fewer, larger ones where an object's copy would be too thin to show it whole (objectTilesForSize).
 */
export async function chooseTiles(style: Buffer, size: number, subjects?: SubjectScale): Promise<TilesChoice> {
  const thumb = await thumbnail(style);
  const kind = styleKind(await cuesOf(thumb));
  if (kind === 'uniform') return { tiles: 1, reason: 'the style looks alike all over, like a painting, texture or landscape' };
  const copy = copyPxFor(size, subjects?.share);
  const small = copy < COPY_PX ? `, no larger than the photo's ${subjects!.faces > 0 ? 'people' : 'subjects'}` : '';
  if (kind === 'subject') {
    const tiles = tilesForSize(size, copy);
    return { tiles, reason: `the style is a photo of a subject; each copy ≈ ${Math.round(size / tiles)} px${small}` };
  }
  const { aspect, wide } = objectShape(thumb);
  const tiles = objectTilesForSize(size, copy, aspect);
  const long = Math.round(size / tiles);
  const short = Math.round(long / aspect);
  // Say so where the object's shape decided the copy: fewer copies than the square's rule, or the fewest
  // and still too thin.
  const widened = tiles < tilesForSize(size, copy);
  const cramped = tiles === AUTO_TILES_MIN && aspect >= SQUARE_ENOUGH && short < OBJECT_MIN_SHORT_PX * 0.9;
  const why = widened && !cramped ? ', large enough to show the whole object' : cramped ? `, the largest that ${tiles} copies across allow` : small;
  if (aspect < SQUARE_ENOUGH) return { tiles, reason: `the style is a single object on a plain background; each copy ≈ ${long} px${why}` };
  const [w, h] = wide ? [long, short] : [short, long];
  return { tiles, reason: `the style is a single object on a plain background, ${aspectWords(aspect, wide)}; each copy ≈ ${w}×${h} px${why}` };
}
