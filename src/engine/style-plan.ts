/**
 * How a style is used, settled once: its tile count ('auto' chosen from the style and the content's
 * subjects) and, for a tiled style, the part each copy repeats ('auto' finds the subject). The intake
 * settles a job with it before queueing, so the record, the palette cache key and the reply see what
 * the engine uses; the engine settles what it was not told with the same function.
 */
import { chooseTiles } from './auto-tiles.js';
import { chooseCrop, type CropChoice } from './style-crop.js';
import type { SubjectScale } from './subject-scale.js';
import type { CropBox } from './types.js';

export interface StyleAsked {
  tiles: number | 'auto';
  crop: 'auto' | 'none' | CropBox;
  /** The result's longest side: what a copy's size is measured against. */
  size: number;
  /** A palette sweep: drawn at several tile counts, each cut as a tiled style is. */
  sweep?: boolean;
}

export interface StylePlan {
  tiles: number;
  /** Why these tiles, when they were chosen automatically. */
  tilesReason?: string;
  /** The cut a tiled style gets (box null: used whole), or null when it is not tiled or crop is 'none'. */
  crop: CropChoice | null;
}

export async function settleStyle(style: Buffer, asked: StyleAsked, subjects?: SubjectScale): Promise<StylePlan> {
  const chosen = asked.tiles === 'auto' ? await chooseTiles(style, asked.size, subjects) : null;
  const tiles = chosen ? chosen.tiles : (asked.tiles as number);
  const plan: StylePlan = { tiles, crop: null, ...(chosen ? { tilesReason: chosen.reason } : {}) };
  // An untiled style is never cut: the whole picture is its texture.
  if (asked.crop === 'none' || (tiles <= 1 && !asked.sweep)) return plan;
  plan.crop = asked.crop === 'auto' ? await chooseCrop(style) : { box: asked.crop, reason: 'cropped as asked', found: 'object' };
  return plan;
}
