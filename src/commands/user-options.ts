/**
 * The options a user may set, parsed and validated in one place for every platform: typed values
 * (Discord), text such as "tiles=4 size=384 preserve_colors" (Slack) or form fields (web) all end
 * up here, so every platform gives the same answer to the same mistake.
 */
import { DEFAULT_STRENGTH as ENGINE_DEFAULT_STRENGTH, LIMITS } from '../engine/limits.js';
import { PALETTE_SEED, type Balance, type CropSetting, type JobKind, type JobOptions, type OptionDefaults } from '../jobs/job-record.js';
import { isNumeric, OPTION_CATALOG, OPTION_ORDER, paletteOptions, type GivenOptions, type OptionDeclaration, type OptionName } from './option-catalog.js';
import type { OptionLimits, RawOptions } from './port.js';

export type { OptionLimits };
export type { GivenOptions, OptionName, TilesChoice } from './option-catalog.js';
export { OPTION_ORDER } from './option-catalog.js';

/** A job's options before its tiles are chosen: defaults filled in, the balance decided. */
export type RequestedOptions = GivenOptions & { balance: Balance };

// The engine owns every limit (src/engine/limits.ts); front ends read them here.
/** The fixed ends of the options' ranges; the operator narrows size and iterations (OptionLimits). */
export const OPTION_RANGES = {
  tiles: LIMITS.tiles,
  size: LIMITS.size,
  iterations: LIMITS.iterations,
  strength: LIMITS.strength,
  weight: LIMITS.weight,
  seed: LIMITS.seed,
} as const;
/** The strength the engine balances with when none is given (the operator may set another default). */
export const DEFAULT_STRENGTH = ENGINE_DEFAULT_STRENGTH;
export const MAX_SEED = LIMITS.seed.max;
export const MAX_TILES = LIMITS.tiles.max;
/** Far above any useful weight (the default is 1), and far below where the loss overflows to Infinity. */
export const MAX_WEIGHT = LIMITS.weight.max;

/** The declarations (option-catalog.ts), by the name the rest of the commands know them by. */
export const OPTION_SPECS: Record<OptionName, OptionDeclaration> = OPTION_CATALOG;

/** Spellings accepted for each option, compared after lower-casing and dropping '_', '-' and spaces. */
const ALIASES: Record<string, OptionName> = Object.fromEntries(
  OPTION_ORDER.flatMap((name) => [name, OPTION_CATALOG[name].label, ...OPTION_CATALOG[name].aliases].map((spelling) => [normalizeName(spelling), name])),
);

function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[\s_-]/g, '');
}

export function optionNameFor(raw: string): OptionName | undefined {
  // Own keys only: "constructor" or "__proto__" must not find Object.prototype's members.
  const key = normalizeName(raw);
  return Object.hasOwn(ALIASES, key) ? ALIASES[key] : undefined;
}

/** An empty options map without a prototype, so any name a user types is an ordinary key. */
export function emptyRawOptions(): RawOptions {
  return Object.create(null) as RawOptions;
}

export function optionsFor(kind: JobKind): OptionName[] {
  return OPTION_ORDER.filter((name) => OPTION_SPECS[name].kinds.includes(kind));
}

function knownList(kind: JobKind): string {
  return optionsFor(kind)
    .map((name) => OPTION_SPECS[name].label)
    .join(', ');
}

/**
 * Turns Slack-style option text into RawOptions: "tiles=4 size=384 preserve_colors" →
 * { tiles: '4', size: '384', preserve_colors: true }. `key:value` and `--key value` are accepted too;
 * a bare word is a flag set to true. Values are left as strings; validateOptions checks them.
 */
export function parseOptionText(text: string): RawOptions {
  const out = emptyRawOptions();
  const tokens = text
    .replace(/\s*([=:])\s*/g, '$1')
    .split(/[\s,]+/)
    .filter((token) => token.length > 0);
  for (let i = 0; i < tokens.length; i++) {
    let token = tokens[i]!;
    let dashed = false;
    if (token.startsWith('--')) {
      token = token.slice(2);
      dashed = true;
    }
    const match = /^([^=:]+)[=:](.*)$/.exec(token);
    if (match) {
      out[match[1]!] = match[2]!;
    } else if (dashed && i + 1 < tokens.length && !tokens[i + 1]!.startsWith('--') && OPTION_SPECS[optionNameFor(token) ?? 'preserveColors'].type !== 'bool') {
      out[token] = tokens[++i]!;
    } else {
      out[token] = true;
    }
  }
  return out;
}

export type ValidationResult = { ok: true; options: Partial<GivenOptions> } | { ok: false; problems: string[] };

const BOOL_WORDS: Record<string, boolean> = { true: true, yes: true, on: true, '1': true, false: false, no: false, off: false, '0': false };
/** Plain decimal numbers only: Number() would also take "0x40", "0b11", "0o7" and "Infinity". */
const DECIMAL = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;

