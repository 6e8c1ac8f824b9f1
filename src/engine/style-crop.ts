/**
 * `crop=auto`: a tiled style is cut down to its subject first, so that the subject, not the room around
 * it, is what every copy repeats. A face has to fill most of a copy to be drawn (a half-length portrait's
 * face is a fifth of the picture: 17 px of an 85-px copy, too few for eyes and a mouth); a product shot
 * with a wide white margin makes copies that are mostly margin.
 *
 * Two subjects are found, in this order:
 *  - a face (face-detector.ts), found in the picture and in its mirror image: the largest one, with the
 *    head and shoulders around it (the frame of a profile picture, HEAD_AND_SHOULDERS);
 *  - an object on a plain background: the box of what differs from the border's colour.
 * Anything else — a painting, a texture, an animal in the grass — is left whole and the reply says so.
 * A crop never makes a side shorter than MIN_CROP_PX, and one that would keep nearly all of the picture
 * is not made.
 */
import sharp from 'sharp';
import { detectFacesRgb, iou, type Face } from './face-detector.js';
import { rgbThumbnail, type RgbBytes } from './image.js';
import { OptionError, type CropBox } from './types.js';

export type { CropBox };

export interface CropChoice {
  /** null: the picture is used whole. */
  box: CropBox | null;
  /** A few words for the user: what was kept, or why nothing was cut. */
  reason: string;
  /** What was found: a face or an object cut out, a subject that already fills the picture, or nothing clear. */
  found: 'face' | 'object' | 'fills' | 'unclear';
}

/** No side of a crop is shorter than this, in the picture's own pixels. */
export const MIN_CROP_PX = 64;
/** A crop that keeps more than this share of the picture's area is not worth making. */
const KEEP_WHOLE_ABOVE = 0.8;
/**
 * The frame around a face box (eyebrows to chin) that a copy repeats, in face widths and heights: the
 * face, the hair around it and the top of the shoulders, as a profile picture is cut. Measured at the
 * defaults on four photos under two half-length portraits: faces drawn (detector hits away from the
 * photo's own) 7, 5, 1, 1, 3, 7, 1, 9 with a wider frame (1.6 × 1.9 face boxes, from 0.6 above),
 * 16, 16, 4, 10, 17, 12, 6, 13 with this one, every pair within the quality thresholds either way;
 * under a long-haired face in a group photo the wider frame drew mostly hair.
 */
const HEAD_AND_SHOULDERS = { width: 1.3, height: 1.5, above: 0.4 } as const;
/**
 * A crop stakes the whole style on one face, so it asks for a surer one than the detector's own 0.5:
 * a cartoon fish's eye and mouth scored 0.51 on the labelled styles, photographed faces 0.63–0.98.
 */
const CROP_FACE_SCORE = 0.6;
/** Faces smaller than this share of the picture's shorter side are too small to be its subject. */
const MIN_FACE_SHARE = 0.06;
/** Share of the border in the background's colour for a plain background. */
const PLAIN_BORDER = 0.6;
/** Thumbnail side for finding the subject. */
const THUMB = 416;

type Pixels = RgbBytes;

const thumbnail = (bytes: Buffer, mirrored = false): Promise<Pixels> => rgbThumbnail(bytes, THUMB, mirrored);

/**
 * Faces found in the picture and in its mirror image alike, each with the lower of its two scores: a
 * face is a face either way round, while the detector's chance hits (a drum's head, a cartoon's eye)
 * rarely come back at the same place in the mirror.
 */
async function mirroredFaces(bytes: Buffer, thumb: Pixels): Promise<Face[]> {
  const mirror = await thumbnail(bytes, true);
  const [faces, flipped] = await Promise.all([
    detectFacesRgb(thumb.data, thumb.width, thumb.height, CROP_FACE_SCORE),
    detectFacesRgb(mirror.data, mirror.width, mirror.height, CROP_FACE_SCORE),
  ]);
  const back = flipped.map((f) => ({ ...f, x: 1 - f.x - f.width }));
  return faces.flatMap((f) => {
    const twin = back.find((m) => iou(f, m) >= 0.5);
    return twin ? [{ ...f, score: Math.min(f.score, twin.score) }] : [];
  });
}

/** The upright size of a picture in its own pixels (EXIF orientations 5–8 swap the sides). */
export async function uprightSize(bytes: Buffer): Promise<{ width: number; height: number }> {
  const meta = await sharp(bytes, { pages: 1 }).metadata();
  const w = meta.width ?? 0;
  const h = meta.height ?? 0;
  return (meta.orientation ?? 1) >= 5 ? { width: h, height: w } : { width: w, height: h };
}

/** Keeps a box inside the unit square, moving it before shrinking it. */
function clampBox(b: CropBox): CropBox {
  const width = Math.min(1, b.width);
  const height = Math.min(1, b.height);
  return { left: Math.min(Math.max(0, b.left), 1 - width), top: Math.min(Math.max(0, b.top), 1 - height), width, height };
}

