/** Colour control: the style's colours moved to the photo's, its object's shape kept (no network needed). */
import { between, colourMatchFor, colourShare, colourStats, colourTransfer, matchColours, objectMask, type ColourStats } from '../src/engine/colour-match.js';
import { OptionError, resolveOptions } from '../src/engine/index.js';
import { seededRandom } from '../src/engine/preprocess.js';
import type { RgbImage } from '../src/engine/image.js';

const SIZE = 64;

/** A yellow disc, shaded across and down, cut out on white: the kind of style an emoji is. */
function duckOnWhite(): RgbImage {
  const data = new Float32Array(SIZE * SIZE * 3);
  for (let y = 0; y < SIZE; y++)
    for (let x = 0; x < SIZE; x++) {
      const i = (y * SIZE + x) * 3;
      const inside = (x - 32) ** 2 + (y - 32) ** 2 < 18 ** 2;
      // Three independent shadings, so that the disc's colours span all three dimensions.
      const [r, g, b] = inside ? [150 + 100 * (x / SIZE), 120 + 80 * (y / SIZE), 40 + 40 * (((x * 7 + y * 3) % 11) / 11)] : [255, 255, 255];
      data.set([r, g, b], i);
    }
  return { data, width: SIZE, height: SIZE };
}

/** A dusky photo: blue above, orange below, with some noise; its spread leaves room for a match unclipped. */
function sunset(): RgbImage {
  const rand = seededRandom(7);
  const data = new Float32Array(SIZE * SIZE * 3);
  for (let y = 0; y < SIZE; y++)
    for (let x = 0; x < SIZE; x++) {
      const t = y / SIZE;
      const n = (rand() - 0.5) * 30;
      data.set([80 + 80 * t + n, 80 + 40 * t + n / 2, 120 - 50 * t + n / 3], (y * SIZE + x) * 3);
    }
  return { data, width: SIZE, height: SIZE };
}

function expectStatsClose(a: ColourStats, b: ColourStats) {
  for (let c = 0; c < 3; c++) expect(a.mean[c]).toBeCloseTo(b.mean[c], 0);
  // Covariances within 2 % of the largest variance: clipping to 0..255 moves them a little.
  const scale = Math.max(...[0, 4, 8].map((i) => b.cov[i]!));
  for (let i = 0; i < 9; i++) expect(Math.abs(a.cov[i]! - b.cov[i]!)).toBeLessThan(0.02 * scale);
}

describe('colour statistics and their transfer', () => {
  test('the affine map takes one set of statistics to the other', () => {
    const from = colourStats(duckOnWhite());
    const to = colourStats(sunset());
    const map = colourTransfer(from, to);
    const d = duckOnWhite().data;
    const moved = new Float32Array(d.length);
    for (let i = 0; i < d.length; i += 3) moved.set(map(d[i]!, d[i + 1]!, d[i + 2]!), i);
    expectStatsClose(colourStats({ data: moved, width: SIZE, height: SIZE }), to);
  });

  test('mapping a picture to its own statistics leaves it as it is', () => {
    const img = sunset();
    const own = colourStats(img);
    const map = colourTransfer(own, own);
    for (let i = 0; i < 60; i += 3) {
      const [r, g, b] = map(img.data[i]!, img.data[i + 1]!, img.data[i + 2]!);
      expect(r).toBeCloseTo(img.data[i]!, 2);
      expect(g).toBeCloseTo(img.data[i + 1]!, 2);
      expect(b).toBeCloseTo(img.data[i + 2]!, 2);
    }
  });

  test('a flat or two-colour picture (singular covariance) maps to finite colours', () => {
    const flat: RgbImage = { data: new Float32Array(16 * 3).fill(128), width: 4, height: 4 };
    const out = matchColours(flat, colourStats(sunset()), 'image');
    expect(out.data.every((v) => Number.isFinite(v) && v >= 0 && v <= 255)).toBe(true);
  });
});

describe('objectMask', () => {
  test('finds an object cut out on a plain background, and nothing in a photo', () => {
    const mask = objectMask(duckOnWhite())!;
    expect(mask).not.toBeNull();
    expect(mask[32 * SIZE + 32]).toBe(1);
    expect(mask[2 * SIZE + 2]).toBe(0);
    const share = mask.reduce((a, b) => a + b, 0) / mask.length;
    expect(share).toBeCloseTo((Math.PI * 18 ** 2) / SIZE ** 2, 1);
    expect(objectMask(sunset())).toBeNull();
  });
});

