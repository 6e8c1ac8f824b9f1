/**
 * The run loop of a job: decode, build targets (tiled, blended, cached), optimize coarse-to-fine,
 * report progress and previews, honour cancellation, and encode the result.
 */
import type { LossBackend, LossSpec, LossTargets, VggImage } from './backend.js';
import { decodeImage, encodePng, resizeRgb, type RgbImage } from './image.js';
import { createAdam, createLbfgs, type Objective, type Optimizer } from './optimizers/index.js';
import { STYLE_LAYER_BALANCE } from './options.js';
import { combineLuminance, luminanceOnly, noiseImage, rgbToVgg, vggBounds, vggToRgb } from './preprocess.js';
import { digest, LruCache } from './style-cache.js';
import { tileStyle } from './tiling.js';
import { chooseTiles } from './auto-tiles.js';
import { addLayout, layoutTarget } from './layout.js';
import {
  JobCancelledError,
  OptionError,
  type Losses,
  type RunControls,
  type StyleInput,
  type TransferOptions,
  type TransferResult,
} from './types.js';

export interface TransferContext {
  backend: LossBackend;
  /** Gram targets of one style image at one size/tiling (not yet blended). */
  styleCache: LruCache<Float32Array[]>;
}

interface StyleSource {
  bytes: Buffer;
  key: string;
  weight: number;
}

function checkAbort(signal?: AbortSignal) {
  if (signal?.aborted) throw new JobCancelledError();
}

/** Longest sides of the coarse-to-fine levels, ending at `size`, none below 32 px. */
export function levelSizes(size: number, scales: number): number[] {
  const out: number[] = [];
  for (let k = scales - 1; k >= 0; k--) {
    const s = Math.round(size / 2 ** k);
    if (s >= 32 || k === 0) out.push(s);
  }
  return out;
}

/** Splits `total` steps over levels as evenly as possible, at least one each, the rest to the finest. */
export function splitIterations(total: number, levels: number): number[] {
  const n = Math.min(levels, total);
  const base = Math.floor(total / n);
  const out = new Array<number>(n).fill(base);
  out[n - 1] += total - base * n;
  return out;
}

function fitLongest(width: number, height: number, longest: number): { width: number; height: number } {
  const k = longest / Math.max(width, height);
  return { width: Math.max(16, Math.round(width * k)), height: Math.max(16, Math.round(height * k)) };
}

function styleSources(styles: StyleInput[]): StyleSource[] {
  if (styles.length === 0) throw new OptionError('styles', 'At least one style image is needed.');
  const weights = styles.map((s) => (s.weight === undefined ? 1 : s.weight));
  if (weights.some((w) => !Number.isFinite(w) || w < 0)) throw new OptionError('styles', 'Style weights must be 0 or more.');
  const sum = weights.reduce((a, b) => a + b, 0);
  return styles.map((s, i) => ({
    bytes: s.image,
    key: digest(s.image),
    weight: sum > 0 ? weights[i] / sum : 1 / styles.length,
  }));
}

/** Blended target Grams for one level: each style tiled at its own aspect, longest side `longest`. */
async function styleGrams(
  ctx: TransferContext,
  sources: StyleSource[],
  opts: PlannedOptions,
  longest: number,
  signal?: AbortSignal,
): Promise<Float32Array[]> {
  const blended: Float32Array[] = [];
  for (const src of sources) {
    checkAbort(signal);
    const key = [src.key, opts.tiles, longest, opts.preserveColors ? 'luma' : 'rgb', opts.styleLayers.join(',')].join('|');
    let grams = ctx.styleCache.get(key);
    if (!grams) {
      const decoded = await decodeImage(src.bytes, { maxSide: longest, upscale: true });
      const mosaic = await tileStyle(decoded, opts.tiles, decoded.width, decoded.height);
      const seen = opts.preserveColors ? luminanceOnly(mosaic) : mosaic;
      // Same layer set as the content targets, so both share one session.
      grams = (await ctx.backend.features(rgbToVgg(seen), { content: opts.contentLayers, style: opts.styleLayers })).grams;
      ctx.styleCache.set(key, grams);
    }
    grams.forEach((g, i) => {
      if (!blended[i]) blended[i] = new Float32Array(g.length);
      const b = blended[i];
      for (let j = 0; j < g.length; j++) b[j] += src.weight * g[j];
    });
  }
  return blended;
}

const meanSq = (a: Float32Array) => a.reduce((s, v) => s + v * v, 0) / a.length;
const meanSqDiff = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0) / a.length;

