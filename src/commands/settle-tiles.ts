/**
 * Settles a job's tiles before it is queued: 'auto' becomes the number chosen from the style image
 * (the engine's own heuristic, no model), so the job record, the palette cache key, the reply and 🔁
 * all see the number the engine will use.
 */
import { chooseTiles } from '../engine/index.js';
import { asSweep, withTiles, type RequestedOptions } from './user-options.js';
import { type JobOptions } from '../jobs/job-record.js';

export async function settleTiles(options: RequestedOptions, style: Buffer): Promise<JobOptions> {
  if (options.tiles === 'sweep') return asSweep(options);
  if (options.tiles !== 'auto') return withTiles(options, options.tiles);
  // The engine chooses from the result's longest side, which is the job's size.
  const choice = await chooseTiles(style, options.size);
  return withTiles(options, choice.tiles, choice.reason);
}
