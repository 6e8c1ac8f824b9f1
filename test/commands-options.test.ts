import {
  asSweep,
  formatOptions,
  nextTiles,
  parseOptionText,
  resolveUserOptions,
  tilesText,
  validateOptions,
  withTiles,
  type OptionLimits,
} from '../src/commands/user-options.js';
import type { JobOptions, OptionDefaults } from '../src/jobs/job-record.js';

const limits: OptionLimits = { maxTiles: 16, minSize: 32, maxSize: 512, maxIterations: 1000 };
const defaults: OptionDefaults = { tiles: 4, size: 256, iterations: 100, strength: 5, styleWeight: 1000, contentWeight: 1, preserveColors: false };

describe('parseOptionText', () => {
  it('reads Slack-style text: key=value, key:value, --key value and bare flags', () => {
    expect(parseOptionText('tiles=4 size=384 preserve_colors')).toEqual({ tiles: '4', size: '384', preserve_colors: true });
    expect(parseOptionText('  style-weight : 10, seed=7 ')).toEqual({ 'style-weight': '10', seed: '7' });
    expect(parseOptionText('--tiles 8 --preserve-colours --size=128')).toEqual({ tiles: '8', 'preserve-colours': true, size: '128' });
    expect(parseOptionText('')).toEqual({});
  });
});

describe('validateOptions', () => {
  it('accepts aliases and typed or string values', () => {
    const typed = validateOptions({ tiles: 4, styleWeight: 500, preserve_colours: true, seed: 3 }, 'stylize', limits);
    expect(typed).toEqual({ ok: true, options: { tiles: 4, styleWeight: 500, preserveColors: true, seed: 3 } });
    const text = validateOptions(parseOptionText('style_weight=1e3 content-weight=0.5 preserve_colors=no iters=20'), 'stylize', limits);
    expect(text).toEqual({ ok: true, options: { styleWeight: 1000, contentWeight: 0.5, preserveColors: false, iterations: 20 } });
    expect(validateOptions({ preserveColors: 'yes', size: undefined, tiles: '' }, 'stylize', limits)).toEqual({
      ok: true,
      options: { preserveColors: true },
    });
  });

  it.each([
    [{ tiles: 0 }, 'tiles must be auto or from 1 to 16 (got 0).'],
    [{ tiles: '17' }, 'tiles must be auto or from 1 to 16 (got 17).'],
    [{ tiles: '2.5' }, 'tiles must be a whole number (or auto), not 2.5.'],
    [{ tiles: 'many' }, 'tiles must be auto or a number, not "many".'],
    [{ strength: 11 }, 'strength must be from 1 (keep the photo) to 10 (the style takes over) (got 11).'],
    [{ strength: '0' }, 'strength must be from 1 (keep the photo) to 10 (the style takes over) (got 0).'],
    [{ strength: '7.5' }, 'strength must be a whole number, not 7.5.'],
    [{ strength: 7, style_weight: 100 }, 'strength sets the balance for you, style_weight and content_weight set it by hand'],
    [{ content_weight: 3, Strength: '2' }, 'give strength, or the weights, not both.'],
    [{ size: 16 }, 'size must be from 32 to 512 pixels here (got 16).'],
    [{ size: 'big' }, 'size must be a number, not "big".'],
    [{ iterations: 5000 }, 'iterations must be from 1 to 1000 (got 5000).'],
    [{ style_weight: -1 }, "style_weight can't be negative (got -1)."],
    [{ content_weight: 'Infinity' }, 'content_weight must be a number, not "Infinity".'],
    [{ seed: -3 }, 'seed must be a whole number from 0 to 2147483647 (got -3).'],
    [{ preserve_colors: 'maybe' }, 'preserve_colors must be yes or no (true/false), not "maybe".'],
    [{ tiles: true }, 'tiles needs a value, e.g. tiles=4 or tiles=auto.'],
    [{ strength: true }, 'strength needs a number, e.g. strength=7.'],
    [
      { colour: 'red' },
      'I don\'t know the option "colour". The options of /stylize are: tiles, crop, size, iterations, strength, style_weight, content_weight, preserve_colors, seed.',
    ],
    [{ style_weight: 0, content_weight: 0 }, 'style_weight and content_weight are both 0'],
    [{ tiles: 2, Tiles: 3 }, 'tiles is given twice'],
    [{ size: '0x40' }, 'size must be a number, not "0x40".'],
    [{ seed: '0b101' }, 'seed must be a number, not "0b101".'],
    [{ iterations: '0o17' }, 'iterations must be a number, not "0o17".'],
    [{ style_weight: '1e308' }, 'style_weight must be from 0 to 1e9 (got 1e+308).'],
    [{ content_weight: 2e9 }, 'content_weight must be from 0 to 1e9 (got 2000000000).'],
  ])('refuses %j with a clear message', (raw, message) => {
    const result = validateOptions(raw, 'stylize', limits);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.problems).toHaveLength(1);
      expect(result.problems[0]).toContain(message);
    }
  });

  it('accepts tiles=sweep for a palette only, and writes it back as such', () => {
    expect(validateOptions(parseOptionText('tiles=Sweep'), 'palette', limits)).toEqual({ ok: true, options: { tiles: 'sweep' } });
    expect(validateOptions({ tiles: 'sweep' }, 'stylize', limits)).toEqual({
      ok: false,
      problems: ["tiles=sweep is for palette: it shows the style's palettes at 1, 2, 4 and 8 tiles side by side. For /stylize, give tiles=auto or a number."],
    });
    const sweep = asSweep(resolveUserOptions({ tiles: 'sweep' }, 'palette', defaults, limits, () => 1));
    expect(sweep).toMatchObject({ tiles: 1, sweep: true });
    expect(tilesText(sweep)).toBe('tiles 1, 2, 4 and 8 side by side');
    expect(formatOptions(sweep, 'palette')).toBe('tiles=sweep size=256 iterations=100 seed=0');
    // A number given later drops the sweep.
    expect(withTiles(sweep, 4)).not.toHaveProperty('sweep');
  });

  it('accepts tiles=auto in any case, as text or typed, and strength from 1 to 10', () => {
    expect(validateOptions(parseOptionText('tiles=auto strength=7'), 'stylize', limits)).toEqual({ ok: true, options: { tiles: 'auto', strength: 7 } });
    expect(validateOptions({ tiles: ' AUTO ' }, 'palette', limits)).toEqual({ ok: true, options: { tiles: 'auto' } });
    expect(validateOptions({ tiles: '12', strength: 1 }, 'stylize', limits)).toEqual({ ok: true, options: { tiles: 12, strength: 1 } });
    expect(validateOptions({ strength: '10' }, 'stylize', limits)).toEqual({ ok: true, options: { strength: 10 } });
  });

  it('names options that do not apply to palette', () => {
    const result = validateOptions({ content_weight: 2 }, 'palette', limits);
    expect(result).toEqual({ ok: false, problems: ["content_weight doesn't apply to /palette. Its options are: tiles, crop, size, iterations, seed."] });
    expect(validateOptions({ strength: 3 }, 'palette', limits)).toEqual({
      ok: false,
      problems: ["strength doesn't apply to /palette. Its options are: tiles, crop, size, iterations, seed."],
    });
  });

  it('reports every problem, one message each', () => {
    const result = validateOptions({ tiles: 99, size: 1, bogus: 1 }, 'stylize', limits);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems).toHaveLength(3);
  });
});

