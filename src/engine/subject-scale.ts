/**
 * How large the subjects of a content picture are, so that `tiles=auto` can make the copies of a
 * tiled style smaller than them: a horse of a herd, a person of a group, a small animal in a field
 * must span several copies to be drawn by them, or it disappears under one.
 *
 * The picture is read at MAP_SIDE px. What stands out is what differs from its surroundings: each
 * pixel's distance, in an opponent colour space, from a heavily blurred copy of the picture (the
 * local background). The pixels that stand out most (Otsu's threshold on that distance) form
 * regions; a region's size is the side of a square of its area. The subject scale is the
 * area-weighted median of those sizes; a face found in the picture stands for a person, about
 * FACE_TO_FIGURE faces wide at the shoulders, and counts before any region (people are the subjects
 * a viewer looks for first, and a face box is a far surer size than a colour region).
 */
import sharp from 'sharp';
import { detectFacesRgb } from './face-detector.js';
import { rgbThumbnail } from './image.js';

const MAP_SIDE = 128;
/** Blur of the local background, as a share of the longest side. */
const BACKGROUND_SIGMA = 1 / 10;
/** Regions smaller than this share of the map are noise, not subjects. */
const MIN_REGION_SHARE = 0.002;
/** Width of a person's shoulders in face widths. */
const FACE_TO_FIGURE = 2.5;

export interface SubjectScale {
  /** Typical size of the subjects, as a share of the picture's longest side (0..1). */
  share: number;
  /** How many separate subjects were found. */
  regions: number;
  /** Faces among them. */
  faces: number;
  /** The subjects' pixels at MAP_SIDE px (1 = subject), for the quality measure's subject region. */
  mask: Uint8Array;
  width: number;
  height: number;
}

function opponent(data: Buffer, i: number): [number, number, number] {
  const r = data[i]!;
  const g = data[i + 1]!;
  const b = data[i + 2]!;
  return [(r + g + b) / 3, (r - g) / 2, (r + g) / 4 - b / 2];
}

function otsu(values: Float32Array): number {
  let max = 0;
  for (const v of values) max = Math.max(max, v);
  if (max === 0) return Infinity;
  const bins = 64;
  const hist = new Float64Array(bins);
  for (const v of values) hist[Math.min(bins - 1, Math.floor((v / max) * bins))]++;
  const total = values.length;
  let sum = 0;
  for (let i = 0; i < bins; i++) sum += i * hist[i]!;
  let sumB = 0;
  let wB = 0;
  let best = 0;
  let threshold = 0;
  for (let i = 0; i < bins; i++) {
    wB += hist[i]!;
    if (wB === 0 || wB === total) continue;
    sumB += i * hist[i]!;
    const mB = sumB / wB;
    const mF = (sum - sumB) / (total - wB);
    const between = wB * (total - wB) * (mB - mF) ** 2;
    if (between > best) {
      best = between;
      threshold = i + 1;
    }
  }
  return (threshold / bins) * max;
}

/** Labels 8-connected regions; returns each region's area. */
function regions(mask: Uint8Array, width: number, height: number): { area: number }[] {
  const label = new Int32Array(width * height).fill(-1);
  const out: { area: number }[] = [];
  const stack: number[] = [];
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || label[start] !== -1) continue;
    const id = out.length;
    const r = { area: 0 };
    label[start] = id;
    stack.push(start);
    while (stack.length > 0) {
      const i = stack.pop()!;
      r.area++;
      const x = i % width;
      const y = (i - x) / width;
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          const ny = y + dy;
          if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
          const j = ny * width + nx;
          if (mask[j] && label[j] === -1) {
            label[j] = id;
            stack.push(j);
          }
        }
    }
    out.push(r);
  }
  return out;
}

/** The subject scale of a picture (any format sharp reads). */
export async function subjectScale(bytes: Buffer): Promise<SubjectScale> {
  const { data, width, height } = await rgbThumbnail(bytes, MAP_SIDE);
  const sigma = Math.max(1, BACKGROUND_SIGMA * Math.max(width, height));
  const background = await sharp(data, { raw: { width, height, channels: 3 } })
    .blur(sigma)
    .raw()
    .toBuffer();
  const n = width * height;
  const distinct = new Float32Array(n);
  for (let p = 0; p < n; p++) {
    const a = opponent(data, p * 3);
    const b = opponent(background, p * 3);
    distinct[p] = Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
  }
  const threshold = otsu(distinct);
  const mask = new Uint8Array(n);
  for (let p = 0; p < n; p++) mask[p] = distinct[p]! > threshold ? 1 : 0;
  const found = regions(mask, width, height).filter((r) => r.area >= MIN_REGION_SHARE * n);
  const longest = Math.max(width, height);
  const items = found.map((r) => ({ thickness: Math.sqrt(r.area) / longest, weight: r.area }));
  const faces = await detectFacesRgb(data, width, height);
  const people = faces.map((f) => ({ thickness: Math.min(1, ((f.width * width) / longest) * FACE_TO_FIGURE), weight: f.width * f.height }));
  return { share: weightedMedian(people.length > 0 ? people : items), regions: found.length, faces: faces.length, mask, width, height };
}

function weightedMedian(items: { thickness: number; weight: number }[]): number {
  if (items.length === 0) return 1;
  const sorted = [...items].sort((a, b) => a.thickness - b.thickness);
  const half = sorted.reduce((a, i) => a + i.weight, 0) / 2;
  let acc = 0;
  for (const i of sorted) {
    acc += i.weight;
    if (acc >= half) return i.thickness;
  }
  return sorted.at(-1)!.thickness;
}
