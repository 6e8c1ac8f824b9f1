/** One row of the quality table and the thresholds every pair at the defaults should meet. */
import { colourShift, structureKept } from '../src/engine/quality.js';
import type { TransferResult } from '../src/engine/types.js';

export const QUALITY_THRESHOLDS = {
  /** Below: the content vanished; above: the style barely shows. */
  structure: { min: 0.5, max: 0.88 },
  styleMatchMax: 0.3,
  colourShiftMin: 0.45,
} as const;

export interface QualityRow {
  pair: string;
  tiles: number;
  structure: number;
  styleMatch: number;
  colourShift: number;
  seconds: number;
  failures: string[];
}

export async function measureResult(pair: string, content: Buffer, style: Buffer, result: TransferResult): Promise<QualityRow> {
  const t = QUALITY_THRESHOLDS;
  const structure = await structureKept(content, result.image);
  const shift = await colourShift(content, style, result.image);
  const styleMatch = result.stats.styleMatch ?? NaN;
  const failures: string[] = [];
  if (!(structure >= t.structure.min)) failures.push('content lost');
  if (!(structure <= t.structure.max)) failures.push('style too weak');
  if (!(styleMatch <= t.styleMatchMax)) failures.push('style not matched');
  if (!(shift >= t.colourShiftMin)) failures.push("style's colours not taken");
  return { pair, tiles: result.options.tiles, structure, styleMatch, colourShift: shift, seconds: result.stats.wallMs / 1000, failures };
}
