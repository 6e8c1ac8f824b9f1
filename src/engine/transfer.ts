/**
 * The run loop of a job: decode, build targets (tiled, blended, cached), optimize coarse-to-fine
 * with the balance of loss.ts, steer the layout weight to the strength's structure, stop converged
 * levels, report progress and previews, honour cancellation, and encode the result.
 */
import type { LossBackend, LossSpec, LossTargets, VggImage } from './backend.js';
import { decodeImage, encodePng, resizeRgb, type RgbImage } from './image.js';
import { LIMITS, MIN_SIDE } from './limits.js';
import { PALETTE_FIXED } from './palette-options.js';
import { addLayout, BALANCE_SCALE, contentMask, type SubjectMap, balancedWeights, layoutTarget, STYLE_LAYER_BALANCE, styleLoss } from './loss.js';
import { LAYOUT_WEIGHT_START, LayoutSteering } from './steering.js';
import { createAdam, createLbfgs, type Objective, type Optimizer } from './optimizers/index.js';
import { combineLuminance, luminanceOnly, noiseImage, rgbToVgg, vggBounds, vggToRgb } from './preprocess.js';
import { structureOfRgb } from './quality.js';
import { ConvergenceWatch, paletteFrame, planLevels, SHARPEN_STEPS, SHARPEN_STYLE_LAYERS, type Level } from './schedule.js';
import { SessionMemory, type LayerSet } from './session-memory.js';
import { digest, type LruCache } from './style-cache.js';
import { styleMosaic } from './tiling.js';
import { cropImage } from './style-crop.js';
import { settleStyle } from './style-plan.js';
import { layerSize } from './vgg-layers.js';
import { colourMatchFor, colourShare, colourStats, matchColours, type ColourMatchMode, type ColourStats } from './colour-match.js';
import { subjectScale, type SubjectScale } from './subject-scale.js';
import { JobCancelledError, OptionError, type Losses, type RunControls, type StyleInput, type TransferOptions, type TransferResult } from './types.js';

export { levelSizes, splitIterations } from './schedule.js';

export interface TransferContext {
  backend: LossBackend;
  /** Gram targets of one style image at one size/tiling (not yet blended). */
  styleCache: LruCache<Float32Array[]>;
  /** Overrides RELEASE_ABOVE_PIXELS (session-memory.ts). */
  releaseAbovePixels?: number;
}

interface StyleSource {
  bytes: Buffer;
  key: string;
  weight: number;
}

/** Steps of an upscale: as many as the sharpening level of a job (it starts from a finished result). */
const UPSCALE_STEPS = SHARPEN_STEPS;
/**
 * Layout weight of an upscale: its target is the earlier result itself, so holding it firmly keeps the
 * composition without fighting the style.
 */
const UPSCALE_LAYOUT_WEIGHT = 0.3;

/** Share of the balanced content (relu4_2) term under automatic balance; the layout term does the rest. */
const AUTO_CONTENT_SHARE = 0.1;

/**
 * With previews asked for, the first comes at this step whatever their interval: a coarse level's
 * steps are cheap, so the picture starts to show within a few seconds of the job's start.
 */
const FIRST_PREVIEW_STEP = 10;

