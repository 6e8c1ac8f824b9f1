/**
 * Decoding, resizing and encoding of user images. Everything a user can send passes through
 * decodeImage, so it validates before it decodes and turns every failure into an ImageInputError
 * whose message says what to do.
 */
import { MAX_INPUT_BYTES, MAX_INPUT_PIXELS, MIN_SIDE } from './limits.js';
import sharp, { type Metadata, type OutputInfo } from 'sharp';
import { ImageInputError } from './types.js';
import { byteSize, IMAGE_FORMATS, megapixels, tooLarge } from './refusals.js';

export { MAX_INPUT_BYTES, MAX_INPUT_PIXELS, MIN_SIDE };

/** 8-bit RGB, HWC, as the analyses of a picture read it (tiles, crop, subjects, faces). */
export interface RgbBytes {
  data: Buffer;
  width: number;
  height: number;
}

/**
 * A picture fitted inside side×side as 8-bit RGB: upright (EXIF), sRGB, transparency on white, the
 * first frame; `mirrored` flips it left to right.
 */
export async function rgbThumbnail(bytes: Buffer, side: number, mirrored = false): Promise<RgbBytes> {
  const { data, info } = await sharp(bytes, { pages: 1 })
    .rotate()
    .flop(mirrored)
    .toColourspace('srgb')
    .flatten({ background: '#ffffff' })
    .resize(side, side, { fit: 'inside' })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** HWC, RGB, float 0..255. */
export interface RgbImage {
  data: Float32Array;
  width: number;
  height: number;
}

export interface DecodeOptions {
  /** The longest side of the result. */
  maxSide: number;
  /** Enlarge images smaller than maxSide (default: only shrink). */
  upscale?: boolean;
  /**
   * The shortest side the decoded image may have: one whose short side would fall below it at maxSide
   * is decoded larger, past maxSide, so that it reaches it. For a style, whose pixels are statistics to
   * copy and not the frame of a result, so that a thin one is never refused for its shape.
   */
  minShortSide?: number;
}

/** The longest side to decode at: maxSide, or more where the short side would fall below minShortSide (half a pixel spare for rounding). */
function decodeLongest(width: number, height: number, opts: DecodeOptions): number {
  const aspect = Math.max(width, height) / Math.min(width, height);
  return opts.minShortSide === undefined ? opts.maxSide : Math.max(opts.maxSide, Math.ceil((opts.minShortSide + 0.5) * aspect));
}

/** Decompression-bomb guard: images declaring more pixels than this are refused before decoding. */
/** Larger files are refused without looking inside. */
/** The network pools four times; smaller images carry no style. */

const ALLOWED_FORMATS = new Set(['jpeg', 'png', 'webp', 'gif', 'tiff', 'heif', 'avif']);

/** Names a few common non-image files by their first bytes, so the message can say what was sent. */
function sniffKind(bytes: Buffer): string | null {
  const head = bytes.subarray(0, 16).toString('latin1');
  if (head.startsWith('%PDF')) return 'PDF';
  if (head.startsWith('PK\x03\x04')) return 'ZIP archive';
  if (head.startsWith('\x1f\x8b')) return 'gzip archive';
  if (/^\s*<(\?xml|svg|!doctype html|html)/i.test(bytes.subarray(0, 256).toString('utf8'))) {
    return /svg/i.test(bytes.subarray(0, 1024).toString('utf8')) ? 'SVG' : 'HTML/XML';
  }
  if (head.startsWith('\x00\x00\x00') && head.slice(4, 8) === 'ftyp' && /ftyp(mp4|isom|qt|M4V|mp42)/.test(head)) {
    return 'video';
  }
  const sample = bytes.subarray(0, 512);
  if (sample.length > 0 && sample.every((b) => b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127) || b >= 128)) {
    return 'text';
  }
  return null;
}

function notImage(kind: string | null): ImageInputError {
  const what = kind ? ` (${kind})` : '';
  return new ImageInputError('not_image', `That file isn't an image I can read${what}. Send ${IMAGE_FORMATS}.`);
}

function corrupt(): ImageInputError {
  return new ImageInputError('corrupt', `The image file is truncated or corrupt, so I can't read it. Try saving it again as ${IMAGE_FORMATS}.`);
}

/** Reads the header only: format and declared size, without decoding pixels. */
async function inspect(bytes: Buffer): Promise<{ format: string; width: number; height: number }> {
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { pages: 1, limitInputPixels: false }).metadata();
  } catch {
    // A header sharp cannot parse: either not an image at all or a broken one of a known kind.
    const kind = sniffKind(bytes);
    if (kind) throw notImage(kind);
    if (looksLikeKnownImage(bytes)) throw corrupt();
    throw notImage(null);
  }
  const format = String(meta.format ?? '');
  if (!ALLOWED_FORMATS.has(format)) {
    throw notImage(format === 'svg' ? 'SVG' : format ? format.toUpperCase() : sniffKind(bytes));
  }
  const width = meta.width ?? 0;
  const height = meta.pageHeight ?? meta.height ?? 0;
  if (!width || !height) throw corrupt();
  return { format, width, height };
}

