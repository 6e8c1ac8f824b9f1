/** rerun (🔁): the same job again with the next finer tiling, as a new job. */
import { MAX_TILES, nextTiles, withTiles } from '../user-options.js';
import type { Invocation, ReplyPort } from '../port.js';
import { refusal } from './admission.js';
import { findJob, type IntakeContext } from './context.js';
import { createJob } from './create.js';

export async function rerun(ctx: IntakeContext, request: { messageId?: string; jobId?: string }, invocation: Invocation, port: ReplyPort): Promise<void> {
  const original = findJob(ctx, request, invocation.platform);
  if (!original) {
    return port.whisper("I can't find a job for that. React 🔁 on one of my result messages to run it again with finer tiles.");
  }
  if (original.options.sweep) {
    return port.whisper(`Job ${original.id} is a palette sweep: it already shows 1, 2, 4 and 8 tiles. For one at full size, ask palette tiles=4 (or the count you like).`);
  }
  const next = nextTiles(original.options.tiles);
  if (next === null) {
    return port.whisper(`Job ${original.id} already used the finest tiling (${MAX_TILES}×${MAX_TILES}), so there is nothing finer to run.`);
  }
  const missing = [original.inputs.style, original.inputs.content].filter((h): h is string => h !== undefined && !ctx.files.hasInput(h));
  if (missing.length > 0) {
    return port.whisper(`I no longer have the images of job ${original.id}, so I can't run it again. Please send them again.`);
  }
  const refused = refusal(ctx, invocation);
  if (refused) return port.whisper(refused);
  const intro = `Re-run of job ${original.id} with finer tiles: ${original.options.tiles} → ${next}.\n`;
  await createJob(
    ctx,
    { kind: original.kind, options: withTiles(original.options, next), inputs: original.inputs, intro, parentId: original.id },
    invocation,
    port,
  );
}
