import { formatOptions, nextTiles, parseOptionText, resolveUserOptions, validateOptions, type OptionLimits } from '../src/commands/options.js';

const limits: OptionLimits = { maxTiles: 16, minSize: 32, maxSize: 512, maxIterations: 1000 };
const defaults = { tiles: 4, size: 256, iterations: 100, styleWeight: 1000, contentWeight: 1, preserveColors: false };

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
    [{ tiles: 0 }, 'tiles must be from 1 to 16 (got 0).'],
    [{ tiles: '17' }, 'tiles must be from 1 to 16 (got 17).'],
    [{ tiles: '2.5' }, 'tiles must be a whole number, not 2.5.'],
    [{ size: 16 }, 'size must be from 32 to 512 pixels here (got 16).'],
    [{ size: 'big' }, 'size must be a number, not "big".'],
    [{ iterations: 5000 }, 'iterations must be from 1 to 1000 (got 5000).'],
    [{ style_weight: -1 }, "style_weight can't be negative (got -1)."],
    [{ content_weight: 'Infinity' }, 'content_weight must be a number, not "Infinity".'],
    [{ seed: -3 }, 'seed must be a whole number from 0 to 2147483647 (got -3).'],
    [{ preserve_colors: 'maybe' }, 'preserve_colors must be yes or no (true/false), not "maybe".'],
    [{ tiles: true }, 'tiles needs a number, e.g. tiles=4.'],
    [{ colour: 'red' }, 'I don\'t know the option "colour". The options of /stylize are: tiles, size, iterations, style_weight, content_weight, preserve_colors, seed.'],
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

  it('names options that do not apply to palette', () => {
    const result = validateOptions({ content_weight: 2 }, 'palette', limits);
    expect(result).toEqual({ ok: false, problems: ["content_weight doesn't apply to /palette. Its options are: tiles, size, iterations, seed."] });
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
    expect(stylize).toEqual({ ...defaults, tiles: 2, size: 128, seed: 1234 });
    const palette = resolveUserOptions({}, 'palette', defaults, limits, () => 1234);
    expect(palette.seed).toBe(0);
    expect(palette.contentWeight).toBe(0);
  });

  it('writes settings that parse back to the same options', () => {
    const options = { tiles: 8, size: 96, iterations: 7, styleWeight: 1e7, contentWeight: 0.25, preserveColors: true, seed: 99 };
    const text = formatOptions(options, 'stylize');
    expect(text).toBe('tiles=8 size=96 iterations=7 style_weight=1e7 content_weight=0.25 preserve_colors=yes seed=99');
    expect(validateOptions(parseOptionText(text), 'stylize', limits)).toEqual({ ok: true, options });
  });

  it('writes a large seed out in full, so it can be typed back in', () => {
    const options = { tiles: 1, size: 96, iterations: 7, styleWeight: 1e5, contentWeight: 1, preserveColors: false, seed: 1192356733 };
    const text = formatOptions(options, 'stylize');
    expect(text).toContain('seed=1192356733');
    expect(validateOptions(parseOptionText(text), 'stylize', limits)).toEqual({ ok: true, options });
  });

  it('goes to the next power of two, capped at 16', () => {
    expect([1, 2, 3, 4, 8, 12, 15].map((t) => nextTiles(t))).toEqual([2, 4, 4, 8, 16, 16, 16]);
    expect(nextTiles(16)).toBeNull();
  });
});