type OptionValue = number | boolean | 'auto' | 'sweep' | CropSetting;

function parseValue(name: OptionName, value: string | number | boolean): { value: OptionValue } | { problem: string } {
  const spec = OPTION_SPECS[name];
  if (spec.type === 'bool') {
    if (typeof value === 'boolean') return { value };
    const word = String(value).trim().toLowerCase();
    if (Object.hasOwn(BOOL_WORDS, word)) return { value: BOOL_WORDS[word]! };
    return { problem: `${spec.label} must be yes or no (true/false), not "${value}".` };
  }
  if (spec.type === 'crop') {
    const word = String(value).trim().toLowerCase();
    if (word === 'auto' || word === 'none') return { value: word };
    if (word === 'no' || word === 'off' || word === 'false') return { value: 'none' };
    return { problem: `crop must be auto (cut a tiled style to its subject) or none (keep the whole picture), not "${value}".` };
  }
  const tiles = spec.type === 'tiles';
  if (tiles && typeof value === 'string' && value.trim().toLowerCase() === 'auto') return { value: 'auto' };
  if (tiles && typeof value === 'string' && value.trim().toLowerCase() === 'sweep') return { value: 'sweep' };
  if (typeof value === 'boolean') {
    return { problem: `${spec.label} needs a ${tiles ? 'value' : 'number'}, e.g. ${spec.label}=${exampleFor(name)}${tiles ? ' or tiles=auto' : ''}.` };
  }
  const text = String(value).trim();
  const number = typeof value === 'number' ? value : DECIMAL.test(text) ? Number(text) : NaN;
  if (!Number.isFinite(number)) return { problem: `${spec.label} must be ${tiles ? 'auto or a number' : 'a number'}, not "${value}".` };
  if (spec.type !== 'number' && !Number.isInteger(number)) {
    return { problem: `${spec.label} must be a whole number${tiles ? ' (or auto)' : ''}, not ${value}.` };
  }
  return { value: number };
}

function exampleFor(name: OptionName): string {
  return OPTION_SPECS[name].example;
}

function rangeProblem(name: OptionName, value: number, limits: OptionLimits): string | null {
  const spec = OPTION_SPECS[name];
  if (!isNumeric(spec)) return null; // its words were checked by parseValue
  const bounds = spec.bounds(limits);
  return value < bounds.min || value > bounds.max ? spec.outOfRange(value, bounds) : null;
}

/** Whether the user set the balance by hand (raw weights), which turns the automatic balance off. */
function manualBalance(given: Partial<GivenOptions>): boolean {
  return given.styleWeight !== undefined || given.contentWeight !== undefined;
}

/**
 * Checks what a user typed for a command. Returns the options they set (by canonical name), or one
 * message per problem: unknown names (with the known ones), wrong types, values out of range.
 */
export function validateOptions(raw: RawOptions, kind: JobKind, limits: OptionLimits): ValidationResult {
  const problems: string[] = [];
  const options: Partial<GivenOptions> = {};
  const seen = new Map<OptionName, string>();
  // Object.keys sees a "__proto__" key of a null-prototype map, so it is refused like any unknown name.
  for (const [rawName, value] of Object.entries(raw)) {
    if (value === undefined || (typeof value === 'string' && value.trim() === '')) continue;
    const name = optionNameFor(rawName);
    if (!name) {
      problems.push(`I don't know the option "${rawName}". The options of /${kind} are: ${knownList(kind)}.`);
      continue;
    }
    const label = OPTION_SPECS[name].label;
    if (!OPTION_SPECS[name].kinds.includes(kind)) {
      problems.push(`${label} doesn't apply to /${kind}. Its options are: ${knownList(kind)}.`);
      continue;
    }
    const earlier = seen.get(name);
    if (earlier !== undefined) {
      problems.push(`${label} is given twice ("${earlier}" and "${rawName}"); give it once.`);
      continue;
    }
    seen.set(name, rawName);
    const parsed = parseValue(name, value);
    if ('problem' in parsed) {
      problems.push(parsed.problem);
      continue;
    }
    if (parsed.value === 'sweep' && kind !== 'palette') {
      problems.push(
        `tiles=sweep is for palette: it shows the style's palettes at 1, 2, 4 and 8 tiles side by side. For /${kind}, give tiles=auto or a number.`,
      );
      continue;
    }
    if (typeof parsed.value === 'number') {
      const problem = rangeProblem(name, parsed.value, limits);
      if (problem) {
        problems.push(problem);
        continue;
      }
    }
    (options as Record<OptionName, OptionValue>)[name] = parsed.value;
  }
  if (kind === 'stylize' && options.styleWeight === 0 && options.contentWeight === 0) {
    problems.push('style_weight and content_weight are both 0, so there would be nothing to aim for; make at least one of them positive.');
  }
  // Strength drives the automatic balance, which raw weights replace: both at once would leave one unused.
  if (seen.has('strength') && (seen.has('styleWeight') || seen.has('contentWeight'))) {
    problems.push('strength sets the balance for you, style_weight and content_weight set it by hand: give strength, or the weights, not both.');
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, options };
}

