/**
 * The options a user may set, parsed and validated in one place for every platform: typed values
 * (Discord), text such as "tiles=4 size=384 preserve_colors" (Slack) or form fields (web) all end
 * up here, so every platform gives the same answer to the same mistake.
 */
import type { RawOptions } from './port.js';

export interface UserOptions {
  tiles: number;
  size: number;
  iterations: number;
  styleWeight: number;
  contentWeight: number;
  preserveColors: boolean;
  seed: number;
}

export type OptionName = keyof UserOptions;
export type JobKind = 'stylize' | 'palette';

export interface OptionLimits {
  maxTiles: number;
  minSize: number;
  /** The smaller of the configured cap and what the engine can serve. */
  maxSize: number;
  maxIterations: number;
}

export const MAX_SEED = 2 ** 31 - 1;
export const MAX_TILES = 16;
/** Far above any useful weight (the default is 1), and far below where the loss overflows to Infinity. */
export const MAX_WEIGHT = 1e9;

/** Defaults for every option but the seed, which is drawn at random when not given (and reported). */
export type OptionDefaults = Omit<UserOptions, 'seed'>;

/** The palette's seed is fixed unless given, so a style's palette is the same every time and can be cached. */
export const PALETTE_SEED = 0;

interface OptionSpec {
  /** How the option is written in messages and in the settings line (snake_case, as in chat). */
  label: string;
  type: 'int' | 'number' | 'bool';
  describe: string;
  kinds: JobKind[];
}

export const OPTION_SPECS: Record<OptionName, OptionSpec> = {
  tiles: { label: 'tiles', type: 'int', describe: 'repeat the style image N×N, so an object becomes the brush stroke', kinds: ['stylize', 'palette'] },
  size: { label: 'size', type: 'int', describe: 'longest side of the result in pixels', kinds: ['stylize', 'palette'] },
  iterations: { label: 'iterations', type: 'int', describe: 'optimizer steps; more is slower and finer', kinds: ['stylize', 'palette'] },
  styleWeight: { label: 'style_weight', type: 'number', describe: 'how strongly the style is imposed', kinds: ['stylize'] },
  contentWeight: { label: 'content_weight', type: 'number', describe: 'how closely the content picture is kept', kinds: ['stylize'] },
  preserveColors: { label: 'preserve_colors', type: 'bool', describe: "keep the content picture's colours", kinds: ['stylize'] },
  seed: { label: 'seed', type: 'int', describe: 'makes a run reproducible', kinds: ['stylize', 'palette'] },
};

export const OPTION_ORDER: OptionName[] = ['tiles', 'size', 'iterations', 'styleWeight', 'contentWeight', 'preserveColors', 'seed'];

/** Spellings accepted for each option, compared after lower-casing and dropping '_', '-' and spaces. */
const ALIASES: Record<string, OptionName> = {
  tiles: 'tiles',
  tile: 'tiles',
  size: 'size',
  iterations: 'iterations',
  iteration: 'iterations',
  iters: 'iterations',
  steps: 'iterations',
  styleweight: 'styleWeight',
  contentweight: 'contentWeight',
  preservecolors: 'preserveColors',
  preservecolours: 'preserveColors',
  preservecolor: 'preserveColors',
  preservecolour: 'preserveColors',
  seed: 'seed',
};

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

export type ValidationResult =
  | { ok: true; options: Partial<UserOptions> }
  | { ok: false; problems: string[] };

const BOOL_WORDS: Record<string, boolean> = { true: true, yes: true, on: true, '1': true, false: false, no: false, off: false, '0': false };
/** Plain decimal numbers only: Number() would also take "0x40", "0b11", "0o7" and "Infinity". */
const DECIMAL = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;

function parseValue(name: OptionName, value: string | number | boolean): { value: number | boolean } | { problem: string } {
  const spec = OPTION_SPECS[name];
  if (spec.type === 'bool') {
    if (typeof value === 'boolean') return { value };
    const word = String(value).trim().toLowerCase();
    if (Object.hasOwn(BOOL_WORDS, word)) return { value: BOOL_WORDS[word]! };
    return { problem: `${spec.label} must be yes or no (true/false), not "${value}".` };
  }
  if (typeof value === 'boolean') return { problem: `${spec.label} needs a number, e.g. ${spec.label}=${exampleFor(name)}.` };
  const text = String(value).trim();
  const number = typeof value === 'number' ? value : DECIMAL.test(text) ? Number(text) : NaN;
  if (!Number.isFinite(number)) return { problem: `${spec.label} must be a number, not "${value}".` };
  if (spec.type === 'int' && !Number.isInteger(number)) return { problem: `${spec.label} must be a whole number, not ${value}.` };
  return { value: number };
}