describe('matchColours', () => {
  const photo = colourStats(sunset());

  test("'image' gives the whole style the photo's statistics and keeps its shape", () => {
    const style = duckOnWhite();
    const out = matchColours(style, photo, 'image');
    expectStatsClose(colourStats(out), photo);
    // An affine map moves no pixel: the background is one colour still and the disc stands apart from it.
    const mask = objectMask(style)!;
    const bg = Array.from(out.data.slice(0, 3));
    let background = 0;
    let disc = Infinity;
    for (let i = 0; i < mask.length; i++) {
      const d = Math.max(...[0, 1, 2].map((c) => Math.abs(out.data[3 * i + c]! - bg[c]!)));
      if (mask[i]) disc = Math.min(disc, d);
      else background = Math.max(background, d);
    }
    expect(background).toBeLessThan(1e-3);
    expect(disc).toBeGreaterThan(3);
  });

  test("'object' gives the object's pixels the photo's statistics and the background the photo's mean colour", () => {
    const style = duckOnWhite();
    const mask = objectMask(style)!;
    const out = matchColours(style, photo, 'object');
    expectStatsClose(colourStats(out, mask), photo);
    let off = 0;
    for (let i = 0; i < mask.length; i++) if (!mask[i]) for (let c = 0; c < 3; c++) off = Math.max(off, Math.abs(out.data[3 * i + c]! - photo.mean[c]));
    expect(off).toBeLessThan(1e-3);
    // The white is gone: no background pixel is lighter than the photo's mean.
    expect(Math.max(...Array.from(out.data))).toBeLessThan(255);
  });

  test("'object' on a style without a plain background matches it as a whole, as 'image' does", () => {
    const other = sunset();
    const flipped: RgbImage = { ...other, data: other.data.map((v) => 255 - v) };
    expect(Array.from(matchColours(flipped, photo, 'object').data)).toEqual(Array.from(matchColours(flipped, photo, 'image').data));
  });

  test("'none', or no share of the way, returns the style untouched", () => {
    const style = duckOnWhite();
    expect(matchColours(style, photo, 'none')).toBe(style);
    expect(matchColours(style, photo, 'image', 0)).toBe(style);
  });
});

describe('colourMatchFor', () => {
  test("'auto' matches a tiled style and leaves a painting (untiled) its colours; preserved colours need none", () => {
    expect(colourMatchFor('auto', 4, false)).toBe('image');
    expect(colourMatchFor('auto', 1, false)).toBe('none');
    expect(colourMatchFor('object', 1, false)).toBe('object');
    expect(colourMatchFor('image', 4, true)).toBe('none');
  });
});

describe('colourShare', () => {
  test('the whole way up to the default strength, less above it, none at 10', () => {
    expect(colourShare(1)).toBe(1);
    expect(colourShare(5)).toBe(1);
    expect(colourShare(7.5)).toBeCloseTo(0.5);
    expect(colourShare(10)).toBe(0);
  });
});

describe('a partial match', () => {
  test('moves the statistics part of the way and the object keeps some of its own colour', () => {
    const style = duckOnWhite();
    const own = colourStats(style);
    const photo = colourStats(sunset());
    const half = colourStats(matchColours(style, photo, 'image', 0.5));
    expectStatsClose(half, between(own, photo, 0.5));
    for (let c = 0; c < 3; c++) expect(half.mean[c]).toBeCloseTo((own.mean[c] + photo.mean[c]) / 2, 0);
  });
});

describe('the colorMatch option', () => {
  test('defaults, accepts its modes and rejects others with the allowed values', () => {
    expect(resolveOptions({}).colorMatch).toBe('auto');
    expect(resolveOptions({ colorMatch: 'object' }).colorMatch).toBe('object');
    expect(resolveOptions({ colorMatch: 'auto' }).colorMatch).toBe('auto');
    expect(() => resolveOptions({ colorMatch: 'photo' as never })).toThrow(OptionError);
    expect(() => resolveOptions({ colorMatch: 'photo' as never })).toThrow(/colorMatch must be one of auto, none, image, object/);
  });
});
