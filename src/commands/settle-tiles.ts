/**
 * Settles a job's tiles and crop before it is queued: 'auto' tiles become the number chosen from the
 * style image and the content's subjects, and crop=auto becomes the part of a tiled style its copies
 * repeat (the engine's own heuristics and face detector, no VGG), so the job record, the palette cache
 * key, the reply, 🔁 and ⬆️ all see what the engine will use.
 */
import { settleStyle, subjectScale } from '../engine/index.js';
import type { JobOptions } from '../jobs/job-record.js';
import { asSweep, type RequestedOptions, withTiles } from './user-options.js';

export async function settleTiles(options: RequestedOptions, style: Buffer, content?: Buffer): Promise<JobOptions> {
  const sweep = options.tiles === 'sweep';
  const plan = await settleStyle(
    style,
    { tiles: options.tiles === 'sweep' ? 1 : options.tiles, crop: options.crop ?? 'auto', size: options.size, sweep },
    // The content's subjects matter only to an automatic tile count.
    content && options.tiles === 'auto' ? await subjectScale(content) : undefined,
  );
  const tiled = sweep ? asSweep(options) : withTiles(options, plan.tiles, plan.tilesReason);
  if (!plan.crop) return { ...tiled, cropBox: null };
  // A subject that already fills the picture needs no word; a cut, or a style with nothing to cut to, does.
  return { ...tiled, cropBox: plan.crop.box, ...(plan.crop.found === 'fills' ? {} : { cropReason: plan.crop.reason }) };
}