/**
 * Fills in defaults (clamped to the limits), draws a seed when none was given, and decides the
 * balance: raw weights given → 'manual', else 'auto' from the strength.
 */
export function resolveUserOptions(
  given: Partial<GivenOptions>,
  kind: JobKind,
  defaults: OptionDefaults,
  limits: OptionLimits,
  randomSeed: () => number,
): RequestedOptions {
  const base: RequestedOptions = {
    ...defaults,
    size: Math.min(defaults.size, limits.maxSize),
    iterations: Math.min(defaults.iterations, limits.maxIterations),
    tiles: defaults.tiles === 'auto' ? 'auto' : Math.min(defaults.tiles, limits.maxTiles),
    seed: kind === 'palette' ? PALETTE_SEED : randomSeed(),
    balance: 'auto',
  };
  const merged: RequestedOptions = { ...base, ...given, balance: manualBalance(given) ? 'manual' : 'auto' };
  // The palette is a style-only reconstruction: what does not affect it stays at its defaults.
  return kind === 'palette' ? paletteOptions(merged, defaults) : merged;
}

/** A job's options with its tiles settled: the number chosen (and why, when chosen from the style). */
export function withTiles(options: RequestedOptions | JobOptions, tiles: number, reason?: string): JobOptions {
  const { tilesReason: _earlier, sweep: _sweep, ...rest } = options as JobOptions;
  return reason === undefined ? { ...rest, tiles } : { ...rest, tiles, tilesReason: reason };
}

/** A palette sweep's options: it starts at 1 tile and shows 1, 2, 4 and 8. */
export function asSweep(options: RequestedOptions): JobOptions {
  return { ...withTiles(options, 1), sweep: true };
}

/**
 * The tiles of a job in a few words: "no tiling", "tiles 4×4", or "tiles 6: the style looks like a single
 * object", then what the style was cut to ("cropped to the face (15 % of the picture)").
 */
export function tilesText(options: Pick<JobOptions, 'tiles' | 'tilesReason' | 'sweep' | 'cropReason'>): string {
  const crop = options.cropReason && options.tiles > 1 ? `; ${options.cropReason}` : '';
  if (options.sweep) return `tiles 1, 2, 4 and 8 side by side${crop}`;
  if (options.tilesReason) return `tiles ${options.tiles}: ${options.tilesReason}${crop}`;
  return `${options.tiles === 1 ? 'no tiling' : `tiles ${options.tiles}×${options.tiles}`}${crop}`;
}

function formatNumber(value: number): string {
  if (Number.isInteger(value) || Math.abs(value) >= 1e6 || (Math.abs(value) < 1e-3 && value !== 0)) {
    return Math.abs(value) >= 1e6 ? value.toExponential().replace('+', '') : String(value);
  }
  return String(Number(value.toPrecision(6)));
}

/** Whether the settings line shows an option: strength with the automatic balance, the weights without it. */
function shown(name: OptionName, options: JobOptions): boolean {
  if (name === 'strength') return options.balance !== 'manual' && options.strength !== undefined;
  // The automatic crop is the default: only turning it off needs saying.
  if (name === 'crop') return options.crop === 'none';
  if (name === 'styleWeight' || name === 'contentWeight') return options.balance === 'manual';
  return options[name] !== undefined;
}

/**
 * The settings as option text that parseOptionText reads back to the same job, so a result can be
 * reproduced: the tiles actually used (not "auto"), and strength or the raw weights, whichever set
 * the balance.
 */
export function formatOptions(options: JobOptions, kind: JobKind | 'upscale'): string {
  // An upscale job has a stylize job's options, at the new size.
  return optionsFor(kind === 'upscale' ? 'stylize' : kind)
    .filter((name) => shown(name, options))
    .map((name) => {
      const value = options[name];
      const label = OPTION_SPECS[name].label;
      if (typeof value === 'boolean') return `${label}=${value ? 'yes' : 'no'}`;
      if (name === 'tiles' && options.sweep) return `${label}=sweep`;
      // Whole-number options (a seed above all) are written out in full, so they can be typed back in.
      return `${label}=${OPTION_SPECS[name].type === 'number' && typeof value === 'number' ? formatNumber(value) : String(value)}`;
    })
    .join(' ');
}

/** The next coarser tiling: half as many per side (16→8→4→2→1, 6→3→1); null when not tiled. */
export function coarserTiles(tiles: number): number | null {
  if (tiles <= 1) return null;
  return Math.max(1, Math.floor(tiles / 2));
}

/** The next finer tiling for a re-run: double, from wherever it starts (1→2→4→8→16, 3→6→12→16); null at the cap. */
export function nextTiles(tiles: number, maxTiles: number = MAX_TILES): number | null {
  if (tiles >= maxTiles) return null;
  return Math.min(Math.max(1, tiles) * 2, maxTiles);
}
