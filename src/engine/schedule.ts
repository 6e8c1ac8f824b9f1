/**
 * How a job spends its steps: the coarse-to-fine levels, the most steps each may take, and when a
 * level may stop early because it has converged.
 *
 * - 'quick' (default): a level stops once the loss has improved by less than STOP_TOLERANCE over the
 *   last STOP_WINDOW steps (measured: the structure and style match of a 256-px result settle within
 *   about 30 steps of the fine level, a palette's sooner), and a palette starts one level coarser,
 *   where a step costs a quarter.
 * - 'classic': every level runs its share of the steps to the end; the palette uses the job's levels.
 */
import { MIN_SIDE } from './limits.js';
import type { ScheduleName } from './types.js';

/** Improvement below this share of the loss over STOP_WINDOW steps ends a level. */
export const STOP_TOLERANCE = 0.02;
export const STOP_WINDOW = 10;
/** No level stops before this many steps (nor within STOP_WINDOW steps of a change of weights). */
export const MIN_LEVEL_STEPS = 20;

export interface Level {
  /** Longest side at this level (the last level is the full size). */
  longest: number;
  /** The most steps this level may take. */
  maxSteps: number;
  /** Whether the level may end early on convergence. */
  stopEarly: boolean;
  /**
   * A sharpening level: the composition is done by the coarser levels, so this one only refines the
   * fine strokes, with the shallow style layers alone (SHARPEN_STYLE_LAYERS) and no deep content term.
   */
  sharpen: boolean;
}

/**
 * Under the quick schedule a last level at least this long only sharpens: composition and strokes are
 * drawn at a half and a quarter of the size, where a step costs a quarter and a sixteenth.
 */
export const SHARPEN_FROM = 384;
/**
 * Style layers of a sharpening level. Their receptive fields (at most about 40 px) cover a stroke's
 * edges and texture; the deeper ones, which place whole objects, did their work at the coarser levels.
 * Up to relu3_1 the network costs 31 % of its full depth.
 */
export const SHARPEN_STYLE_LAYERS: readonly string[] = ['relu1_1', 'relu2_1', 'relu3_1'];
/** The most steps of a result's level before the sharpening one (measured: 25 lost the style on eagle × 🎸, 50 the photo). */
export const STROKE_LEVEL_STEPS = 30;
/** The most steps a sharpening level takes: it starts from the upscaled coarser result. */
export const SHARPEN_STEPS = 12;

/**
 * The palette shown with a result of `size` px is drawn at half that size (never below 256 px or above
 * the result), with proportionally fewer tiles (paletteTilesFor): each copy is as large as in the
 * result, so a stroke reads as it will there (a portrait's faces show; at half scale they did not),
 * and the palette costs about a third of the result instead of as much again.
 */
export function paletteSizeFor(size: number): number {
  return Math.min(size, Math.max(PALETTE_MIN_SIZE, Math.round(size / 2)));
}
const PALETTE_MIN_SIZE = 256;

/**
 * A palette is at most this many times as long as it is wide. Its picture is drawn from noise to match
 * the style's statistics, so its frame need not be the style's: a thin object's palette at the object's
 * own aspect would be a strip a few copies high (a 10:1 object at 256 px: 26 px), while the copies it
 * draws keep their aspect whatever the frame (tiling.ts, styleMosaic).
 */
export const PALETTE_MAX_ASPECT = 3;

/** The palette's width and height for a style of `width`×`height` (any scale): longest side `size`. */
export function paletteFrame(width: number, height: number, size: number): { width: number; height: number } {
  const short = Math.max(MIN_SIDE, Math.round(size / Math.min(PALETTE_MAX_ASPECT, Math.max(width, height) / Math.min(width, height))));
  return width >= height ? { width: size, height: short } : { width: short, height: size };
}

/** The tiles of the palette shown with a result of `size` px and `tiles` tiles: copies of the same size. */
export function paletteTilesFor(tiles: number, size: number): number {
  return Math.max(1, Math.round((tiles * paletteSizeFor(size)) / size));
}

/** Longest sides of the coarse-to-fine levels, ending at `size`, none below `minSide` px. */
export function levelSizes(size: number, scales: number, minSide = 32): number[] {
  const out: number[] = [];
  for (let k = scales - 1; k >= 0; k--) {
    const s = Math.round(size / 2 ** k);
    if (s >= minSide || k === 0) out.push(s);
  }
  return out;
}

/**
 * A result's coarsest level: below this a photo's composition is too few pixels to hold (measured:
 * eagle × 🎸 at 224 px kept structure 0.44 starting at 56 px, 0.6 starting at 112). Palettes, drawn
 * from noise, start lower.
 */