/** Grows a box about its centre until each side is at least MIN_CROP_PX of a picture of this size. */
function atLeastMinimum(b: CropBox, size: { width: number; height: number }): CropBox {
  const w = Math.max(b.width, MIN_CROP_PX / size.width);
  const h = Math.max(b.height, MIN_CROP_PX / size.height);
  return clampBox({ left: b.left - (w - b.width) / 2, top: b.top - (h - b.height) / 2, width: w, height: h });
}

function headAndShoulders(face: Face): CropBox {
  // Face boxes are fractions of width and height; the frame is sized in face widths and heights.
  const width = face.width * HEAD_AND_SHOULDERS.width;
  const height = face.height * HEAD_AND_SHOULDERS.height;
  return clampBox({ left: face.x + face.width / 2 - width / 2, top: face.y - face.height * HEAD_AND_SHOULDERS.above, width, height });
}

/** The box of the pixels that differ from a plain border, or null when the border is not plain. */
export function objectOnPlainBackground({ data, width, height }: Pixels): CropBox | null {
  const ring = Math.max(2, Math.round(Math.min(width, height) * 0.03));
  const border: number[][] = [];
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      if (x < ring || y < ring || x >= width - ring || y >= height - ring) border.push([0, 1, 2].map((c) => data[(y * width + x) * 3 + c]!));
  const ref = [0, 1, 2].map((c) => border.map((p) => p[c]!).sort((a, b) => a - b)[border.length >> 1]!);
  const differs = (i: number) => Math.max(...[0, 1, 2].map((c) => Math.abs(data[i * 3 + c]! - ref[c]!))) > 24;
  // As plain as tiles=auto asks of a cut-out (auto-tiles.ts): most of the border, not all of it.
  if (border.filter((p) => Math.max(...p.map((v, c) => Math.abs(v - ref[c]!))) <= 24).length < PLAIN_BORDER * border.length) return null;
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      if (differs(y * width + x)) {
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
  if (x1 < 0) return null;
  // A little of the background stays around the object, as a stroke's edge.
  const margin = 0.04 * Math.max(x1 - x0, y1 - y0);
  return clampBox({
    left: (x0 - margin) / width,
    top: (y0 - margin) / height,
    width: (x1 - x0 + 1 + 2 * margin) / width,
    height: (y1 - y0 + 1 + 2 * margin) / height,
  });
}

const percent = (b: CropBox) => `${Math.round(b.width * b.height * 100)} % of the picture`;

/** Where to crop a style image that will be tiled, and why (any format sharp reads). */
export async function chooseCrop(bytes: Buffer): Promise<CropChoice> {
  const thumb = await thumbnail(bytes);
  const size = await uprightSize(bytes);
  const shorter = Math.min(thumb.width, thumb.height);
  const faces = (await mirroredFaces(bytes, thumb)).filter((f) => Math.min(f.width * thumb.width, f.height * thumb.height) >= MIN_FACE_SHARE * shorter);
  const largest = faces.sort((a, b) => b.width * b.height - a.width * a.height)[0];
  const candidates: { box: CropBox | null; found: 'face' | 'object' }[] = [
    { box: largest ? headAndShoulders(largest) : null, found: 'face' },
    { box: objectOnPlainBackground(thumb), found: 'object' },
  ];
  for (const { box, found } of candidates) {
    if (!box) continue;
    const grown = atLeastMinimum(box, size);
    if (grown.width * grown.height > KEEP_WHOLE_ABOVE) return { box: null, reason: `not cropped: the ${found} already fills the picture`, found: 'fills' };
    return { box: grown, reason: `cropped to the ${found} (${percent(grown)})`, found };
  }
  return { box: null, reason: 'not cropped: no face or object on a plain background stands out', found: 'unclear' };
}

/** Checks a crop given as numbers (the job record, the CLI). */
export function validCropBox(b: CropBox): CropBox {
  const ok =
    typeof b === 'object' &&
    b !== null &&
    [b.left, b.top, b.width, b.height].every((v) => Number.isFinite(v)) &&
    b.left >= 0 &&
    b.top >= 0 &&
    b.width > 0 &&
    b.height > 0;
  if (!ok || b.left + b.width > 1 + 1e-6 || b.top + b.height > 1 + 1e-6)
    throw new OptionError('crop', 'crop must be auto, none, or a box (left, top, width, height as fractions) inside the picture.');
  return b;
}

/** The cropped picture as a lossless PNG, upright, at the picture's own resolution. */
export async function cropImage(bytes: Buffer, box: CropBox): Promise<Buffer> {
  const size = await uprightSize(bytes);
  const left = Math.round(box.left * size.width);
  const top = Math.round(box.top * size.height);
  const width = Math.max(1, Math.min(size.width - left, Math.round(box.width * size.width)));
  const height = Math.max(1, Math.min(size.height - top, Math.round(box.height * size.height)));
  return sharp(bytes, { pages: 1 }).rotate().extract({ left, top, width, height }).png().toBuffer();
}
