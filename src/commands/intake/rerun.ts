/**
 * rerun (🔁 and the buttons under a result): a new job from a finished one with one thing changed —
 * finer or coarser tiles, more or less strength, a new seed — or its result redrawn at twice the size.
 */
import { randomInt } from 'node:crypto';
import { LIMITS } from '../../engine/limits.js';
import { STRENGTH_STEP } from '../buttons.js';
import { coarserTiles, MAX_SEED, MAX_TILES, nextTiles, withTiles } from '../user-options.js';
import type { JobInputs, JobKind, JobOptions, JobRecord, RecordKind } from '../../jobs/job-record.js';
import type { Invocation, ReplyPort, Variation } from '../port.js';
import { refusal } from './admission.js';
import { findJob, type IntakeContext } from './context.js';
import { createJob } from './create.js';

type Plan = { kind: RecordKind; options: JobOptions; inputs: JobInputs; intro: string } | { refuse: string };

/** The job a variation makes: a stylize or palette job (an upscale's variation is a stylize job at its size). */
function variationOf(original: JobRecord, change: Exclude<Variation, 'upscale'>, limits: IntakeContext['limits']): Plan {
  const o = original.options;
  const kind: JobKind = original.kind === 'palette' ? 'palette' : 'stylize';
  const { previous: _previous, ...inputs } = original.inputs;
  const plan = (options: JobOptions, what: string) => ({ kind, options, inputs, intro: `Re-run of job ${original.id} with ${what}.\n` });
  switch (change) {
    case 'finer': {
      const next = nextTiles(o.tiles, limits.maxTiles);
      if (next === null) return { refuse: `Job ${original.id} already used the finest tiling (${MAX_TILES}×${MAX_TILES}), so there is nothing finer to run.` };
      return plan(withTiles(o, next), `finer tiles: ${o.tiles} → ${next}`);
    }
    case 'coarser': {
      const next = coarserTiles(o.tiles);
      if (next === null) return { refuse: `Job ${original.id} used no tiling, so there is nothing coarser to run.` };
      return plan(withTiles(o, next), `coarser tiles: ${o.tiles} → ${next}`);
    }
    case 'stronger':
    case 'weaker': {
      if (kind === 'palette') return { refuse: `Job ${original.id} is a palette: it has no strength to change.` };
      if (o.balance === 'manual') {
        return {
          refuse: `Job ${original.id} set its balance by hand (style_weight/content_weight), so strength does not apply. Run it again with strength=… instead of the weights.`,
        };
      }
      const step = change === 'stronger' ? STRENGTH_STEP : -STRENGTH_STEP;
      const next = Math.min(LIMITS.strength.max, Math.max(LIMITS.strength.min, o.strength + step));
      if (next === o.strength) {
        return { refuse: `Job ${original.id} already ran at strength ${o.strength}, the ${change === 'stronger' ? 'strongest' : 'weakest'} there is.` };
      }
      return plan({ ...o, strength: next }, `${change === 'stronger' ? 'more' : 'less'} strength: ${o.strength} → ${next}`);
    }
    case 'seed': {
      let seed = randomInt(0, MAX_SEED);
      if (seed === o.seed) seed = (seed + 1) % MAX_SEED;
      return plan({ ...o, seed }, `a new seed: ${o.seed} → ${seed}`);
    }
  }
}

/** An upscale: the result as it is, redrawn at twice its size (capped at the size limit), starting from itself. */
async function upscaleOf(ctx: IntakeContext, original: JobRecord): Promise<Plan> {
  if (original.kind === 'palette') return { refuse: `Job ${original.id} is a palette; Upscale works on a result.` };
  const o = original.options;
  if (o.size >= ctx.limits.maxSize) {
    return { refuse: `Job ${original.id} is already ${o.size} px, the largest size here, so it can't be upscaled.` };
  }
  if (original.state !== 'done' || !ctx.files.resultsOf(original.id).result) {
    return { refuse: `Job ${original.id} has no result to upscale yet${original.state === 'done' ? ' (or it is no longer kept)' : ''}.` };
  }
  const size = Math.min(ctx.limits.maxSize, o.size * 2);
  // Kept as an input (by hash), so the upscale runs after a restart and on a worker like any input.
  const previous = await ctx.files.saveInput(await ctx.files.loadResult(original.id, 'result'));
  const { previous: _earlier, ...inputs } = original.inputs;
  return { kind: 'upscale', options: { ...o, size }, inputs: { ...inputs, previous }, intro: `Upscale of job ${original.id}: ${o.size} → ${size} px.\n` };
}

export async function rerun(
  ctx: IntakeContext,
  request: { messageId?: string; jobId?: string; change?: Variation },
  invocation: Invocation,
  port: ReplyPort,
): Promise<void> {
  const change = request.change ?? 'finer';
  const original = findJob(ctx, request, invocation.platform);
  if (!original) {
    return port.whisper("I can't find a job for that. React 🔁 on one of my result messages (or use its buttons) to run it again.");
  }
  if (original.options.sweep) {
    return port.whisper(
      `Job ${original.id} is a palette sweep: it already shows 1, 2, 4 and 8 tiles. For one at full size, ask palette tiles=4 (or the count you like).`,
    );
  }
  if (original.platform !== invocation.platform) return port.whisper("I can't find a job for that here.");
  const missing = [original.inputs.style, original.inputs.content].filter((h): h is string => h !== undefined && !ctx.files.hasInput(h));
  if (missing.length > 0) {
    return port.whisper(`I no longer have the images of job ${original.id}, so I can't run it again. Please send them again.`);
  }
  const refused = refusal(ctx, invocation);
  if (refused) return port.whisper(refused);
  const plan = change === 'upscale' ? await upscaleOf(ctx, original) : variationOf(original, change, ctx.limits);
  if ('refuse' in plan) return port.whisper(plan.refuse);
  // Loading the result above let other requests in: the bounds again, just before queueing.
  const late = refusal(ctx, invocation);
  if (late) return port.whisper(late);
  await createJob(ctx, { ...plan, parentId: original.id }, invocation, port);
}