const RESULT_MIN_SIDE = 96;

/** Splits `total` steps over levels as evenly as possible, at least one each, the rest to the finest. */
export function splitIterations(total: number, levels: number): number[] {
  const n = Math.min(levels, total);
  const base = Math.floor(total / n);
  const out = new Array<number>(n).fill(base);
  out[n - 1] += total - base * n;
  return out;
}

/**
 * The levels of a picture whose sides are `longest` and `shortest` (square when not given). A coarser
 * level whose short side would be under MIN_SIDE px, where the network's fourth pooling leaves nothing
 * of the picture, is skipped: a wide or thin picture starts at the first level its short side allows,
 * and its steps go to the levels that remain.
 */
export function planLevels(
  opts: { size: number; scales: number; iterations: number; schedule: ScheduleName },
  longest: number,
  palette: boolean,
  shortest = longest,
): Level[] {
  const quick = opts.schedule === 'quick';
  const scales = quick && palette ? opts.scales + 1 : opts.scales;
  const sizes = levelSizes(longest, scales, palette ? 32 : RESULT_MIN_SIDE).filter((s, i, all) => i === all.length - 1 || (s * shortest) / longest >= MIN_SIDE);
  const budget = quick && palette ? Math.max(sizes.length, Math.round(opts.iterations * PALETTE_STEPS)) : opts.iterations;
  const sharpen = quick && sizes.length >= 2 && sizes[sizes.length - 1] >= SHARPEN_FROM && budget > SHARPEN_STEPS + sizes.length;
  if (sharpen) {
    const coarse = sizes.slice(0, -1);
    const steps = palette ? splitPalette(budget - SHARPEN_STEPS, coarse.length) : splitIterations(budget - SHARPEN_STEPS, coarse.length);
    // The level before the sharpening one draws the strokes at half size; past this many steps it
    // only polishes what the sharpening level redraws anyway.
    if (!palette) steps[steps.length - 1] = Math.min(steps[steps.length - 1], STROKE_LEVEL_STEPS);
    return [
      ...coarse.slice(coarse.length - steps.length).map((s, i) => ({ longest: s, maxSteps: steps[i], stopEarly: true, sharpen: false })),
      { longest: sizes[sizes.length - 1], maxSteps: SHARPEN_STEPS, stopEarly: true, sharpen: true },
    ];
  }
  const steps = quick && palette ? splitPalette(budget, sizes.length) : splitIterations(budget, sizes.length);
  return sizes.slice(sizes.length - steps.length).map((s, i) => ({ longest: s, maxSteps: steps[i], stopEarly: quick, sharpen: false }));
}

/**
 * A palette (from noise, never "converged" by the loss's measure) takes this share of the job's steps:
 * measured on the emoji and The Scream, its strokes are drawn by then and only their finish changes.
 */
const PALETTE_STEPS = 0.7;
/** Share of a palette's steps that the full size may take: it only sharpens what the coarser levels drew. */
const PALETTE_FINEST_SHARE = 0.3;

/**
 * A palette starts from noise: the coarse levels, where a step costs a sixteenth and a quarter, do
 * the drawing (each finer level gets 4/5 of the one before), and the full size only sharpens.
 * Measured on the emoji and The Scream: the palettes look the same as with even shares.
 */
function splitPalette(total: number, levels: number): number[] {
  if (levels <= 1 || total < levels) return splitIterations(total, levels);
  const shares = Array.from({ length: levels }, (_, i) => (i === levels - 1 ? PALETTE_FINEST_SHARE : 0.8 ** i));
  const sum = shares.reduce((a, b) => a + b, 0);
  const out = shares.map((s) => Math.max(1, Math.floor((total * s) / sum)));
  out[0] += total - out.reduce((a, b) => a + b, 0);
  return out;
}

/** Tracks one level's losses and says when it has converged. */
export class ConvergenceWatch {
  private readonly history: number[] = [];
  private quietSince = 0;

  /** The weights changed: losses before and after are not comparable. */
  reset(): void {
    this.quietSince = this.history.length;
  }

  /** Records a step's total loss; true when the level may stop. */
  record(total: number): boolean {
    this.history.push(total);
    const k = this.history.length;
    if (k < MIN_LEVEL_STEPS || k - this.quietSince <= STOP_WINDOW) return false;
    const before = this.history[k - 1 - STOP_WINDOW];
    return before - total < STOP_TOLERANCE * Math.abs(total);
  }
}
