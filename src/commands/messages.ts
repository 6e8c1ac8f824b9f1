/** The words the commands say, kept apart from the logic so every platform says the same thing. */
import { MAX_INPUT_PIXELS } from '../engine/limits.js';
import { paletteSizeFor, paletteTilesFor } from '../engine/schedule.js';
import { SWEEP_TILES, sweepCellSize } from '../engine/sweep.js';
import type { ResultName } from '../jobs/data-files.js';
import { byteSize, megapixels, notAnImage, tooLarge } from '../engine/refusals.js';
import { nextTiles, OPTION_SPECS, optionsFor, tilesText, type OptionLimits } from './user-options.js';
import type { JobRecord, OptionDefaults } from '../jobs/job-record.js';
import { USER_DEFAULT_OPTIONS } from './option-catalog.js';
import { withUserDefaults, type UserDefaults } from './user-defaults.js';
import type { DeviceLoad } from '../jobs/transport/transport.js';

export { byteSize };

/** An image whose declared type is not an image's. `role` is e.g. 'style image'. */
export function notAnImageText(role: string, name: string, type: string): string {
  return notAnImage(`The ${role} "${name}"`, type);
}

/** An image over the byte limit; `size` when it is known (declared or downloaded). */
export function tooLargeText(role: string, name: string, limitBytes: number, size?: number): string {
  return tooLarge(`The ${role} "${name}"`, byteSize(limitBytes), size === undefined ? undefined : byteSize(size));
}

/** A request body over the limit, before any file in it is named. */
export function uploadTooLargeText(limitBytes: number): string {
  return tooLarge('That upload', byteSize(limitBytes));
}

/** An image with more pixels than the engine decodes, or null. */
export function tooManyPixelsText(role: string, name: string, width: number, height: number): string | null {
  if (width * height <= MAX_INPUT_PIXELS) return null;
  return tooLarge(`The ${role} "${name}"`, megapixels(MAX_INPUT_PIXELS), `${width}×${height} pixels`);
}

export function seconds(ms: number): string {
  const s = ms / 1000;
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 90) return `${Math.round(s)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

export function shortNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value !== 0 && (Math.abs(value) >= 1e4 || Math.abs(value) < 1e-2)) return value.toExponential(2).replace('+', '');
  return String(Number(value.toPrecision(3)));
}

export function queuedText(position: number, device: string): string {
  return position === 0 ? `Starting now on ${device}.` : `Queued — position ${position} on ${device}.`;
}

export function helpText(defaults: OptionDefaults, limits: OptionLimits): string {
  const lines = [
    'I redraw a picture in the style of another. Non-artistic styles (an emoji, a game controller, a face) work too: I tile the style image so the object itself becomes the brush stroke.',
    '',
    'Commands:',
    "• stylize — content image + style image [+ options]: redraws the content in the style; posts the style's palette, then the result.",
    '• palette — style image [+ tiles, crop, size, iterations, seed]: the style alone, redrawn from noise; palette tiles=sweep shows it at 1, 2, 4 and 8 tiles side by side.',
    '• status — how long the queues are, and your jobs.',
    '• cancel — stops your latest waiting or running job (or react ❌ on its status message).',
    '• settings — your own defaults for new jobs (strength, tiles, crop, size, palette on/off), e.g. settings strength=7 crop=none; settings alone shows them.',
    "• show <job> — posts an earlier job's result again here, while its images are kept (the job id ends its Settings line).",
    '• help — this message.',
    "React ✉️ on a result (or use Send to me) to get it in a direct message; ❌ on a finished result (or Delete) deletes its messages and images — yours, or anyone's for an admin.",
    `React 🔁 on a result to run it again with finer tiles (twice as many per side: 1 → 2 → 4 → 8 → ${limits.maxTiles}, or 3 → 6 → 12 → ${limits.maxTiles}).`,
    '',
    'Options (e.g. strength=7 tiles=auto size=256 preserve_colors=yes):',
  ];
  for (const name of optionsFor('stylize')) {
    const spec = OPTION_SPECS[name];
    const paletteToo = spec.kinds.includes('palette') ? '' : ' (stylize only)';
    lines.push(`• ${spec.label} — ${spec.describe}${paletteToo}. Range ${spec.rangeText(limits)}, default ${spec.defaultText(defaults, limits)}.`);
  }
  lines.push(
    '',
    "With tiles=auto I look at the style image: a painting, texture or landscape stays untiled, an object or a photo of a subject (a portrait, an animal) is tiled so that each copy is about 85 px and becomes a visible stroke, smaller where the photo's own subjects are smaller than that; an object's copy stays at least 68 px on its short side, so a long one (a lion lying down, a pencil) gets fewer, longer copies. The reply says what I chose and why. A number is always obeyed.",
    'With crop=auto a tiled style is first cut to its subject: a face with its head and shoulders (a half-length portrait draws faces only that way), or an object on a plain background; a style with no clear subject is used whole, and the reply says which.',
    'Balance: by default I balance content and style myself from strength. Giving style_weight or content_weight turns that off and uses the raw weights as they are (advanced), so give those or strength, not both.',
  );
  return lines.join('\n');
}

export function statusText(loads: DeviceLoad[], mine: string[]): string {
  const lines = ['Queues:'];
  for (const load of loads) {
    const what = load.running === 0 && load.waiting === 0 ? 'idle' : `${load.running} running, ${load.waiting} waiting`;
    lines.push(`• ${load.device}: ${what}`);
  }
  lines.push(mine.length === 0 ? 'You have no jobs waiting or running.' : 'Your jobs:');
  for (const line of mine) lines.push(`• ${line}`);
  return lines.join('\n');
}

/** A time of day as HH:MM UTC, rounded up to the minute (never earlier than the moment meant). */
export function clockUtc(ms: number): string {
  const at = new Date(Math.ceil(ms / 60_000) * 60_000);
  return `${String(at.getUTCHours()).padStart(2, '0')}:${String(at.getUTCMinutes()).padStart(2, '0')} UTC`;
}

function minutesFrom(now: number, at: number): string {
  const minutes = Math.max(1, Math.ceil((at - now) / 60_000));
  return minutes === 1 ? '1 minute' : `${minutes} minutes`;
}

/**
 * An hourly quota used up: whose (the user's, or their server's or workspace's), and when the next
 * job is possible (`nextAt`, ms since the epoch).
 */
export function quotaText(whose: 'user' | 'server' | 'workspace', limit: number, nextAt: number, now: number): string {
  const jobs = limit === 1 ? '1 job' : `${limit} jobs`;
  const when = `at ${clockUtc(nextAt)} (in ${minutesFrom(now, nextAt)})`;
  return whose === 'user'
    ? `You've used your ${jobs} for this hour — your next one is possible ${when}.`
    : `This ${whose} has used its ${jobs} for this hour — the next one is possible ${when}.`;
}

