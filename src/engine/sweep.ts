/**
 * The palette sweep: one style's palettes at 1, 2, 4 and 8 tiles side by side in one labelled
 * picture, so a user can see what tiling does to their style and pick a count. Each palette is made
 * at half the asked size: four at a quarter of the pixels cost about as much as one palette at full
 * size.
 */
import sharp from 'sharp';
import { LIMITS } from './limits.js';
import type { Progress, RunControls, StyleInput, TransferOptions, TransferResult } from './types.js';

export const SWEEP_TILES = [1, 2, 4, 8] as const;
const LABEL_PX = 24;
const GAP_PX = 4;

export interface SweepCell {
  tiles: number;
  steps: number;
  wallMs: number;
}

export interface SweepResult {
  /** PNG: the palettes in a row, each under its label. */
  image: Buffer;
  /** Longest side of each palette in the picture. */
  cellSize: number;
  cells: SweepCell[];
  wallMs: number;
}

/** Each palette's longest side: half the asked size (never under the smallest size the engine runs). */
export function sweepCellSize(size: number): number {
  return Math.max(LIMITS.size.min, Math.round(size / 2));
}

type PaletteRun = (styles: StyleInput[], opts: TransferOptions, controls: RunControls) => Promise<TransferResult>;

/**
 * Runs the four palettes one after another through `runPalette` (the engine's palette), reporting
 * progress over the whole sweep, and lays them out with their labels.
 */
export async function paletteSweep(runPalette: PaletteRun, styles: StyleInput[], opts: TransferOptions, controls: RunControls = {}): Promise<SweepResult> {
  const start = Date.now();
  const cellSize = sweepCellSize(opts.size);
  const images: Buffer[] = [];
  const cells: SweepCell[] = [];
  for (const [i, tiles] of SWEEP_TILES.entries()) {
    const onProgress = controls.onProgress
      ? (p: Progress) => controls.onProgress!({ ...p, step: i * p.total + p.step, total: SWEEP_TILES.length * p.total })
      : undefined;
    const result = await runPalette(styles, { ...opts, size: cellSize, tiles }, { signal: controls.signal, onProgress });
    images.push(result.image);
    cells.push({ tiles, steps: result.stats.steps, wallMs: result.stats.wallMs });
  }
  return { image: await layOut(images), cellSize, cells, wallMs: Date.now() - start };
}

/** The palettes in a row, each under a "tiles N" label, on white. */
async function layOut(images: Buffer[]): Promise<Buffer> {
  const metas = await Promise.all(images.map((png) => sharp(png).metadata()));
  const cellW = Math.max(...metas.map((m) => m.width!));
  const cellH = Math.max(...metas.map((m) => m.height!));
  const width = SWEEP_TILES.length * cellW + (SWEEP_TILES.length - 1) * GAP_PX;
  const height = LABEL_PX + cellH;
  const fontPx = Math.min(15, Math.floor(cellW / 5));
  const labels = SWEEP_TILES.map(
    (t, i) =>
      `<text x="${i * (cellW + GAP_PX) + cellW / 2}" y="${LABEL_PX - 7}" text-anchor="middle" font-family="sans-serif" font-size="${fontPx}" fill="#222">tiles ${t}</text>`,
  );
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${LABEL_PX}">${labels.join('')}</svg>`;
  return sharp({ create: { width, height, channels: 3, background: '#ffffff' } })
    .composite([{ input: Buffer.from(svg), left: 0, top: 0 }, ...images.map((input, i) => ({ input, left: i * (cellW + GAP_PX), top: LABEL_PX }))])
    .png()
    .toBuffer();
}
