/**
 * The loss of Gatys style transfer, defined once. Both backends compute it (the ONNX graph by hand,
 * the tfjs reference by autodiff) with the coefficients below; the terms computed on pixels (total
 * variation, layout) are computed here, in JS, for both.
 *
 *   L(x) = α·Lc + Σ_l β_l·Ls_l + γ·Ltv + λ·Llayout
 *
 *   Lc      = Σ m·(F − P)² / (C·N)               F: relu4_2 features of x, C channels × N positions;
 *                                                 P: the same of the content picture; m: each
 *                                                 position's weight (1, more on the subjects)
 *   G_l     = F_l F_lᵀ / (C·N)                   Gram matrix of style layer l
 *   Ls_l    = Σ (G_l − A_l)² / C²                A_l: the style's Gram (tiled, blended over styles)
 *   Ltv     = mean (x[y+1,x] − x[y,x])² + mean (x[y,x+1] − x[y,x])²
 *   Llayout = (mean_b (d_b − m)² + ρ·m²) / var_b Ȳ_b(c),   d_b = Ȳ_b(x) − Ȳ_b(c), m = mean_b d_b,
 *             Ȳ_b: mean luma of block b, ρ = LAYOUT_SHIFT_COST
 *
 * Where this differs from Gatys et al. (2016):
 *  - Gram normalization: the paper takes G = F Fᵀ and weighs its error by 1/(4C²N²); here G is
 *    normalized by C·N before the error (and the error by C²), so a layer's loss does not grow with
 *    the image's size and the same weights serve every size and level.
 *  - Content: the paper's ½Σ(F − P)² is divided here by C·N, for the same reason.
 *  - Total variation and the layout term are not in the paper: TV smooths (as later work does), and
 *    the layout term (below) is this project's own, what lets a tiled object be the stroke.
 *  - The balance: the paper sets one content/style ratio by hand (1e-3 or 1e-4) with equal layer
 *    weights; the automatic balance (below) measures every weight against the job itself.
 *
 * Gradients with respect to the features, which the ONNX graph back-propagates through VGG19:
 *   ∂(α·Lc)/∂F   = 2α/(C·N) · m·(F − P)
 *   ∂(β·Ls)/∂F   = 4β/(C³·N) · (G − A)·F          (G and A symmetric: ∂Σ(G−A)²/∂F = 4(G−A)F/(C·N))
 *
 * The balance. Raw weights mean nothing across pairs: one tiled style's Gram error is 14× another's,
 * so a weight that keeps one photo swallows the next. The automatic balance therefore measures each
 * term against the job itself:
 *  - each style layer is divided by the content picture's own error at that layer, so every layer
 *    starts at the same share and "style match" (final ÷ initial style loss) reads the same for every
 *    style;
 *  - the content term (relu4_2) is divided by the content features' mean square and kept at a tenth:
 *    it holds what things are (an eagle's shape), not where the light falls;
 *  - the layout term keeps the picture's coarse light and dark (blocks of about 1/32 of the longest
 *    side), so a tiled object can be the stroke inside each block while the blocks still add up to the
 *    photo, as in a photomosaic. A uniform change of brightness costs less (ρ < 1): a style on white
 *    may lighten the whole picture somewhat as long as its light and dark stay where they were. Its
 *    weight is steered while the job runs (steering.ts). It is reported as its own number (Losses'
 *    `layout`), not inside `content`.
 *  - the content term weighs each position: the content's subjects (subject-scale.ts) six times the
 *    rest, the mean weight 1, so a herd or the people on a beach keep what they are while the grass
 *    and the sky around them give way to the strokes (Lc = Σ m·(F − P)² / (C·N)).
 */
import type { VggImage } from './backend.js';

/** Scale of the balanced terms: every weight is relative to a style term that starts at this. */
export const BALANCE_SCALE = 1e4;

// ---- Coefficients shared by both backends ----------------------------------------------------

/** α/(C·N): multiplies Σ(F − P)². */
export const contentScale = (alpha: number, c: number, n: number) => alpha / (c * n);
/** 1/(C·N): turns FFᵀ into the Gram matrix (differs from Gatys, whose G is FFᵀ itself; see above). */
export const gramNorm = (c: number, n: number) => 1 / (c * n);
/** β/C²: multiplies Σ(G − A)². */
export const styleScale = (beta: number, c: number) => beta / (c * c);
/** 4β/(C³·N): multiplies (G − A)·F to give the gradient at the features. */
export const styleGradScale = (beta: number, c: number, n: number) => (4 * beta) / (c * c * c * n);

// ---- Total variation --------------------------------------------------------------------------

