/**
 * Every option a user may set, declared once: its type, range, label and other spellings, the words
 * help and Discord's menu show, the engine option it becomes, which commands take it and whether a
 * user may keep it as a default of their own (`settings`). Validation (user-options.ts), the help
 * text (messages.ts), Discord's command options (bots/discord/commands.ts), the Slack and web text
 * parser (parseOptionText) and the engine options of a job (jobs/engine-job.ts) are derived from it.
 *
 * Adding an option (say `blur`) that the engine already knows (engine/types.ts TransferOptions,
 * engine/limits.ts) takes four files, and after the first the compiler names each of the others:
 *  1. jobs/job-record.ts: a field of OptionDefaults (optional, like crop, when jobs stored before it
 *     must still load) — then this catalog does not compile until it has the option;
 *  2. this file: its declaration (type, range, words, aliases, engine key, commands, userDefault);
 *  3. commands/service.ts optionDefaults: the operator's default, from the engine's DEFAULT_OPTIONS;
 *  4. jobs/engine-job.ts stylizeEngineOptions: the line that passes it on (built whole from the
 *     engine keys below, so a missing line is a type error), and paletteEngineOptions if a palette
 *     depends on it.
 * Validation, help, the settings line, Discord's menus, Slack's and the web's text, the web form's
 * limits ({{MIN_BLUR}}, {{MAX_BLUR}}) and `settings` (with userDefault) follow from the declaration.
 * Written by hand, because they are pages and flags rather than code: the web page's field
 * (bots/web/static/index.html) and the CLI's flag and usage (cli/args.ts, which speaks to the engine).
 */
import { LIMITS } from '../engine/limits.js';
import { PALETTE_FIXED } from '../engine/palette-options.js';
import type { TransferOptions } from '../engine/types.js';
import type { JobKind, OptionDefaults, TilesSetting } from '../jobs/job-record.js';
import type { OptionLimits } from './port.js';

/** As a user may give them: 'sweep' (palette only) shows the palettes at 1, 2, 4 and 8 tiles side by side. */
export type TilesChoice = TilesSetting | 'sweep';

/** What a user can set, as they set it (tiles may still be 'auto'): the defaults' fields and a seed. */
export type GivenOptions = Omit<OptionDefaults, 'tiles'> & { tiles: TilesChoice; seed: number };

export type OptionName = keyof GivenOptions;

interface DeclarationBase {
  /** How the option is written in messages and in the settings line (snake_case, as in chat). */
  label: string;
  /** One phrase, at most 100 characters: Discord shows it as the option's description. */
  describe: string;
  /** The commands that take it. */
  kinds: JobKind[];
  /** Other spellings accepted, compared after lower-casing and dropping '_', '-' and spaces. */
  aliases: string[];
  /** A value shown in "needs a number, e.g. size=256". */
  example: string;
  /** The range as help shows it. */
  rangeText: (limits: OptionLimits) => string;
  /** The default as help shows it. */
  defaultText: (defaults: OptionDefaults, limits: OptionLimits) => string;
  /** The engine option it becomes (engine-job.ts passes it on under this name). */
  engine: keyof TransferOptions;
  /** A user may keep it as their own default (the settings command). */
  userDefault: boolean;
}

/** A number (tiles: a number or a word): it cannot be declared without its range, so none goes unchecked. */
interface NumericDeclaration extends DeclarationBase {
  /** 'tiles': a whole number or the word auto. */
  type: 'int' | 'number' | 'tiles';
  /** The numbers allowed here: the engine's range, narrowed by the operator. */
  bounds: (limits: OptionLimits) => { min: number; max: number };
  /** What a value out of `bounds` is told. */
  outOfRange: (value: number, bounds: { min: number; max: number }) => string;
}

/** A yes/no, or crop's auto/none: its words are its range. */
interface WordDeclaration extends DeclarationBase {
  type: 'bool' | 'crop';
  bounds?: never;
  outOfRange?: never;
}

