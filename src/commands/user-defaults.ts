/**
 * A user's own defaults (the settings command): the options the catalog marks `userDefault`
 * (strength, tiles, crop, size) and whether a stylize job shows the style's palette first. They are
 * checked like a command's options, within the operator's limits, and a job starts from them; the
 * options given with a command still win.
 */
import { OPTION_CATALOG, USER_DEFAULT_OPTIONS, type UserDefaultName } from './option-catalog.js';
import { emptyRawOptions, optionNameFor, validateOptions, type OptionLimits } from './user-options.js';
import type { OptionDefaults } from '../jobs/job-record.js';
import type { RawOptions } from './port.js';

export type UserDefaults = Partial<Pick<OptionDefaults, UserDefaultName>> & {
  /** false: a stylize job goes straight to its result, without the style's palette first. */
  palette?: boolean;
};

/** The settings a user may keep, as written in messages and in `settings …`. */
export const SETTING_LABELS = [...USER_DEFAULT_OPTIONS.map((name) => OPTION_CATALOG[name].label), 'palette'];

/** How the settings' own fields are described where a platform lists them (Discord's /settings menu). */
export const SETTING_DESCRIPTIONS = {
  palette: "show the style's palette before the result (on unless you turn it off)",
  reset: "go back to the server's defaults",
} as const;

const ON_WORDS = new Set(['on', 'yes', 'true', '1', 'show']);
const OFF_WORDS = new Set(['off', 'no', 'false', '0', 'hide']);
const PALETTE_NAMES = new Set(['palette', 'showpalette', 'palettes']);

export type SettingsRequest = { ok: true; reset: boolean; changes: UserDefaults } | { ok: false; problems: string[] };

function normalized(name: string): string {
  return name.toLowerCase().replace(/[\s_-]/g, '');
}

/**
 * Checks what a user asked `settings` to keep: the same answers as a command's options for the same
 * mistakes (validateOptions), plus the settings' own (palette on/off, reset, tiles=sweep).
 */
export function validateSettings(raw: RawOptions, limits: OptionLimits): SettingsRequest {
  const problems: string[] = [];
  const changes: UserDefaults = {};
  const options = emptyRawOptions();
  let reset = false;
  for (const [rawName, value] of Object.entries(raw)) {
    if (value === undefined || (typeof value === 'string' && value.trim() === '')) continue;
    const key = normalized(rawName);
    if (key === 'reset') {
      reset = value === true || ON_WORDS.has(String(value).trim().toLowerCase());
      continue;
    }
    if (PALETTE_NAMES.has(key)) {
      const word = String(value).trim().toLowerCase();
      if (value === true || ON_WORDS.has(word)) changes.palette = true;
      else if (value === false || OFF_WORDS.has(word)) changes.palette = false;
      else problems.push(`palette must be on (show the style's palette before the result) or off, not "${String(value)}".`);
      continue;
    }
    const name = optionNameFor(rawName);
    if (!name || !(USER_DEFAULT_OPTIONS as string[]).includes(name)) {
      problems.push(`settings keeps your own defaults of ${SETTING_LABELS.join(', ')}; "${rawName}" isn't one of them.`);
      continue;
    }
    if (name === 'tiles' && String(value).trim().toLowerCase() === 'sweep') {
      problems.push('tiles=sweep is for one palette at a time, not a default: give tiles=auto or a number.');
      continue;
    }
    options[rawName] = value;
  }
  const checked = validateOptions(options, 'stylize', limits);
  if (!checked.ok) problems.push(...checked.problems);
  if (problems.length > 0) return { ok: false, problems };
  if (checked.ok) {
    for (const name of USER_DEFAULT_OPTIONS) {
      const value = checked.options[name];
      if (value !== undefined && value !== 'sweep') (changes as Record<UserDefaultName, unknown>)[name] = value;
    }
  }
  return { ok: true, reset, changes };
}

/**
 * A user's defaults as saved, checked again against the limits in force now: one the operator has
 * since put out of range is left out (the operator's default stands in for it).
 */
export function readUserDefaults(saved: Record<string, unknown>, limits: OptionLimits): UserDefaults {
  const kept: UserDefaults = {};
  for (const [name, value] of Object.entries(saved)) {
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') continue;
    const raw = emptyRawOptions();
    raw[name] = value;
    const checked = validateSettings(raw, limits);
    if (checked.ok) Object.assign(kept, checked.changes);
  }
  return kept;
}

/** The defaults a user's job starts from: the operator's, with the user's own over them. */
export function withUserDefaults(defaults: OptionDefaults, mine: UserDefaults): OptionDefaults {
  const { palette: _palette, ...options } = mine;
  return { ...defaults, ...options };
}