function exampleFor(name: OptionName): string {
  return { tiles: '4', size: '256', iterations: '100', styleWeight: '1000', contentWeight: '1', preserveColors: 'yes', seed: '42' }[name];
}

function rangeProblem(name: OptionName, value: number, limits: OptionLimits): string | null {
  const label = OPTION_SPECS[name].label;
  switch (name) {
    case 'tiles':
      return value < 1 || value > limits.maxTiles ? `tiles must be from 1 to ${limits.maxTiles} (got ${value}).` : null;
    case 'size':
      return value < limits.minSize || value > limits.maxSize
        ? `size must be from ${limits.minSize} to ${limits.maxSize} pixels here (got ${value}).`
        : null;
    case 'iterations':
      return value < 1 || value > limits.maxIterations ? `iterations must be from 1 to ${limits.maxIterations} (got ${value}).` : null;
    case 'styleWeight':
    case 'contentWeight':
      if (value < 0) return `${label} can't be negative (got ${value}).`;
      return value > MAX_WEIGHT ? `${label} must be from 0 to ${formatNumber(MAX_WEIGHT)} (got ${value}).` : null;
    case 'seed':
      return value < 0 || value > MAX_SEED ? `seed must be a whole number from 0 to ${MAX_SEED} (got ${value}).` : null;
    default:
      return null;
  }
}

/**
 * Checks what a user typed for a command. Returns the options they set (by canonical name), or one
 * message per problem: unknown names (with the known ones), wrong types, values out of range.
 */
export function validateOptions(raw: RawOptions, kind: JobKind, limits: OptionLimits): ValidationResult {
  const problems: string[] = [];
  const options: Partial<UserOptions> = {};
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
    if (typeof parsed.value === 'number') {
      const problem = rangeProblem(name, parsed.value, limits);
      if (problem) {
        problems.push(problem);
        continue;
      }
    }
    (options as Record<OptionName, number | boolean>)[name] = parsed.value;
  }
  if (kind === 'stylize' && options.styleWeight === 0 && options.contentWeight === 0) {
    problems.push('style_weight and content_weight are both 0, so there would be nothing to aim for; make at least one of them positive.');
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, options };
}

/** Fills in defaults (clamped to the limits) and draws a seed when none was given. */
export function resolveUserOptions(
  given: Partial<UserOptions>,
  kind: JobKind,
  defaults: OptionDefaults,
  limits: OptionLimits,
  randomSeed: () => number,
): UserOptions {
  const base: UserOptions = {
    ...defaults,
    size: Math.min(defaults.size, limits.maxSize),
    iterations: Math.min(defaults.iterations, limits.maxIterations),
    tiles: Math.min(defaults.tiles, limits.maxTiles),
    seed: kind === 'palette' ? PALETTE_SEED : randomSeed(),
  };
  const merged = { ...base, ...given };
  if (kind === 'palette') {
    // The palette is a style-only reconstruction: these do not affect it, so they stay at their defaults.
    merged.contentWeight = 0;
    merged.preserveColors = false;
    merged.styleWeight = defaults.styleWeight;
  }
  return merged;
}

function formatNumber(value: number): string {
  if (Number.isInteger(value) || Math.abs(value) >= 1e6 || (Math.abs(value) < 1e-3 && value !== 0)) {
    return Math.abs(value) >= 1e6 ? value.toExponential().replace('+', '') : String(value);
  }
  return String(Number(value.toPrecision(6)));
}

/** The settings as option text that parseOptionText reads back, so a result can be reproduced. */
export function formatOptions(options: UserOptions, kind: JobKind): string {
  return optionsFor(kind)
    .map((name) => {
      const value = options[name];
      const label = OPTION_SPECS[name].label;
      if (typeof value === 'boolean') return `${label}=${value ? 'yes' : 'no'}`;
      // Whole-number options (a seed above all) are written out in full, so they can be typed back in.
      return `${label}=${OPTION_SPECS[name].type === 'int' ? String(value) : formatNumber(value)}`;
    })
    .join(' ');
}

/** The next finer tiling for a re-run: powers of two (1→2→4→8→16); null at the cap. */
export function nextTiles(tiles: number, maxTiles = MAX_TILES): number | null {
  if (tiles >= maxTiles) return null;
  let next = 1;
  while (next <= tiles) next *= 2;
  return Math.min(next, maxTiles);
}
