/**
 * Settles a job's tiles and crop before it is queued: 'auto' tiles become the number chosen from the
 * style image and the content's subjects, and crop=auto becomes the part of a tiled style its copies
 * repeat (the engine's own heuristics and face detector, no VGG), so the job record, the palette cache
 * key, the reply, 🔁 and ⬆️ all see what the engine will use.
 */
import { chooseCrop, chooseTiles, subjectScale } from '../engine/index.js';
import { asSweep, withTiles, type RequestedOptions } from './user-options.js';
import type { JobOptions } from '../jobs/job-record.js';

export async function settleTiles(options: RequestedOptions, style: Buffer, content?: Buffer): Promise<JobOptions> {
  return settleCrop(await settleTileCount(options, style, content), style);
}

async function settleTileCount(options: RequestedOptions, style: Buffer, content?: Buffer): Promise<JobOptions> {
  if (options.tiles === 'sweep') return asSweep(options);
  if (options.tiles !== 'auto') return withTiles(options, options.tiles);
  // The engine chooses from the result's longest side, which is the job's size.
  const choice = await chooseTiles(style, options.size, content ? await subjectScale(content) : undefined);
  return withTiles(options, choice.tiles, choice.reason);
}

/** A sweep is cut as its tiled palettes will be; an untiled style is never cut. */
async function settleCrop(options: JobOptions, style: Buffer): Promise<JobOptions> {
  if (options.crop === 'none' || (options.tiles <= 1 && !options.sweep)) return { ...options, cropBox: null };
  const choice = await chooseCrop(style);
  // A subject that already fills the picture needs no word; a cut, or a style with nothing to cut to, does.
  return { ...options, cropBox: choice.box, ...(choice.found === 'fills' ? {} : { cropReason: choice.reason }) };
}