/** Adds γ·Ltv's gradient of a [1,3,H,W] image to `grad`; returns γ·Ltv. */
export function addTv(img: Float32Array, height: number, width: number, weight: number, grad: Float32Array): number {
  if (weight === 0) return 0;
  const plane = height * width;
  const nV = 3 * (height - 1) * width;
  const nH = 3 * height * (width - 1);
  let sV = 0;
  let sH = 0;
  const kV = (2 * weight) / nV;
  const kH = (2 * weight) / nH;
  for (let c = 0; c < 3; c++) {
    const o = c * plane;
    for (let y = 0; y < height; y++) {
      const row = o + y * width;
      for (let x = 0; x < width; x++) {
        const i = row + x;
        if (y + 1 < height) {
          const d = img[i + width] - img[i];
          sV += d * d;
          grad[i + width] += kV * d;
          grad[i] -= kV * d;
        }
        if (x + 1 < width) {
          const d = img[i + 1] - img[i];
          sH += d * d;
          grad[i + 1] += kH * d;
          grad[i] -= kH * d;
        }
      }
    }
  }
  return weight * (sV / nV + sH / nH);
}

// ---- Layout -----------------------------------------------------------------------------------

/** Luma weights in the network's BGR channel order; the mean offsets cancel in differences. */
const LUMA_BGR = [0.114, 0.587, 0.299] as const;
/** Blocks along the longest side: coarse enough to leave room for strokes, fine enough to read. */
export const LAYOUT_BLOCKS = 32;
/**
 * Extra content weight on the content's subjects, the mean weight kept at 1. Measured at the
 * defaults: without it a herd's horses vanished under a portrait's faces; a content share six times
 * higher everywhere kept them but the faces no longer formed; six times the rest on the horses keeps
 * both. Added on top of the rest (not taken from it), it cost eagle × 🎸 its structure at 384 px
 * (0.51 → 0.43); taken from the rest, 0.50.
 */
export const SUBJECT_CONTENT_BOOST = 5;

/** Where the content's subjects are: 1 = subject, at any resolution of the content's aspect. */
export interface SubjectMap {
  mask: Uint8Array;
  width: number;
  height: number;
}

/** The content term's weight at each position of a [height × width] feature map: 1, more on the subjects. */
export function contentMask(subjects: SubjectMap, width: number, height: number): Float32Array {
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      // The share of subject pixels in the map's cell under this position.
      const x0 = Math.floor((x * subjects.width) / width);
      const x1 = Math.max(x0 + 1, Math.floor(((x + 1) * subjects.width) / width));
      const y0 = Math.floor((y * subjects.height) / height);
      const y1 = Math.max(y0 + 1, Math.floor(((y + 1) * subjects.height) / height));
      let on = 0;
      for (let my = y0; my < y1; my++)
        for (let mx = x0; mx < x1; mx++) on += subjects.mask[Math.min(subjects.height - 1, my) * subjects.width + Math.min(subjects.width - 1, mx)]!;
      out[y * width + x] = 1 + (SUBJECT_CONTENT_BOOST * on) / ((y1 - y0) * (x1 - x0));
    }
  // The same total weight as without subjects: they take it from the grass and the sky around them.
  const mean = out.reduce((a, v) => a + v, 0) / out.length;
  for (let i = 0; i < out.length; i++) out[i] /= mean;
  return out;
}

/** Share of the cost of a uniform brightness change (1 = as any other change; measured: 0 washes pictures out). */
export const LAYOUT_SHIFT_COST = 0.3;

export interface LayoutTarget {
  block: number;
  bw: number;
  bh: number;
  /** Block luma of the content. */
  means: Float64Array;
  /** Variance of `means` (at least 1, so a flat picture does not divide by zero). */
  variance: number;
}

/** The block index of every pixel (the last row/column of blocks takes any remainder). */
function blockIndex(width: number, height: number, block: number, bw: number, bh: number): Int32Array {
  const idx = new Int32Array(width * height);
  for (let y = 0; y < height; y++) {
    const by = Math.min(bh - 1, Math.floor(y / block));
    for (let x = 0; x < width; x++) idx[y * width + x] = by * bw + Math.min(bw - 1, Math.floor(x / block));
  }
  return idx;
}

function blockMeans(img: VggImage, idx: Int32Array, blocks: number): { means: Float64Array; counts: Float64Array } {
  const { data } = img;
  const plane = img.width * img.height;
  const means = new Float64Array(blocks);
  const counts = new Float64Array(blocks);
  for (let i = 0; i < plane; i++) {
    means[idx[i]] += LUMA_BGR[0] * data[i] + LUMA_BGR[1] * data[plane + i] + LUMA_BGR[2] * data[2 * plane + i];
    counts[idx[i]]++;
  }
  for (let b = 0; b < blocks; b++) means[b] /= counts[b];
  return { means, counts };
}