/** The user's hourly quota in `status`. */
export function quotaUsageText(used: number, limit: number): string {
  return `In the last hour you started ${used} of the ${limit} job${limit === 1 ? '' : 's'} you may start in an hour.`;
}

/**
 * A user's defaults as `settings` shows them: what a new job starts from, which of them are the
 * user's own, and how to change them. `what` says what was just done.
 */
export function settingsText(mine: UserDefaults, defaults: OptionDefaults, limits: OptionLimits, what: 'shown' | 'saved' | 'reset'): string {
  const effective = withUserDefaults(defaults, mine);
  const values = USER_DEFAULT_OPTIONS.map((name) => `${OPTION_SPECS[name].label}=${OPTION_SPECS[name].defaultText(effective, limits)}`);
  values.push(`palette=${mine.palette === false ? 'off' : 'on'}`);
  const own = [
    ...USER_DEFAULT_OPTIONS.filter((name) => mine[name] !== undefined).map((name) => OPTION_SPECS[name].label),
    ...(mine.palette === undefined ? [] : ['palette']),
  ];
  const ranges = USER_DEFAULT_OPTIONS.map((name) => `${OPTION_SPECS[name].label} ${OPTION_SPECS[name].rangeText(limits).replace(', sweep (palette)', '')}`);
  const lead = { shown: '', saved: 'Saved. ', reset: "Back to this server's defaults. " }[what];
  return [
    `${lead}Your defaults for new jobs: ${values.join(' ')}.`,
    own.length === 0 ? "None of them is your own yet: these are this server's." : `Yours: ${own.join(', ')}; the others are this server's.`,
    `Options you give with a command still win. Change them with settings strength=7 crop=none palette=off (${ranges.join(', ')}, palette on or off); settings reset goes back to this server's.`,
  ].join('\n');
}

/** The queue holds as many waiting jobs as the operator allows. */
export function queueFullText(waiting: number): string {
  return `The queue is full (${waiting} waiting). Please try again in a few minutes.`;
}

/** The user has as many jobs waiting as one user may. */
export function tooManyWaitingText(mine: number, limit: number): string {
  return `You already have ${mine} jobs waiting (the limit is ${limit}). Wait until one starts, or cancel one.`;
}

/** Ends every status line of a waiting or running job. */
export const CANCEL_HINT = 'React ❌ here to cancel.';

/** The words under a palette or result image. */
export function captionFor(job: { record: Pick<JobRecord, 'kind' | 'options'> }, name: ResultName): string {
  const o = job.record.options;
  if (o.sweep) {
    const counts = SWEEP_TILES.filter((t) => t > 1).map((t) => `palette tiles=${t}`);
    return `Palette sweep — the style alone at ${SWEEP_TILES.join(', ')} tiles, each ${sweepCellSize(o.size)} px. For one of them at full size: ${counts.join(', ')} (or tiles=1 for none).`;
  }
  const tiling = tilesText(o);
  const hint = nextTiles(o.tiles) === null ? 'This is the finest tiling.' : 'React 🔁 for finer tiles.';
  const size = name === 'palette' && job.record.kind === 'stylize' ? paletteSizeFor(o.size) : o.size;
  const n = paletteTilesFor(o.tiles, o.size);
  const drawn = size === o.size ? `, ${size} px` : `; drawn at ${size} px with ${n}×${n} copies, each as large as in the result`;
  return name === 'palette'
    ? `Palette of the style — the style alone, redrawn from noise (${tiling}${drawn}). ${hint}`
    : `Result — ${tiling}, ${o.size} px${o.preserveColors ? ', colours kept' : ''}. ${hint}`;
}

/** Alt text of a palette or result image. */
export function imageDescription(name: ResultName): string {
  return name === 'palette' ? 'The palette of the style image' : 'The content image redrawn in the style';
}

/** The last line of a finished job: its options as they can be typed back, its time and its id. */
export function settingsLineText(options: string, elapsedMs: number, where: string, jobId: string): string {
  return `Settings: ${options} · took ${seconds(elapsedMs)} on ${where} · job ${jobId}`;
}

/** An earlier job's image posted again by `show`. */
export function showCaption(jobId: string, caption: string): string {
  return `Job ${jobId} again — ${caption}`;
}

/** A job's image sent to its asker in a direct message. */
export function privateCaption(jobId: string, caption: string): string {
  return `Job ${jobId}: ${caption}`;
}