describe('user keys that are also names of Object.prototype', () => {
  it.each(['constructor', 'toString', 'hasOwnProperty', '__proto__', 'valueOf'])('refuses an option named %s like any unknown name', (name) => {
    const parsed = parseOptionText(`${name}=1 tiles=2`);
    expect(Object.keys(parsed)).toEqual([name, 'tiles']);
    const result = validateOptions(parsed, 'stylize', limits);
    expect(result).toEqual({ ok: false, problems: [expect.stringContaining(`I don't know the option "${name}".`)] });
  });

  it('reads a bare flag named like a prototype member as an unknown option, not a crash', () => {
    expect(validateOptions(parseOptionText('constructor'), 'palette', limits).ok).toBe(false);
    expect(validateOptions(parseOptionText('preserve_colors=constructor'), 'stylize', limits)).toEqual({
      ok: false,
      problems: ['preserve_colors must be yes or no (true/false), not "constructor".'],
    });
  });
});

describe('resolveUserOptions / formatOptions / nextTiles', () => {
  it('fills defaults, clamps them to the limits, draws a seed for stylize and fixes it for palette', () => {
    const small = { ...limits, maxSize: 128 };
    const stylize = resolveUserOptions({ tiles: 2 }, 'stylize', defaults, small, () => 1234);
    expect(stylize).toEqual({ ...defaults, tiles: 2, size: 128, seed: 1234, balance: 'auto' });
    const palette = resolveUserOptions({}, 'palette', defaults, limits, () => 1234);
    expect(palette.seed).toBe(0);
    expect(palette.contentWeight).toBe(0);
    expect(resolveUserOptions({}, 'stylize', { ...defaults, tiles: 'auto' }, limits, () => 1).tiles).toBe('auto');
  });

  it('balances automatically from the strength unless a raw weight is given', () => {
    expect(resolveUserOptions({ strength: 8 }, 'stylize', defaults, limits, () => 1)).toMatchObject({ strength: 8, balance: 'auto' });
    expect(resolveUserOptions({ contentWeight: 3 }, 'stylize', defaults, limits, () => 1)).toMatchObject({
      contentWeight: 3,
      styleWeight: 1000,
      balance: 'manual',
    });
    expect(resolveUserOptions({ styleWeight: 0.5 }, 'stylize', defaults, limits, () => 1).balance).toBe('manual');
    // A palette has no content to balance against.
    expect(resolveUserOptions({}, 'palette', defaults, limits, () => 1).balance).toBe('auto');
  });

  it('writes settings that parse back to the same options: strength with the automatic balance', () => {
    const options: JobOptions = {
      tiles: 8,
      size: 96,
      iterations: 7,
      strength: 7,
      balance: 'auto',
      styleWeight: 1,
      contentWeight: 1,
      preserveColors: true,
      seed: 99,
    };
    const text = formatOptions(options, 'stylize');
    expect(text).toBe('tiles=8 size=96 iterations=7 strength=7 preserve_colors=yes seed=99');
    const back = validateOptions(parseOptionText(text), 'stylize', limits);
    expect(back.ok).toBe(true);
    if (back.ok)
      expect(resolveUserOptions(back.options, 'stylize', { ...defaults, tiles: 'auto', styleWeight: 1, contentWeight: 1 }, limits, () => 1)).toEqual(options);
  });

  it('writes the raw weights, not strength, when they set the balance', () => {
    const options: JobOptions = {
      tiles: 3,
      size: 96,
      iterations: 7,
      strength: 5,
      balance: 'manual',
      styleWeight: 1e7,
      contentWeight: 0.25,
      preserveColors: false,
      seed: 5,
    };
    const text = formatOptions(options, 'stylize');
    expect(text).toBe('tiles=3 size=96 iterations=7 style_weight=1e7 content_weight=0.25 preserve_colors=no seed=5');
    const back = validateOptions(parseOptionText(text), 'stylize', limits);
    expect(back.ok).toBe(true);
    if (back.ok) expect(resolveUserOptions(back.options, 'stylize', defaults, limits, () => 1)).toEqual(options);
  });

  it('writes the tiles chosen for tiles=auto, which read back as that number', () => {
    const requested = resolveUserOptions({}, 'stylize', { ...defaults, tiles: 'auto' }, limits, () => 42);
    const chosen = withTiles(requested, 6, 'the style looks like a single object');
    expect(tilesText(chosen)).toBe('tiles 6: the style looks like a single object');
    const text = formatOptions(chosen, 'stylize');
    expect(text).toBe('tiles=6 size=256 iterations=100 strength=5 preserve_colors=no seed=42');
    expect(validateOptions(parseOptionText(text), 'stylize', limits)).toEqual({
      ok: true,
      options: { tiles: 6, size: 256, iterations: 100, strength: 5, preserveColors: false, seed: 42 },
    });
    // A re-run with other tiles no longer carries the reason.
    expect(withTiles(chosen, 12)).not.toHaveProperty('tilesReason');
    expect(tilesText(withTiles(chosen, 12))).toBe('tiles 12×12');
    expect(tilesText(withTiles(chosen, 1))).toBe('no tiling');
  });

  it('writes a large seed out in full, so it can be typed back in', () => {
    const options: JobOptions = {
      tiles: 1,
      size: 96,
      iterations: 7,
      strength: 5,
      balance: 'auto',
      styleWeight: 1,
      contentWeight: 1,
      preserveColors: false,
      seed: 1192356733,
    };
    const text = formatOptions(options, 'stylize');
    expect(text).toContain('seed=1192356733');
    expect(validateOptions(parseOptionText(text), 'stylize', limits)).toEqual({
      ok: true,
      options: { tiles: 1, size: 96, iterations: 7, strength: 5, preserveColors: false, seed: 1192356733 },
    });
  });

  it('doubles the tiles from wherever they start, capped at 16', () => {
    expect([1, 2, 3, 4, 6, 8, 12, 15].map((t) => nextTiles(t))).toEqual([2, 4, 6, 8, 12, 16, 16, 16]);
    expect(nextTiles(16)).toBeNull();
  });
});