export function layoutTarget(content: VggImage, blocks = LAYOUT_BLOCKS): LayoutTarget & { idx: Int32Array } {
  const block = Math.max(1, Math.round(Math.max(content.width, content.height) / blocks));
  const bw = Math.max(1, Math.floor(content.width / block));
  const bh = Math.max(1, Math.floor(content.height / block));
  const idx = blockIndex(content.width, content.height, block, bw, bh);
  const { means } = blockMeans(content, idx, bw * bh);
  const mean = means.reduce((a, b) => a + b, 0) / means.length;
  const variance = Math.max(1, means.reduce((a, b) => a + (b - mean) ** 2, 0) / means.length);
  return { block, bw, bh, means, variance, idx };
}

/** Adds λ·Llayout's gradient to `grad`; returns λ·Llayout. Not in Gatys: this project's own term (see above). */
export function addLayout(img: VggImage, target: LayoutTarget & { idx: Int32Array }, weight: number, grad: Float32Array): number {
  if (weight === 0) return 0;
  const { means: goal, variance, idx } = target;
  const nb = goal.length;
  const { means, counts } = blockMeans(img, idx, nb);
  let shift = 0;
  for (let b = 0; b < nb; b++) shift += (means[b] - goal[b]) / nb;
  // L = mean_b (d_b − m)² + ρ·m² with m = mean d: ∂L/∂d_b = 2(d_b − m)/nb + 2ρ·m/nb, spread evenly
  // over the block's pixels (Ȳ_b is their mean).
  let loss = LAYOUT_SHIFT_COST * shift * shift * nb;
  const dBlock = new Float64Array(nb);
  for (let b = 0; b < nb; b++) {
    const d = means[b] - goal[b] - shift;
    loss += d * d;
    dBlock[b] = (2 * weight * (d + LAYOUT_SHIFT_COST * shift)) / (nb * variance * counts[b]);
  }
  const plane = img.width * img.height;
  for (let i = 0; i < plane; i++) {
    const g = dBlock[idx[i]];
    grad[i] += LUMA_BGR[0] * g;
    grad[plane + i] += LUMA_BGR[1] * g;
    grad[2 * plane + i] += LUMA_BGR[2] * g;
  }
  return (weight * loss) / (nb * variance);
}

// ---- Balance ----------------------------------------------------------------------------------

/**
 * Fixed per-layer style weights, used where there is no content to measure against (palettes) and
 * by manual balance. With G = FFᵀ/(C·N) the squared Gram errors of shallow layers are orders of
 * magnitude larger than deep ones; these factors (measured on real photos and paintings) bring every
 * layer's initial loss to a similar size (about 1e5 × styleWeight).
 */
export const STYLE_LAYER_BALANCE: Record<string, number> = {
  relu1_1: 1e5 / 1e3,
  relu1_2: 1e5 / 3e4,
  relu2_1: 1e5 / 1.5e4,
  relu2_2: 1e5 / 2e4,
  relu3_1: 1e5 / 3e3,
  relu3_2: 1e5 / 1e4,
  relu3_3: 1e5 / 1e4,
  relu3_4: 1e5 / 1e4,
  relu4_1: 1e5 / 3e4,
  relu4_2: 1e5 / 3e3,
  relu4_3: 1e5 / 1e3,
  relu4_4: 1e5 / 1e2,
  relu5_1: 1e5 / 0.4,
};

const meanSquare = (a: Float32Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return s / a.length;
};

/** mean((a − b)²). */
export function meanSquaredError(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return s / a.length;
}

/** Σ_l β_l·mean((G_l − A_l)²): the style loss as both backends report it. */
export function styleLoss(grams: Float32Array[], targets: Float32Array[], weights: number[]): number {
  return grams.reduce((acc, g, l) => acc + weights[l] * meanSquaredError(g, targets[l]), 0);
}

export interface BalancedWeights {
  /** α per content layer. */
  contentWeight: number;
  /** β_l per style layer. */
  styleLayerWeights: number[];
}

/**
 * Weights of one level of a job, from the content picture's own features and Grams and the style
 * targets. `styleWeight` and `contentWeight` multiply the balanced terms (1 = as balanced); the
 * layout weight is steered separately and scaled by BALANCE_SCALE like them.
 */
export function balancedWeights(
  content: { features: Float32Array[]; grams: Float32Array[] },
  targets: Float32Array[],
  w: { styleWeight: number; contentWeight: number },
): BalancedWeights {
  const styleLayerWeights = targets.map((a, l) => (w.styleWeight * BALANCE_SCALE) / (targets.length * Math.max(1e-12, meanSquaredError(content.grams[l], a))));
  const contentNorm = content.features.reduce((s, f) => s + meanSquare(f), 0) / Math.max(1, content.features.length);
  return {
    contentWeight: (w.contentWeight * BALANCE_SCALE) / Math.max(1e-12, contentNorm),
    styleLayerWeights,
  };
}