export type OptionDeclaration = NumericDeclaration | WordDeclaration;

export function isNumeric(spec: OptionDeclaration): spec is NumericDeclaration {
  return spec.type === 'int' || spec.type === 'number' || spec.type === 'tiles';
}

function yesNo(value: boolean): string {
  return value ? 'yes' : 'no';
}

/** Far above any useful weight (the default is 1), and far below where the loss overflows to Infinity. */
const weightRange = () => LIMITS.weight;

function formatNumber(value: number): string {
  if (Number.isInteger(value) || Math.abs(value) >= 1e6 || (Math.abs(value) < 1e-3 && value !== 0)) {
    return Math.abs(value) >= 1e6 ? value.toExponential().replace('+', '') : String(value);
  }
  return String(Number(value.toPrecision(6)));
}

function weightOutOfRange(label: string) {
  return (value: number, bounds: { min: number; max: number }): string =>
    value < 0 ? `${label} can't be negative (got ${value}).` : `${label} must be from 0 to ${formatNumber(bounds.max)} (got ${value}).`;
}

export const OPTION_CATALOG = {
  tiles: {
    label: 'tiles',
    type: 'tiles',
    describe: 'repeat the style image N×N so an object becomes the stroke; auto chooses; sweep shows 1, 2, 4, 8',
    kinds: ['stylize', 'palette'],
    aliases: ['tile'],
    example: '4',
    bounds: (limits) => ({ min: LIMITS.tiles.min, max: limits.maxTiles }),
    outOfRange: (value, b) => `tiles must be auto or from ${b.min} to ${b.max} (got ${value}).`,
    rangeText: (limits) => `auto, sweep (palette) or ${LIMITS.tiles.min}–${limits.maxTiles}`,
    defaultText: (defaults) => String(defaults.tiles),
    engine: 'tiles',
    userDefault: true,
  },
  crop: {
    label: 'crop',
    type: 'crop',
    describe: 'auto cuts a tiled style to its subject (a face, an object) before repeating it; none keeps it whole',
    kinds: ['stylize', 'palette'],
    aliases: [],
    example: 'none',
    rangeText: () => 'auto or none',
    defaultText: (defaults) => defaults.crop ?? 'auto',
    engine: 'crop',
    userDefault: true,
  },
  size: {
    label: 'size',
    type: 'int',
    describe: 'longest side of the result in pixels',
    kinds: ['stylize', 'palette'],
    aliases: [],
    example: '256',
    bounds: (limits) => ({ min: limits.minSize, max: limits.maxSize }),
    outOfRange: (value, b) => `size must be from ${b.min} to ${b.max} pixels here (got ${value}).`,
    rangeText: (limits) => `${limits.minSize}–${limits.maxSize} px`,
    defaultText: (defaults, limits) => `${Math.min(defaults.size, limits.maxSize)}`,
    engine: 'size',
    userDefault: true,
  },
  iterations: {
    label: 'iterations',
    type: 'int',
    describe: 'optimizer steps; more is slower and finer',
    kinds: ['stylize', 'palette'],
    aliases: ['iteration', 'iters', 'steps'],
    example: '100',
    bounds: (limits) => ({ min: LIMITS.iterations.min, max: limits.maxIterations }),
    outOfRange: (value, b) => `iterations must be from ${b.min} to ${b.max} (got ${value}).`,
    rangeText: (limits) => `${LIMITS.iterations.min}–${limits.maxIterations}`,
    defaultText: (defaults) => String(defaults.iterations),
    engine: 'iterations',
    userDefault: false,
  },
  strength: {
    label: 'strength',
    type: 'int',
    describe: "how far the style takes over: low keeps the photo, high lets the style's objects take over",
    kinds: ['stylize'],
    aliases: [],
    example: '7',
    bounds: () => LIMITS.strength,
    outOfRange: (value, b) => `strength must be from ${b.min} (keep the photo) to ${b.max} (the style takes over) (got ${value}).`,
    rangeText: () => `${LIMITS.strength.min}–${LIMITS.strength.max}`,
    defaultText: (defaults) => String(defaults.strength),
    engine: 'strength',
    userDefault: true,
  },
  styleWeight: {
    label: 'style_weight',
    type: 'number',
    describe: 'advanced: raw style weight; with it or content_weight the balance is set by hand, not by strength',
    kinds: ['stylize'],
    aliases: [],
    example: '1000',
    bounds: weightRange,
    outOfRange: weightOutOfRange('style_weight'),
    rangeText: () => '≥ 0',
    defaultText: (defaults) => `${String(defaults.styleWeight)}, used only when one of them is given`,
    engine: 'styleWeight',
    userDefault: false,
  },
  contentWeight: {
    label: 'content_weight',
    type: 'number',
    describe: 'advanced: raw content weight; with it or style_weight the balance is set by hand, not by strength',
    kinds: ['stylize'],
    aliases: [],
    example: '1',
    bounds: weightRange,
    outOfRange: weightOutOfRange('content_weight'),
    rangeText: () => '≥ 0',
    defaultText: (defaults) => `${String(defaults.contentWeight)}, used only when one of them is given`,
    engine: 'contentWeight',
    userDefault: false,
  },
  preserveColors: {
    label: 'preserve_colors',
    type: 'bool',
    describe: "keep the content picture's colours",
    kinds: ['stylize'],
    aliases: ['preservecolours', 'preservecolor', 'preservecolour'],
    example: 'yes',
    rangeText: () => 'yes/no',
    defaultText: (defaults) => yesNo(defaults.preserveColors),
    engine: 'preserveColors',
    userDefault: false,
  },
  seed: {
    label: 'seed',
    type: 'int',
    describe: 'makes a run reproducible',
    kinds: ['stylize', 'palette'],
    aliases: [],
    example: '42',
    bounds: () => LIMITS.seed,
    outOfRange: (value, b) => `seed must be a whole number from ${b.min} to ${b.max} (got ${value}).`,
    rangeText: () => 'whole number',
    defaultText: () => 'random (reported with the result)',
    engine: 'seed',
    userDefault: false,
  },
} as const satisfies Record<OptionName, OptionDeclaration>;