function experimentalBalance(spec: LossSpec, f: { content: Float32Array[]; grams: Float32Array[] }, grams: Float32Array[], opts: PlannedOptions): LossSpec {
  const mode = process.env.TS_BALANCE ?? 'fixed';
  if (mode === 'fixed') return spec;
  const L = grams.length;
  const styleLayerWeights = grams.map((a, l) => {
    const e = mode === 'calib' ? meanSqDiff(f.grams[l], a) : meanSq(a);
    return (opts.styleWeight * 1e4) / (L * e);
  });
  const cm = meanSq(f.content[0]);
  const contentWeight = (opts.contentWeight * 1e4) / cm;
  if (process.env.TS_DEBUG) console.error(JSON.stringify({ mode, styleLayerWeights, contentWeight, e: grams.map((a, l) => [meanSq(a), meanSqDiff(f.grams[l], a)]), cm }));
  return { ...spec, styleLayerWeights, contentWeight };
}

function lossSpec(opts: PlannedOptions, withContent: boolean): LossSpec {
  return {
    contentLayers: opts.contentLayers,
    styleLayers: opts.styleLayers,
    contentWeight: withContent ? opts.contentWeight : 0,
    styleLayerWeights: opts.styleLayers.map((l) => opts.styleWeight * (STYLE_LAYER_BALANCE[l] ?? 1)),
    tvWeight: opts.tvWeight,
  };
}

/** Options with the tiles decided. */
export type PlannedOptions = TransferOptions & { tiles: number };

interface RunPlan {
  opts: PlannedOptions;
  tilesReason?: string;
  controls: RunControls;
  sources: StyleSource[];
  /** Full-resolution content as the network sees it (absent for a palette). */
  content?: RgbImage;
  /** Content in colour, for colour preservation. */
  contentColour?: RgbImage;
  /** Output size. */
  width: number;
  height: number;
}

async function optimize(ctx: TransferContext, plan: RunPlan): Promise<{ image: RgbImage; stats: Omit<TransferResult['stats'], 'backend' | 'device'> }> {
  const { opts, controls } = plan;
  const { signal, onProgress } = controls;
  const started = performance.now();
  const sizes = levelSizes(Math.max(plan.width, plan.height), opts.scales);
  const iters = splitIterations(opts.iterations, sizes.length);
  const levels = sizes.slice(sizes.length - iters.length);
  let initialLosses: Losses | null = null;
  let finalLosses: Losses = { total: 0, content: 0, style: 0, tv: 0 };
  let current: VggImage | null = null;
  let step = 0;
  const withContent = !!plan.content && opts.contentWeight > 0;
  const spec = lossSpec(opts, withContent);
  let contentStyle: { grams: Float32Array[]; targets: Float32Array[]; spec: LossSpec } | null = null;

  for (let li = 0; li < levels.length; li++) {
    checkAbort(signal);
    const last = li === levels.length - 1;
    const { width, height } = last ? { width: plan.width, height: plan.height } : fitLongest(plan.width, plan.height, levels[li]);
    const grams = await styleGrams(ctx, plan.sources, opts, Math.max(16, Math.round(Math.max(width, height) * opts.styleScale)), signal);
    const targets: LossTargets = { grams };
    let contentVgg: VggImage | null = null;
    let levelSpec = spec;
    if (plan.content) {
      const c = plan.content.width === width && plan.content.height === height ? plan.content : await resizeRgb(plan.content, width, height);
      contentVgg = rgbToVgg(c);
      if (withContent) {
        const f = await ctx.backend.features(contentVgg, { content: opts.contentLayers, style: opts.styleLayers });
        targets.content = f.content;
        levelSpec = experimentalBalance(spec, f, grams, opts);
        contentStyle = { grams: f.grams, targets: grams, spec: levelSpec };
      }
    }

    const layout = contentVgg && withContent && process.env.TS_LAYOUT ? layoutTarget(contentVgg) : null;
    let x0: Float32Array;
    if (current) {
      x0 = rgbToVgg(await resizeRgb(vggToRgb(current), width, height)).data;
    } else if (opts.init === 'content' && contentVgg) {
      x0 = contentVgg.data.slice();
    } else if (opts.init === 'style') {
      const s = await decodeImage(plan.sources[0].bytes, { maxSide: Math.max(width, height), upscale: true });
      const fitted = await resizeRgb(opts.preserveColors ? luminanceOnly(s) : s, width, height);
      x0 = rgbToVgg(fitted).data;
    } else {
      x0 = noiseImage(width, height, opts.seed).data;
    }

    const objective: Objective = async (x) => {
      checkAbort(signal);
      const r = await ctx.backend.lossAndGrad({ data: x, width, height }, targets, levelSpec);
      if (layout) {
        const l = addLayout({ data: x, width, height }, layout, Number(process.env.TS_LAYOUT ?? 0) * 1e4, r.grad);
        r.losses.total += l;
        r.losses.content += l;
      }
      if (!initialLosses) initialLosses = r.losses;
      return r;
    };
    const bounds = vggBounds(width, height);
    const optimizer: Optimizer =
      opts.optimizer === 'adam' ? createAdam(x0, objective, bounds, opts.learningRate) : createLbfgs(x0, objective, bounds);

    for (let k = 0; k < iters[li]; k++) {
      checkAbort(signal);
      finalLosses = await optimizer.step();
      step++;
      if (onProgress) {
        let preview: Buffer | undefined;
        if (opts.previewEvery > 0 && step % opts.previewEvery === 0 && step < opts.iterations) {
          preview = await encodePng(finish({ data: optimizer.x, width, height }, plan.contentColour, width, height));
        }
        onProgress({ step, total: opts.iterations, losses: finalLosses, elapsedMs: performance.now() - started, preview });
      }
    }
    current = { data: optimizer.x, width, height };
  }
  let styleMatch: number | undefined;
  if (contentStyle && current) {
    const { grams, targets, spec: s } = contentStyle;
    const r = await ctx.backend.features(current, { content: [], style: s.styleLayers });
    const loss = (gs: Float32Array[]) => gs.reduce((acc, g, l) => acc + s.styleLayerWeights[l] * meanSqDiff(g, targets[l]), 0);
    styleMatch = loss(r.grams) / loss(grams);
  }
  const wallMs = performance.now() - started;
  const image = finish(current!, plan.contentColour, plan.width, plan.height);
  return {
    image,
    stats: {
      steps: step,
      wallMs,
      msPerStep: wallMs / Math.max(1, step),
      initialLosses: initialLosses ?? finalLosses,
      finalLosses,
      width: plan.width,
      height: plan.height,
      styleMatch,
    },
  };
}

