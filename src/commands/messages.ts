/** The words the commands say, kept apart from the logic so every platform says the same thing. */
import { LIMITS, MAX_INPUT_PIXELS } from '../engine/limits.js';
import { byteSize, megapixels, notAnImage, tooLarge } from '../engine/refusals.js';
import { OPTION_SPECS, optionsFor, type OptionLimits, type OptionName } from './user-options.js';
import { type JobKind, type OptionDefaults } from '../jobs/job-record.js';
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

function range(name: OptionName, limits: OptionLimits): string {
  switch (name) {
    case 'crop':
      return 'auto or none';
    case 'tiles':
      return `auto, sweep (palette) or ${LIMITS.tiles.min}–${limits.maxTiles}`;
    case 'size':
      return `${limits.minSize}–${limits.maxSize} px`;
    case 'iterations':
      return `${LIMITS.iterations.min}–${limits.maxIterations}`;
    case 'strength':
      return `${LIMITS.strength.min}–${LIMITS.strength.max}`;
    case 'styleWeight':
    case 'contentWeight':
      return '≥ 0';
    case 'preserveColors':
      return 'yes/no';
    case 'seed':
      return 'whole number';
  }
}

function defaultText(name: OptionName, kind: JobKind, defaults: OptionDefaults, limits: OptionLimits): string {
  if (name === 'seed') return kind === 'palette' ? '0' : 'random (reported with the result)';
  if (name === 'size') return `${Math.min(defaults.size, limits.maxSize)}`;
  if (name === 'styleWeight' || name === 'contentWeight') return `${String(defaults[name])}, used only when one of them is given`;
  if (name === 'crop') return defaults.crop ?? 'auto';
  const value = defaults[name];
  return typeof value === 'boolean' ? (value ? 'yes' : 'no') : String(value);
}

export function helpText(defaults: OptionDefaults, limits: OptionLimits): string {
  const lines = [
    'I redraw a picture in the style of another. Non-artistic styles (an emoji, a game controller, a face) work too: I tile the style image so the object itself becomes the brush stroke.',
    '',
    'Commands:',
    '• stylize — content image + style image [+ options]: redraws the content in the style; posts the style\'s palette, then the result.',
    '• palette — style image [+ tiles, crop, size, iterations, seed]: the style alone, redrawn from noise; palette tiles=sweep shows it at 1, 2, 4 and 8 tiles side by side.',
    '• status — how long the queues are, and your jobs.',
    '• cancel — stops your latest waiting or running job (or react ❌ on its status message).',
    '• show <job> — posts an earlier job\'s result again here, while its images are kept (the job id ends its Settings line).',
    '• help — this message.',
    'React ✉️ on a result (or use Send to me) to get it in a direct message; ❌ on a finished result (or Delete) deletes its messages and images — yours, or anyone\'s for an admin.',
    `React 🔁 on a result to run it again with finer tiles (twice as many per side: 1 → 2 → 4 → 8 → ${limits.maxTiles}, or 3 → 6 → 12 → ${limits.maxTiles}).`,
    '',
    'Options (e.g. strength=7 tiles=auto size=256 preserve_colors=yes):',
  ];
  for (const name of optionsFor('stylize')) {
    const spec = OPTION_SPECS[name];
    const paletteToo = spec.kinds.includes('palette') ? '' : ' (stylize only)';
    lines.push(`• ${spec.label} — ${spec.describe}${paletteToo}. Range ${range(name, limits)}, default ${defaultText(name, 'stylize', defaults, limits)}.`);
  }
  lines.push(
    '',
    'With tiles=auto I look at the style image: a painting, texture or landscape stays untiled, an object or a photo of a subject (a portrait, an animal) is tiled so that each copy is about 85 px and becomes a visible stroke, smaller where the photo\'s own subjects are smaller than that; the reply says what I chose and why. A number is always obeyed.',
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
