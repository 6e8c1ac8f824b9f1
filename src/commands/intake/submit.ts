/** The shared intake of stylize and palette: options, limits and images checked before anything is queued. */
import { randomInt } from 'node:crypto';
import { MAX_SEED, resolveUserOptions, validateOptions } from '../user-options.js';
import type { JobInputs, JobKind } from '../../jobs/job-record.js';
import { settleTiles } from '../settle-tiles.js';
import type { ImageSource, Invocation, RawOptions, ReplyPort } from '../port.js';
import { refusal } from './admission.js';
import { withUserDefaults } from '../user-defaults.js';
import { userDefaultsOf } from './settings.js';
import type { IntakeContext } from './context.js';
import { createJob } from './create.js';
import { declaredProblem, loadImage } from './images.js';

export async function submit(
  ctx: IntakeContext,
  kind: JobKind,
  images: { content?: ImageSource; style: ImageSource },
  raw: RawOptions,
  invocation: Invocation,
  port: ReplyPort,
): Promise<void> {
  const checked = validateOptions(raw ?? {}, kind, ctx.limits);
  if (!checked.ok) return port.whisper(checked.problems.join('\n'));
  const refused = refusal(ctx, invocation);
  if (refused) return port.whisper(refused);
  const sources: [string, ImageSource][] = [];
  if (images.content) sources.push(['content image', images.content]);
  sources.push(['style image', images.style]);
  const declared = sources.map(([role, src]) => declaredProblem(ctx, role, src)).filter((p): p is string => p !== null);
  if (declared.length > 0) return port.whisper(declared.join('\n'));
  const loaded = await Promise.all(sources.map(([role, src]) => loadImage(ctx, role, src)));
  const problems = loaded.filter((r): r is { problem: string } => 'problem' in r).map((r) => r.problem);
  if (problems.length > 0) return port.whisper(problems.join('\n'));
  const bytes = loaded.map((r) => (r as { bytes: Buffer }).bytes);
  // A job starts from the user's own defaults (settings), the operator's under them; what was given wins.
  const mine = userDefaultsOf(ctx, invocation);
  const requested = resolveUserOptions(checked.options, kind, withUserDefaults(ctx.defaults, mine), ctx.limits, () => randomInt(0, MAX_SEED));
  // tiles=auto and crop=auto are settled now, so the record, the palette cache key, the reply and 🔁 see what is used.
  const settled = await settleTiles(requested, bytes.at(-1)!, images.content ? bytes[0] : undefined);
  const options = kind === 'stylize' && mine.palette === false ? { ...settled, showPalette: false } : settled;
  // The awaits above let other requests in: check the limits again just before queueing.
  const lateRefusal = refusal(ctx, invocation);
  if (lateRefusal) return port.whisper(lateRefusal);
  const inputs: JobInputs = images.content
    ? { content: await ctx.files.saveInput(bytes[0]!), style: await ctx.files.saveInput(bytes[1]!) }
    : { style: await ctx.files.saveInput(bytes[0]!) };
  await createJob(ctx, { kind, options, inputs, intro: '' }, invocation, port);
}