function looksLikeKnownImage(bytes: Buffer): boolean {
  const b = bytes;
  return (
    (b[0] === 0xff && b[1] === 0xd8) || // JPEG
    b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) || // PNG
    b.subarray(0, 3).toString('latin1') === 'GIF' ||
    (b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP')
  );
}

/**
 * Validates and decodes an image: EXIF orientation applied, alpha flattened on white, CMYK and
 * 16-bit converted to 8-bit sRGB, first frame of an animation, longest side scaled to maxSide
 * (down always, up only with `upscale`). Throws ImageInputError with a message for the user.
 */
export async function decodeImage(bytes: Buffer, opts: DecodeOptions): Promise<RgbImage> {
  if (!Number.isInteger(opts.maxSide) || opts.maxSide < 1) {
    throw new RangeError(`decodeImage: maxSide must be a positive integer, got ${opts.maxSide}`);
  }
  if (bytes.length === 0) throw new ImageInputError('not_image', `That file is empty. Send ${IMAGE_FORMATS}.`);
  if (bytes.length > MAX_INPUT_BYTES) {
    throw new ImageInputError('too_large', tooLarge('The file', byteSize(MAX_INPUT_BYTES), byteSize(bytes.length)));
  }
  const { width, height } = await inspect(bytes);
  if (width * height > MAX_INPUT_PIXELS) {
    throw new ImageInputError('too_many_pixels', tooLarge('The image', megapixels(MAX_INPUT_PIXELS), `${width}×${height} pixels`));
  }
  if (Math.min(width, height) < MIN_SIDE) {
    throw new ImageInputError('too_small', `The image is ${width}×${height} pixels; it needs at least ${MIN_SIDE} pixels on each side.`);
  }

  const longest = decodeLongest(width, height, opts);
  let out: { data: Buffer; info: OutputInfo };
  try {
    out = await sharp(bytes, { pages: 1, limitInputPixels: MAX_INPUT_PIXELS, failOn: 'error' })
      .rotate() // EXIF orientation
      .toColourspace('srgb') // CMYK, grey and 16-bit inputs become 8-bit sRGB
      .flatten({ background: '#ffffff' })
      .resize(longest, longest, {
        fit: 'inside',
        withoutEnlargement: !opts.upscale && longest === opts.maxSide,
        kernel: 'lanczos3',
      })
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    if (/pixel limit/i.test(msg)) {
      throw new ImageInputError('too_many_pixels', tooLarge('The image', megapixels(MAX_INPUT_PIXELS), 'too large to process'));
    }
    throw corrupt();
  }
  const { width: w, height: h, channels } = out.info;
  if (channels !== 3) throw corrupt();
  if (Math.min(w, h) < MIN_SIDE) {
    throw new ImageInputError(
      'too_small',
      `The image is too narrow: at ${w}×${h} pixels it has under ${MIN_SIDE} pixels on one side. Crop it closer to square.`,
    );
  }
  return { data: Float32Array.from(out.data), width: w, height: h };
}

/** 8-bit RGB bytes of an image, rounded and clamped. */
export function toBytes(img: RgbImage): Buffer {
  const n = img.width * img.height * 3;
  if (img.data.length !== n) {
    throw new RangeError(`RgbImage has ${img.data.length} values, expected ${img.width}×${img.height}×3 = ${n}`);
  }
  const bytes = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) {
    const v = img.data[i];
    bytes[i] = v >= 255 ? 255 : v > 0 ? Math.round(v) : 0; // NaN → 0
  }
  return bytes;
}

const raw = (img: RgbImage) => ({ raw: { width: img.width, height: img.height, channels: 3 as const } });

/** Resizes to exactly width×height (aspect ratio not kept); values are clamped to 0..255 first. */
export async function resizeRgb(img: RgbImage, width: number, height: number): Promise<RgbImage> {
  if (width === img.width && height === img.height) return { data: img.data.slice(), width, height };
  const { data, info } = await sharp(toBytes(img), raw(img))
    .resize(width, height, { fit: 'fill', kernel: 'lanczos3' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data: Float32Array.from(data), width: info.width, height: info.height };
}

/** PNG bytes of an image; values are rounded and clamped to 0..255. */
export async function encodePng(img: RgbImage): Promise<Buffer> {
  return sharp(toBytes(img), raw(img)).png().toBuffer();
}