/** The order options are listed in: help, Discord's menus, the settings line. */
export const OPTION_ORDER = Object.keys(OPTION_CATALOG) as OptionName[];

/** The engine options a job's user options become (engine-job.ts must pass every one). */
export type UserEngineKey = (typeof OPTION_CATALOG)[OptionName]['engine'];

export function declarationOf(name: OptionName): OptionDeclaration {
  return OPTION_CATALOG[name];
}

/** The options a user may keep as their own defaults, in order. */
export type UserDefaultName = { [N in OptionName]: (typeof OPTION_CATALOG)[N]['userDefault'] extends true ? N : never }[OptionName];
export const USER_DEFAULT_OPTIONS = OPTION_ORDER.filter((name): name is UserDefaultName => OPTION_CATALOG[name].userDefault);

/**
 * What a palette job runs with, whatever else was asked: it is the style alone, so the content's
 * weight and colours are the engine's PALETTE_FIXED, and what balances content and style (strength,
 * the style weight) stays at the defaults. The one place this is decided, for new palette jobs and
 * for the palette a stylize job shows first.
 */
export function paletteOptions<
  T extends Pick<OptionDefaults, 'strength' | 'styleWeight' | 'contentWeight' | 'preserveColors'> & { balance: 'auto' | 'manual' },
>(options: T, defaults: Pick<OptionDefaults, 'strength' | 'styleWeight'>): T {
  return { ...options, ...PALETTE_FIXED, styleWeight: defaults.styleWeight, strength: defaults.strength, balance: 'auto' };
}