function checkAbort(signal?: AbortSignal) {
  if (signal?.aborted) throw new JobCancelledError();
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

/**
 * A style image decoded at `maxSide`, or larger where it is so thin that its short side would be under
 * MIN_SIDE: a style's shape never refuses a job (a 10:1 object at a 32-px level is 3 px high).
 */
function decodeStyle(bytes: Buffer, maxSide: number): Promise<RgbImage> {
  return decodeImage(bytes, { maxSide, upscale: true, minShortSide: MIN_SIDE });
}

/** Blended target Grams for one level: each style tiled at its own aspect, longest side `longest`. */
async function styleGrams(
  ctx: TransferContext,
  sources: StyleSource[],
  opts: PlannedOptions,
  layers: LevelLayers,
  longest: number,
  photoColours: ColourStats | undefined,
  signal?: AbortSignal,
): Promise<Float32Array[]> {
  const blended: Float32Array[] = [];
  for (const src of sources) {
    checkAbort(signal);
    const share = colourShare(opts.strength);
    const colours = photoColours ? `${opts.colorMatch}:${share}:${photoColours.mean.join(',')}:${photoColours.cov.join(',')}` : 'own';
    const key = [src.key, opts.tiles, longest, opts.preserveColors ? 'luma' : 'rgb', colours, layers.style.join(','), layers.content.join(',')].join('|');
    let grams = ctx.styleCache.get(key);
    if (!grams) {
      // A thin style is decoded past `longest` (decodeStyle) and its mosaic grown along the short side.
      const decoded = await decodeStyle(src.bytes, longest);
      // Matched before tiling: each copy is the matched object, and the loss graph stays as it is.
      const matched = photoColours ? matchColours(decoded, photoColours, opts.colorMatch, share) : decoded;
      const mosaic = await styleMosaic(matched, opts.tiles, longest, MIN_SIDE);
      const seen = opts.preserveColors ? luminanceOnly(mosaic) : mosaic;
      // Same layer set as the content targets, so both share one session.
      grams = (await ctx.backend.features(rgbToVgg(seen), layers)).grams;
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

/** Options with the tiles, and so the colour match, decided. */
export type PlannedOptions = TransferOptions & { tiles: number; colorMatch: ColourMatchMode };

interface RunPlan {
  opts: PlannedOptions;
  tilesReason?: string;
  crop?: TransferResult['crop'];
  controls: RunControls;
  sources: StyleSource[];
  /** Full-resolution content as the network sees it (absent for a palette). */
  content?: RgbImage;
  /** Content in colour, for colour preservation. */
  contentColour?: RgbImage;
  /** The photo's colour statistics, which the styles' colours are moved to (opts.colorMatch). */
  photoColours?: ColourStats;
  /** Where the content's subjects are: they weigh more in the content term. */
  subjects?: SubjectMap;
  /**
   * An upscale: the earlier result, whose light and dark the layout term keeps (instead of the
   * photo's), and which the only level starts from.
   */
  previous?: RgbImage;
  /** The levels to run (default: planned from the options). */
  levels?: Level[];
  /** Output size. */
  width: number;
  height: number;
}

/** The network layers one level uses. */
type LevelLayers = LayerSet;

/** A sharpening level keeps only the shallow style layers of the job (all of them if none is shallow). */
function layersOf(opts: PlannedOptions, level: Level): LevelLayers {
  if (!level.sharpen) return { content: opts.contentLayers, style: opts.styleLayers };
  const shallow = opts.styleLayers.filter((l) => SHARPEN_STYLE_LAYERS.includes(l));
  return { content: [], style: shallow.length > 0 ? shallow : opts.styleLayers };
}

/** Fixed weights: palettes (no content to measure against). */
function fixedSpec(opts: PlannedOptions, layers: LevelLayers): LossSpec {
  return {
    contentLayers: layers.content,
    styleLayers: layers.style,
    contentWeight: 0,
    styleLayerWeights: layers.style.map((l) => opts.styleWeight * (STYLE_LAYER_BALANCE[l] ?? 1)),
    tvWeight: opts.tvWeight,
  };
}

/** What one level optimizes: targets, weights, the layout goal, and the content it is measured against. */
interface LevelSetup {
  width: number;
  height: number;
  targets: LossTargets;
  spec: LossSpec;
  layout: ReturnType<typeof layoutTarget> | null;
  /** The content at this level as the network and the structure measure see it (absent for a palette). */
  content: { rgb: RgbImage; vgg: VggImage; styleLoss: number } | null;
}

/** A level's targets and weights; `memory` (a level the job runs, not a measurement) learns what it uses first. */
async function setUpLevel(ctx: TransferContext, plan: RunPlan, level: Level, last: boolean, memory?: SessionMemory): Promise<LevelSetup> {
  const { opts, controls } = plan;
  const { width, height } = last ? { width: plan.width, height: plan.height } : fitLongest(plan.width, plan.height, level.longest);
  const layers = layersOf(opts, level);
  // Besides its loss, a level measures the style match on its style layers alone (styleMatchOf).
  await memory?.enterLevel([layers, { content: [], style: layers.style }], width * height);
  const grams = await styleGrams(
    ctx,
    plan.sources,
    opts,
    layers,
    Math.max(16, Math.round(Math.max(width, height) * opts.styleScale)),
    plan.photoColours,
    controls.signal,
  );
  const targets: LossTargets = { grams };
  let spec = fixedSpec(opts, layers);
  let layout: LevelSetup['layout'] = null;
  let content: LevelSetup['content'] = null;
  if (plan.content) {
    const c = plan.content.width === width && plan.content.height === height ? plan.content : await resizeRgb(plan.content, width, height);
    const vgg = rgbToVgg(c);
    const f = await ctx.backend.features(vgg, layers);
    targets.content = f.content;
    // Content features are [C, h, w] with h, w the image's size halved at each pool before the layer.
    if (plan.subjects && opts.balance === 'auto' && layers.content.length > 0) {
      targets.contentMask = layers.content.map((name) => {
        const { h, w } = layerSize(name, height, width);
        return contentMask(plan.subjects!, w, h);
      });
    }
    const auto = opts.balance === 'auto';
    const w = balancedWeights({ features: f.content, grams: f.grams }, grams, {
      styleWeight: auto ? 1 : opts.styleWeight,
      contentWeight: auto ? AUTO_CONTENT_SHARE : opts.contentWeight,
    });
    spec = { ...spec, contentWeight: layers.content.length > 0 ? w.contentWeight : 0, styleLayerWeights: w.styleLayerWeights };
    if (auto) layout = layoutTarget(plan.previous ? rgbToVgg(await resizeRgb(plan.previous, width, height)) : vgg);
    // The content's own style loss is fixed for the level: the denominator of every style match.
    content = { rgb: c, vgg, styleLoss: styleLoss(f.grams, grams, w.styleLayerWeights) };
  }
  return { width, height, targets, spec, layout, content };
}

async function initialImage(plan: RunPlan, level: LevelSetup, current: VggImage | null): Promise<Float32Array> {
  const { opts } = plan;
  const { width, height } = level;
  if (current) return rgbToVgg(await resizeRgb(vggToRgb(current), width, height)).data;
  if (opts.init === 'content' && level.content) return level.content.vgg.data.slice();
  if (opts.init === 'style') {
    const s = await decodeStyle(plan.sources[0].bytes, Math.max(width, height));
    return rgbToVgg(await resizeRgb(opts.preserveColors ? luminanceOnly(s) : s, width, height)).data;
  }
  return noiseImage(width, height, opts.seed).data;
}

/** Style loss of `image` ÷ the content picture's own, against one level's targets and weights. */
async function styleMatchOf(ctx: TransferContext, image: VggImage, level: LevelSetup, content: { styleLoss: number }): Promise<number> {
  const r = await ctx.backend.features(image, { content: [], style: level.spec.styleLayers });
  return styleLoss(r.grams, level.targets.grams, level.spec.styleLayerWeights) / content.styleLoss;
}

/** The style match on every style layer of the job at the full size, whatever the last level used. */
async function fullStyleMatch(ctx: TransferContext, plan: RunPlan, image: VggImage): Promise<number> {
  const full: Level = { longest: Math.max(plan.width, plan.height), maxSteps: 0, stopEarly: false, sharpen: false };
  const lv = await setUpLevel(ctx, plan, full, true);
  return styleMatchOf(ctx, image, lv, lv.content!);
}

/**
 * A result's style match: on every layer at the full size when asked for (controls.measure), else from
 * the last level when it used every layer (a sharpening level's shallow layers alone would flatter it).
 */
async function finalStyleMatch(ctx: TransferContext, plan: RunPlan, image: VggImage, last: LevelSetup | null, sharpened: boolean): Promise<number | undefined> {
  if (!plan.content) return undefined;
  if (plan.controls.measure) return fullStyleMatch(ctx, plan, image);
  return last?.content && !sharpened ? styleMatchOf(ctx, image, last, last.content) : undefined;
}

async function optimize(
  ctx: TransferContext,
  plan: RunPlan,
  memory: SessionMemory,
): Promise<{ image: RgbImage; stats: Omit<TransferResult['stats'], 'backend' | 'device'> }> {
  const { opts, controls } = plan;
  const { signal, onProgress } = controls;
  const started = performance.now();
  const levels = plan.levels ?? planLevels(opts, Math.max(plan.width, plan.height), !plan.content, Math.min(plan.width, plan.height));
  const total = levels.reduce((a, l) => a + l.maxSteps, 0);
  const steering = new LayoutSteering(!!plan.content && opts.balance === 'auto', opts.strength, plan.previous ? UPSCALE_LAYOUT_WEIGHT : LAYOUT_WEIGHT_START);
  let initialLosses: Losses | null = null;
  let finalLosses: Losses = { total: 0, content: 0, style: 0, tv: 0 };
  let current: VggImage | null = plan.previous ? rgbToVgg(plan.previous) : null;
  let level: LevelSetup | null = null;
  const levelSteps: number[] = [];
  let step = 0;
  let budgetUsed = 0;

  for (let li = 0; li < levels.length; li++) {
    checkAbort(signal);
    const last = li === levels.length - 1;
    const lv = await setUpLevel(ctx, plan, levels[li], last, memory);
    level = lv;
    const { width, height } = lv;
    const x0 = await initialImage(plan, lv, current);
    // The network's part of the last evaluation: an optimizer restarted at the same point after a
    // change of the layout weight (computed here in JS) needs no network pass.
    let lastNet: { x: Float32Array; losses: Losses; grad: Float32Array } | null = null;
    const objective: Objective = async (x) => {
      checkAbort(signal);
      const image = { data: x, width, height };
      if (!lastNet || !sameValues(lastNet.x, x)) {
        const net = await ctx.backend.lossAndGrad(image, lv.targets, lv.spec);
        lastNet = { x: x.slice(), losses: net.losses, grad: net.grad };
      }
      const r = { losses: lastNet.losses, grad: lv.layout ? lastNet.grad.slice() : lastNet.grad };
      if (lv.layout) {
        const l = addLayout(image, lv.layout, steering.weight * BALANCE_SCALE, r.grad);
        r.losses = { ...r.losses, total: r.losses.total + l, layout: l };
      }
      if (!initialLosses) initialLosses = r.losses;
      return r;
    };
    const bounds = vggBounds(width, height);
    const makeOptimizer = (x: Float32Array, firstStep?: number): Optimizer =>
      opts.optimizer === 'adam' ? createAdam(x, objective, bounds, opts.learningRate) : createLbfgs(x, objective, bounds, { firstStep });
    let optimizer = makeOptimizer(x0);
    const watch = new ConvergenceWatch();
    const content = lv.content;
    const structureOf = (x: Float32Array) => structureOfRgb(content!.rgb, vggToRgb({ data: x, width, height }));
    await steering.startLevel(levels[li], last, !!content, () => structureOf(x0));
    let k = 0;
    for (; k < levels[li].maxSteps; k++) {
      checkAbort(signal);
      finalLosses = await optimizer.step();
      step++;
      const stepInLevel = k + 1;
      // The optimizer's losses are those of its current image, on this level's style layers and
      // weights: its style match without another network pass.
      const losses = finalLosses;
      const changed = await steering.afterStep(
        stepInLevel,
        () => structureOf(optimizer.x),
        () => losses.style / content!.styleLoss,
      );
      if (changed) {
        // The objective changed: the curvature history no longer applies.
        optimizer = makeOptimizer(optimizer.x.slice(), 5);
        watch.reset();
      }
      const converged = !changed && levels[li].stopEarly && watch.record(finalLosses.total);
      if (onProgress) {
        const done = budgetUsed + stepInLevel;
        let preview: Buffer | undefined;
        const due = step % opts.previewEvery === 0 || step === FIRST_PREVIEW_STEP;
        if (opts.previewEvery > 0 && due && !(last && (converged || stepInLevel === levels[li].maxSteps))) {
          preview = await encodePng(finish({ data: optimizer.x, width, height }, plan.contentColour, width, height));
        }
        onProgress({ step: done, total, losses: finalLosses, elapsedMs: performance.now() - started, preview });
      }
      if (converged) {
        k++;
        break;
      }
    }
    levelSteps.push(k);
    budgetUsed += levels[li].maxSteps;
    current = { data: optimizer.x, width, height };
  }

  const styleMatch = current ? await finalStyleMatch(ctx, plan, current, level, levels.at(-1)?.sharpen ?? false) : undefined;
  const wallMs = performance.now() - started;
  const image = finish(current!, plan.contentColour, plan.width, plan.height);
  return {
    image,
    stats: {
      steps: step,
      levelSteps,
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

function sameValues(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** VGG-space result → RGB, with the content's colours put back when preserving colours. */
function finish(x: VggImage, contentColour: RgbImage | undefined, width: number, height: number): RgbImage {
  const rgb = vggToRgb(x);
  if (!contentColour || contentColour.width !== width || contentColour.height !== height) return rgb;
  return combineLuminance(rgb, contentColour);
}

/** The photo's colour statistics when the styles take the photo's colours. */
function photoColoursFor(mode: ColourMatchMode, content: RgbImage): ColourStats | undefined {
  return mode !== 'none' ? colourStats(content) : undefined;
}

/** Optimizes a plan and encodes its image; the options reported are the ones it ran with. */
async function run(ctx: TransferContext, plan: RunPlan): Promise<TransferResult> {
  const memory = new SessionMemory(ctx.backend, ctx.releaseAbovePixels);
  const { image, stats } = await optimize(ctx, plan, memory).finally(() => memory.endJob());
  checkAbort(plan.controls.signal);
  return {
    image: await encodePng(image),
    stats: { backend: ctx.backend.name, device: ctx.backend.device, ...stats },
    options: plan.opts,
    ...(plan.tilesReason ? { tilesReason: plan.tilesReason } : {}),
    ...(plan.crop ? { crop: plan.crop } : {}),
  };
}

/**
 * The tiles of a job and, when tiled, the first style image cut to its subject (settleStyle: the same
 * rule the intake settles a job with): the sources with it replaced, and the crop to report. The
 * tiles are chosen on the whole picture, which tells a subject from a painting; the crop then decides
 * what each copy shows.
 */
async function planStyle(
  opts: TransferOptions,
  sources: StyleSource[],
  longest: number,
  subjects?: SubjectScale,
): Promise<{ tiles: number; tilesReason?: string; sources: StyleSource[]; crop?: TransferResult['crop'] }> {
  const plan = await settleStyle(sources[0]!.bytes, { tiles: opts.tiles, crop: opts.crop, size: longest }, subjects);
  const settled = { tiles: plan.tiles, ...(plan.tilesReason ? { tilesReason: plan.tilesReason } : {}) };
  if (!plan.crop) return { ...settled, sources };
  const crop = { box: plan.crop.box, reason: plan.crop.reason };
  if (!crop.box) return { ...settled, sources, crop };
  const bytes = await cropImage(sources[0]!.bytes, crop.box);
  return { ...settled, sources: [{ ...sources[0]!, bytes, key: digest(bytes) }, ...sources.slice(1)], crop };
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
  for (const s of sources) await decodeStyle(s.bytes, 64);
  const subjects = await subjectScale(contentBytes);
  const cropped = await planStyle(opts, sources, Math.max(content.width, content.height), subjects);
  const colorMatch = colourMatchFor(opts.colorMatch, cropped.tiles, opts.preserveColors);
  const plan: RunPlan = {
    opts: { ...opts, tiles: cropped.tiles, crop: cropped.crop?.box ?? 'none', colorMatch },
    tilesReason: cropped.tilesReason,
    crop: cropped.crop,
    controls,
    sources: cropped.sources,
    subjects,
    content: opts.preserveColors ? luminanceOnly(content) : content,
    contentColour: opts.preserveColors ? content : undefined,
    photoColours: photoColoursFor(colorMatch, content),
    width: content.width,
    height: content.height,
  };
  return run(ctx, plan);
}

/**
 * A result redrawn at `opts.size` (larger than its own) starting from itself: one sharpening level at
 * the new size, with the earlier result's light and dark as the layout to keep, so the composition
 * stays and the strokes are redrawn at the new resolution instead of being interpolated.
 */
export async function upscale(
  ctx: TransferContext,
  contentBytes: Buffer,
  styles: StyleInput[],
  previousBytes: Buffer,
  opts: TransferOptions,
  controls: RunControls = {},
): Promise<TransferResult> {
  checkAbort(controls.signal);
  const sources = styleSources(styles);
  const previous = await decodeImage(previousBytes, { maxSide: LIMITS.size.max });
  if (Math.max(previous.width, previous.height) >= opts.size) {
    throw new OptionError('size', `An upscale needs a size larger than the result's ${Math.max(previous.width, previous.height)} px (got ${opts.size}).`);
  }
  const { width, height } = fitLongest(previous.width, previous.height, opts.size);
  const content = await resizeRgb(await decodeImage(contentBytes, { maxSide: opts.size, upscale: true }), width, height);
  for (const s of sources) await decodeStyle(s.bytes, 64);
  // The result's own tiles; 'auto' decides them as they were decided for the result, at its size.
  const subjects = opts.tiles === 'auto' ? await subjectScale(contentBytes) : undefined;
  const cropped = await planStyle(opts, sources, Math.max(previous.width, previous.height), subjects);
  const colorMatch = colourMatchFor(opts.colorMatch, cropped.tiles, opts.preserveColors);
  const plan: RunPlan = {
    opts: { ...opts, tiles: cropped.tiles, balance: 'auto', crop: cropped.crop?.box ?? 'none', colorMatch },
    tilesReason: cropped.tilesReason,
    crop: cropped.crop,
    controls,
    sources: cropped.sources,
    content: opts.preserveColors ? luminanceOnly(content) : content,
    contentColour: opts.preserveColors ? content : undefined,
    photoColours: photoColoursFor(colorMatch, content),
    previous,
    width,
    height,
    levels: [{ longest: Math.max(width, height), maxSteps: UPSCALE_STEPS, stopEarly: true, sharpen: true }],
  };
  return run(ctx, plan);
}

/** The style-only reconstruction from noise, at `size` with the first style's aspect. */
export async function palette(ctx: TransferContext, styles: StyleInput[], opts: TransferOptions, controls: RunControls = {}): Promise<TransferResult> {
  checkAbort(controls.signal);
  const whole = styleSources(styles);
  const uncut = await decodeStyle(whole[0].bytes, opts.size);
  for (const s of whole.slice(1)) await decodeStyle(s.bytes, 64);
  // The palette's size, not the decoded style's: a thin style is decoded longer (decodeStyle).
  // The palette takes the aspect of what it repeats (the crop, when there is one), up to PALETTE_MAX_ASPECT.
  const { tiles, tilesReason, sources, crop } = await planStyle(opts, whole, opts.size);
  const first = crop?.box ? await decodeStyle(sources[0].bytes, opts.size) : uncut;
  // A palette shows the style's own colours: there is no photo to match them to.
  const used: PlannedOptions = { ...opts, ...PALETTE_FIXED, tiles, crop: crop?.box ?? 'none', init: 'noise', colorMatch: 'none' };
  const plan: RunPlan = { opts: used, tilesReason, crop, controls, sources, ...paletteFrame(first.width, first.height, opts.size) };
  return run(ctx, plan);
}