/** VGG-space result → RGB, with the content's colours put back when preserving colours. */
function finish(x: VggImage, contentColour: RgbImage | undefined, width: number, height: number): RgbImage {
  const rgb = vggToRgb(x);
  if (!contentColour || contentColour.width !== width || contentColour.height !== height) return rgb;
  return combineLuminance(rgb, contentColour);
}

/** Optimizes a plan and encodes its image; the options reported are the ones it ran with. */
async function run(ctx: TransferContext, plan: RunPlan): Promise<TransferResult> {
  const { image, stats } = await optimize(ctx, plan);
  checkAbort(plan.controls.signal);
  return {
    image: await encodePng(image),
    stats: { backend: ctx.backend.name, device: ctx.backend.device, ...stats },
    options: plan.opts,
    ...(plan.tilesReason ? { tilesReason: plan.tilesReason } : {}),
  };
}

/** The tiles of a job: as given, or chosen from the first style image for 'auto'. */
async function planTiles(opts: TransferOptions, style: Buffer, longest: number): Promise<{ tiles: number; reason?: string }> {
  if (opts.tiles !== 'auto') return { tiles: opts.tiles };
  return chooseTiles(style, longest);
}

export async function stylize(
  ctx: TransferContext,
  contentBytes: Buffer,
  styles: StyleInput[],
  opts: TransferOptions,
  controls: RunControls = {},
): Promise<TransferResult> {
  checkAbort(controls.signal);
  const sources = styleSources(styles);
  const content = await decodeImage(contentBytes, { maxSide: opts.size, upscale: true });
  // Validate style images up front so a bad one fails before any optimization.
  for (const s of sources) await decodeImage(s.bytes, { maxSide: 64 });
  const tiles = await planTiles(opts, sources[0].bytes, Math.max(content.width, content.height));
  const plan: RunPlan = {
    opts: { ...opts, tiles: tiles.tiles },
    tilesReason: tiles.reason,
    controls,
    sources,
    content: opts.preserveColors ? luminanceOnly(content) : content,
    contentColour: opts.preserveColors ? content : undefined,
    width: content.width,
    height: content.height,
  };
  return run(ctx, plan);
}

/** The style-only reconstruction from noise, at `size` with the first style's aspect. */
export async function palette(
  ctx: TransferContext,
  styles: StyleInput[],
  opts: TransferOptions,
  controls: RunControls = {},
): Promise<TransferResult> {
  checkAbort(controls.signal);
  const sources = styleSources(styles);
  const first = await decodeImage(sources[0].bytes, { maxSide: opts.size, upscale: true });
  for (const s of sources.slice(1)) await decodeImage(s.bytes, { maxSide: 64 });
  const tiles = await planTiles(opts, sources[0].bytes, Math.max(first.width, first.height));
  const used: PlannedOptions = { ...opts, tiles: tiles.tiles, contentWeight: 0, init: 'noise', preserveColors: false };
  const plan: RunPlan = { opts: used, tilesReason: tiles.reason, controls, sources, width: first.width, height: first.height };
  return run(ctx, plan);
}
