/** One row of the quality table and the thresholds every pair at the defaults should meet. */
import { colourShift, structureKept, subjectStructureKept } from '../src/engine/quality.js';
import { detectFaces } from '../src/engine/face-detector.js';
import { subjectScale } from '../src/engine/subject-scale.js';
import type { TransferResult } from '../src/engine/types.js';

export const QUALITY_THRESHOLDS = {
  /** Below: the content vanished; above: the style barely shows. */
  structure: { min: 0.5, max: 0.88 },
  styleMatchMax: 0.3,
  colourShiftMin: 0.45,
} as const;

/**
 * A face drawn by the strokes is rougher than a photographed one: the detector's hits at this low score
 * tell a portrait's faces in a result (7–8 in 512-px results drawn from head-and-shoulders copies) from
 * the chance hits of other styles (0–3), where its usual 0.5 finds almost none.
 */
export const FACE_HIT_SCORE = 0.2;

export interface QualityRow {
  pair: string;
  tiles: number;
  structure: number;
  styleMatch: number;
  colourShift: number;
  seconds: number;
  /** Structure on the content's subjects alone (do they remain under the strokes?). */
  subjectStructure: number;
  /** Faces the face detector finds in the result at FACE_HIT_SCORE (do a portrait's faces form in the copies?). */
  faces: number;
  /** What the style was cut to, or why it was not. */
  crop: string;
  failures: string[];
}

export async function measureResult(pair: string, content: Buffer, style: Buffer, result: TransferResult): Promise<QualityRow> {
  const t = QUALITY_THRESHOLDS;
  const structure = await structureKept(content, result.image);
  const shift = await colourShift(content, style, result.image);
  const styleMatch = result.stats.styleMatch ?? NaN;
  const subjectStructure = await subjectStructureKept(content, result.image, await subjectScale(content));
  const faces = (await detectFaces(result.image, FACE_HIT_SCORE)).length;
  const failures: string[] = [];
  if (!(structure >= t.structure.min)) failures.push('content lost');
  if (!(structure <= t.structure.max)) failures.push('style too weak');
  if (!(styleMatch <= t.styleMatchMax)) failures.push('style not matched');
  if (!(shift >= t.colourShiftMin)) failures.push("style's colours not taken");
  return {
    pair,
    tiles: result.options.tiles,
    structure,
    styleMatch,
    colourShift: shift,
    seconds: result.stats.wallMs / 1000,
    subjectStructure,
    faces,
    crop: result.crop?.reason ?? '',
    failures,
  };
}
