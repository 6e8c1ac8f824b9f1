import { readFile } from 'node:fs/promises';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { decodeImage, encodePng, resizeRgb, type RgbImage } from '../src/engine/image.js';
import { ImageInputError } from '../src/engine/types.js';

const FIXTURES = process.env.TILESTYLE_FIXTURES ?? new URL('../../shared/fixtures/', import.meta.url).pathname;

/** Raw RGB(A) bytes filled by a function of (x, y). */
function rawImage(width: number, height: number, channels: 3 | 4, px: (x: number, y: number) => number[]): Buffer {
  const buf = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) buf.set(px(x, y), (y * width + x) * channels);
  }
  return buf;
}

function pixel(img: RgbImage, x: number, y: number): number[] {
  const i = (y * img.width + x) * 3;
  return [img.data[i], img.data[i + 1], img.data[i + 2]];
}

async function expectImageError(bytes: Buffer, code: string, message: RegExp): Promise<ImageInputError> {
  const err = await decodeImage(bytes, { maxSide: 64 }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ImageInputError);
  const e = err as ImageInputError;
  expect(e.code).toBe(code);
  expect(e.message).toMatch(message);
  return e;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A valid, highly compressible 1-bit greyscale PNG of the given size: a few hundred KB that decode to billions of pixels. */
function bombPng(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 0; // greyscale
  const row = Buffer.alloc(1 + Math.ceil(width / 8)); // filter byte 0 + all-black pixels
  const raw = Buffer.alloc(row.length * height);
  const idat = deflateSync(raw, { level: 9 });
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', idat),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('decodeImage', () => {
  let dog: Buffer;
  beforeAll(async () => {
    dog = await readFile(`${FIXTURES}dog.jpg`);
  });

  it('decodes a real JPEG to HWC RGB floats with the longest side at maxSide', async () => {
    const meta = await sharp(dog).metadata();
    const img = await decodeImage(dog, { maxSide: 64 });
    expect(Math.max(img.width, img.height)).toBe(64);
    const ratio = (meta.width ?? 0) / (meta.height ?? 1);
    expect(img.width / img.height).toBeCloseTo(ratio, 1);
    expect(img.data).toBeInstanceOf(Float32Array);
    expect(img.data.length).toBe(img.width * img.height * 3);
    // 8-bit values as they are (not normalized, not mean-subtracted): whole numbers from 0 to 255.
    expect(img.data.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)).toBe(true);
    const max = img.data.reduce((m, v) => Math.max(m, v), -Infinity);
    const min = img.data.reduce((m, v) => Math.min(m, v), Infinity);
    expect(max - min).toBeGreaterThan(50); // a photo, not a flat colour
  });

  it('only enlarges small images when asked to', async () => {
    const small = await sharp({ create: { width: 40, height: 20, channels: 3, background: '#808080' } })
      .png()
      .toBuffer();
    const kept = await decodeImage(small, { maxSide: 100 });
    expect([kept.width, kept.height]).toEqual([40, 20]);
    const up = await decodeImage(small, { maxSide: 100, upscale: true });
    expect([up.width, up.height]).toEqual([100, 50]);
  });

  it('refuses a text file as not an image', async () => {
    const e = await expectImageError(Buffer.from('hello, this is not a picture\n'.repeat(20)), 'not_image', /isn't an image/);
    expect(e.message).toMatch(/PNG, JPEG, WebP or GIF/);
  });

  it('names a PDF', async () => {
    await expectImageError(Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n', 'latin1'), 'not_image', /\(PDF\)/);
  });

  it('refuses SVG (not a raster format it accepts)', async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64"/></svg>');
    await expectImageError(svg, 'not_image', /SVG/);
  });

  it('catches a truncated JPEG', async () => {
    const jpeg = await sharp(dog).resize(200).jpeg({ quality: 90 }).toBuffer();
    await expectImageError(jpeg.subarray(0, Math.floor(jpeg.length / 2)), 'corrupt', /truncated or corrupt/);
  });

  it('catches a PNG with damaged pixel data', async () => {
    const png = await sharp(dog).resize(100).png({ compressionLevel: 0 }).toBuffer();
    const bad = Buffer.from(png);
    const idat = bad.indexOf('IDAT', 0, 'latin1');
    for (let i = idat + 40; i < idat + 400; i++) bad[i] ^= 0x5a;
    await expectImageError(bad, 'corrupt', /truncated or corrupt/);
  });

  it('refuses a decompression bomb from its header, without decoding it', async () => {
    const bomb = bombPng(20000, 20000);
    expect(bomb.length).toBeLessThan(1_000_000);
    const meta = await sharp(bomb, { limitInputPixels: false }).metadata(); // a genuine PNG
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 20000, 20000]);
    await expectImageError(bomb, 'too_many_pixels', /20000×20000 pixels; the limit is 50 megapixels/);
  });

  it('refuses images under 16 px a side', async () => {
    const tiny = await sharp({ create: { width: 10, height: 40, channels: 3, background: '#ff0000' } })
      .png()
      .toBuffer();
    await expectImageError(tiny, 'too_small', /10×40 pixels; it needs at least 16/);
  });

  it.each(['gif', 'webp'] as const)('uses the first frame of an animated %s', async (format) => {
    const frames = rawImage(32, 64, 3, (_x, y) => (y < 32 ? [255, 0, 0] : [0, 0, 255]));
    const animated = await sharp(frames, { raw: { width: 32, height: 64, channels: 3, pageHeight: 32 } })
      .toFormat(format, { loop: 0, delay: [100, 100], ...(format === 'webp' ? { lossless: true } : {}) })
      .toBuffer();
    const meta = await sharp(animated).metadata();
    expect(meta.pages).toBe(2);
    const img = await decodeImage(animated, { maxSide: 64 });
    expect([img.width, img.height]).toEqual([32, 32]);
    const [r, g, b] = pixel(img, 16, 16);
    expect(r).toBeGreaterThan(200);
    expect(g).toBeLessThan(40);
    expect(b).toBeLessThan(40);
  });

  it('converts a 16-bit PNG to 8-bit values', async () => {
    const png16 = await sharp(
      rawImage(32, 32, 3, (x) => [x * 8, 128, 255 - x * 8]),
      {
        raw: { width: 32, height: 32, channels: 3 },
      },
    )
      .toColourspace('rgb16')
      .png()
      .toBuffer();
    const meta = await sharp(png16).metadata();
    expect(meta.depth).toBe('ushort');
    const img = await decodeImage(png16, { maxSide: 32 });
    const [r, g, b] = pixel(img, 31, 0);
    expect(r).toBeCloseTo(248, -1);
    expect(g).toBeCloseTo(128, -1);
    expect(b).toBeCloseTo(7, -1);
    expect(Math.max(...img.data)).toBeLessThanOrEqual(255);
  });

  it('converts a CMYK JPEG to sRGB', async () => {
    const cmyk = await sharp({ create: { width: 32, height: 32, channels: 3, background: '#ff0000' } })
      .toColourspace('cmyk')
      .jpeg()
      .toBuffer();
    expect((await sharp(cmyk).metadata()).space).toBe('cmyk');
    const img = await decodeImage(cmyk, { maxSide: 32 });
    expect(img.data.length).toBe(32 * 32 * 3);
    const [r, g, b] = pixel(img, 16, 16);
    expect(r).toBeGreaterThan(180);
    expect(g).toBeLessThan(90);
    expect(b).toBeLessThan(90);
  });

  it('flattens transparency on white', async () => {
    // Left half transparent, right half opaque black.
    const rgba = rawImage(32, 32, 4, (x) => (x < 16 ? [0, 0, 0, 0] : [0, 0, 0, 255]));
    const png = await sharp(rgba, { raw: { width: 32, height: 32, channels: 4 } })
      .png()
      .toBuffer();
    const img = await decodeImage(png, { maxSide: 32 });
    expect(pixel(img, 2, 10)).toEqual([255, 255, 255]);
    expect(pixel(img, 30, 10)).toEqual([0, 0, 0]);
  });

  it('applies EXIF orientation (dimensions swap)', async () => {
    // 60×30, red on the left; orientation 6 = rotate 90° clockwise for display.
    const wide = rawImage(60, 30, 3, (x) => (x < 30 ? [255, 0, 0] : [0, 0, 255]));
    const jpeg = await sharp(wide, { raw: { width: 60, height: 30, channels: 3 } })
      .jpeg({ quality: 95 })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    expect((await sharp(jpeg).metadata()).orientation).toBe(6);
    const img = await decodeImage(jpeg, { maxSide: 60 });
    expect([img.width, img.height]).toEqual([30, 60]);
    // After a clockwise turn the left (red) half is at the top.
    expect(pixel(img, 15, 5)[0]).toBeGreaterThan(200);
    expect(pixel(img, 15, 55)[2]).toBeGreaterThan(200);
  });

  it('scales down to maxSide, keeping aspect ratio', async () => {
    const big = await sharp({ create: { width: 400, height: 200, channels: 3, background: '#336699' } })
      .png()
      .toBuffer();
    const img = await decodeImage(big, { maxSide: 100 });
    expect([img.width, img.height]).toEqual([100, 50]);
    const [r, g, b] = pixel(img, 50, 25);
    expect([Math.round(r), Math.round(g), Math.round(b)]).toEqual([0x33, 0x66, 0x99]);
  });
});

describe('resizeRgb and encodePng', () => {
  it('resizes to exact dimensions', async () => {
    const img: RgbImage = { width: 20, height: 10, data: new Float32Array(20 * 10 * 3).fill(100) };
    const out = await resizeRgb(img, 7, 13);
    expect([out.width, out.height]).toEqual([7, 13]);
    expect(out.data.length).toBe(7 * 13 * 3);
    expect(out.data.every((v) => Math.abs(v - 100) <= 1)).toBe(true);
  });

  it('encodes a PNG that decodes back, clamping out-of-range values', async () => {
    const data = new Float32Array(16 * 16 * 3);
    for (let i = 0; i < data.length; i++) data[i] = (i % 3) * 200 - 100; // -100, 100, 300
    const png = await encodePng({ width: 16, height: 16, data });
    const meta = await sharp(png).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 16, 16]);
    const back = await decodeImage(png, { maxSide: 16 });
    expect(pixel(back, 3, 3)).toEqual([0, 100, 255]);
  });
});
