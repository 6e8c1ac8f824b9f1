/**
 * `tiles=auto`: how many times to repeat a style image, judged from the image itself.
 *
 * A painting or a texture has the same kind of marks everywhere: its Gram matrices already describe
 * a stroke, so it stays untiled. A single object (an emoji on white, a product shot, a portrait) has
 * no stroke that runs through it; repeated N×N, the object itself becomes the stroke. Two cues, both
 * measured on a small thumbnail:
 *  - a plain border: most border pixels share one colour (an object cut out on a background);
 *  - a centred subject: the detail (gradient energy) of the centre is far above the border's, and the
 *    centre's colours differ from the border's (a subject against a quieter background).
 * N is then chosen so that one copy of the object spans about STROKE_PX pixels of the result.
 */
import sharp from 'sharp';

const THUMB = 96;
/** On-screen size of one object stroke in the result, in pixels. */
const STROKE_PX = 85;
export const AUTO_TILES_MIN = 3;
export const AUTO_TILES_MAX = 12;

export interface TilesChoice {
  tiles: number;
  /** A few words for the user: why this many. */
  reason: string;
}

export interface StyleLayoutCues {
  /** Share of border pixels close to the border's median colour (1 = a plain background). */
  plainBorder: number;
  /** Gradient energy of the centre ÷ that of the border. */
  centreDetail: number;
  /** L1 distance of the centre's and the border's coarse colour histograms (0..2). */
  centreColour: number;
  /** Share of the thumbnail's side that the subject spans (1 when unknown). */
  extent: number;
}

async function thumbnail(bytes: Buffer): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(bytes, { pages: 1 })
    .rotate()
    .toColourspace('srgb')
    .flatten({ background: '#ffffff' })
    .resize(THUMB, THUMB, { fit: 'inside' })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Measures the layout cues of an image (any format sharp reads). */
export async function layoutCues(bytes: Buffer): Promise<StyleLayoutCues> {
  const { data, width, height } = await thumbnail(bytes);
  const px = (x: number, y: number, c: number) => data[(y * width + x) * 3 + c];
  const ring = Math.max(2, Math.round(Math.min(width, height) * 0.06));
  const isBorder = (x: number, y: number) => x < ring || y < ring || x >= width - ring || y >= height - ring;
  const inCentre = (x: number, y: number) =>
    x >= width * 0.25 && x < width * 0.75 && y >= height * 0.25 && y < height * 0.75;

  const border: number[][] = [];
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) if (isBorder(x, y)) border.push([px(x, y, 0), px(x, y, 1), px(x, y, 2)]);
  const ref = [0, 1, 2].map((c) => median(border.map((p) => p[c])));
  const near = (x: number, y: number) => Math.max(...[0, 1, 2].map((c) => Math.abs(px(x, y, c) - ref[c]))) <= 24;
  const plainBorder = border.filter((p) => Math.max(...p.map((v, c) => Math.abs(v - ref[c]))) <= 24).length / border.length;

  // Gradient energy (luma) per region, and coarse colour histograms (2 bits per channel).
  const luma = (x: number, y: number) => 0.299 * px(x, y, 0) + 0.587 * px(x, y, 1) + 0.114 * px(x, y, 2);
  let eCentre = 0;
  let nCentre = 0;
  let eBorder = 0;
  let nBorder = 0;
  const hCentre = new Float64Array(64);
  const hBorder = new Float64Array(64);
  const bin = (x: number, y: number) => ((px(x, y, 0) >> 6) << 4) | ((px(x, y, 1) >> 6) << 2) | (px(x, y, 2) >> 6);
  for (let y = 0; y < height - 1; y++)
    for (let x = 0; x < width - 1; x++) {
      const e = (luma(x + 1, y) - luma(x, y)) ** 2 + (luma(x, y + 1) - luma(x, y)) ** 2;
      if (inCentre(x, y)) {
        eCentre += e;
        nCentre++;
        hCentre[bin(x, y)]++;
      } else if (isBorder(x, y)) {
        eBorder += e;
        nBorder++;
        hBorder[bin(x, y)]++;
      }
    }
  const centreDetail = (eCentre / Math.max(1, nCentre) + 1) / (eBorder / Math.max(1, nBorder) + 1);
  let centreColour = 0;
  for (let i = 0; i < 64; i++) centreColour += Math.abs(hCentre[i] / Math.max(1, nCentre) - hBorder[i] / Math.max(1, nBorder));

  // The subject's extent: the bounding box of the pixels that differ from a plain border.
  let extent = 1;
  if (plainBorder >= 0.6) {
    let x0 = width;
    let y0 = height;
    let x1 = -1;
    let y1 = -1;
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++)
        if (!near(x, y)) {
          x0 = Math.min(x0, x);
          x1 = Math.max(x1, x);
          y0 = Math.min(y0, y);
          y1 = Math.max(y1, y);
        }
    if (x1 >= x0) extent = Math.max((x1 - x0 + 1) / width, (y1 - y0 + 1) / height);
  }
  return { plainBorder, centreDetail, centreColour, extent };
}

/** Whether the cues say "one object" rather than "a painting or texture", and how it was seen. */
export function objectKind(c: StyleLayoutCues): 'cut-out object' | 'centred subject' | null {
  if (c.plainBorder >= 0.6) return 'cut-out object';
  if (c.centreDetail >= 2.5 && c.centreColour >= 0.6) return 'centred subject';
  return null;
}

/** Tiles for a style image at a result size (longest side): 1 for paintings/textures, more for objects. */
export async function chooseTiles(style: Buffer, size: number): Promise<TilesChoice> {
  const cues = await layoutCues(style);
  const kind = objectKind(cues);
  if (!kind) return { tiles: 1, reason: 'the style looks like a painting or texture' };
  const objectShare = kind === 'cut-out object' ? Math.max(0.3, cues.extent) : 0.75;
  const tiles = Math.min(AUTO_TILES_MAX, Math.max(AUTO_TILES_MIN, Math.round((size * objectShare) / STROKE_PX)));
  return { tiles, reason: kind === 'cut-out object' ? 'the style looks like a single object' : 'the style looks like a single subject' };
}
