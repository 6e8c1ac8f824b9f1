/** Defaults and validation of transfer options. Messages are written for the person who set them. */
import { OptionError, type CropBox, type TransferOptions } from './types.js';
import { validCropBox } from './style-crop.js';
import { VGG19_BLOCKS } from './weights.js';
import { DEFAULT_STRENGTH, LIMITS } from './limits.js';

/** Every ReLU layer a loss may use (the network is loaded up to conv5_1). */
export const KNOWN_LAYERS: readonly string[] = VGG19_BLOCKS.flat()
  .filter((c) => c <= 'conv5_1')
  .map((c) => `relu${c.slice(4)}`);

export const DEFAULT_STYLE_LAYERS = ['relu1_1', 'relu2_1', 'relu3_1', 'relu4_1', 'relu5_1'];

export const DEFAULT_OPTIONS: TransferOptions = Object.freeze({
  // 512 px: a tiled object's copy is large enough to read. The quick schedule draws it at 128 and
  // 256 px and only sharpens at 512 (schedule.ts).
  size: 512,
  iterations: 160,
  tiles: 'auto',
  crop: 'auto',
  strength: DEFAULT_STRENGTH,
  balance: 'auto',
  styleWeight: 1,
  contentWeight: 1,
  tvWeight: 1,
  optimizer: 'lbfgs',
  init: 'content',
  seed: 42,
  preserveColors: false,
  // Tiled objects take the photo's colours, paintings keep theirs (colour-match.ts).
  colorMatch: 'auto',
  styleScale: 1,
  scales: 3,
  schedule: 'quick',
  learningRate: 5,
  contentLayers: ['relu4_2'],
  styleLayers: DEFAULT_STYLE_LAYERS,
  previewEvery: 0,
}) as TransferOptions;

export { LIMITS };

function num(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new OptionError(name, `${name} must be a number (got ${String(v)}).`);
  return v;
}

function int(name: string, v: unknown, min: number, max: number): number {
  const n = num(name, v);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new OptionError(name, `${name} must be a whole number from ${min} to ${max} (got ${n}).`);
  }
  return n;
}

function range(name: string, v: unknown, min: number, max: number): number {
  const n = num(name, v);
  if (n < min || n > max) throw new OptionError(name, `${name} must be from ${min} to ${max} (got ${n}).`);
  return n;
}

function nonNegative(name: string, v: unknown): number {
  const n = num(name, v);
  if (n < 0) throw new OptionError(name, `${name} must be 0 or more (got ${n}).`);
  return n;
}

function layers(name: string, v: unknown, allowEmpty: boolean): string[] {
  if (!Array.isArray(v) || v.some((l) => typeof l !== 'string')) {
    throw new OptionError(name, `${name} must be a list of layer names such as relu4_2.`);
  }
  if (!allowEmpty && v.length === 0) throw new OptionError(name, `${name} needs at least one layer.`);
  for (const l of v as string[]) {
    if (!KNOWN_LAYERS.includes(l)) {
      throw new OptionError(name, `${name}: unknown layer '${l}'. Known layers: ${KNOWN_LAYERS.join(', ')}.`);
    }
  }
  if (new Set(v).size !== v.length) throw new OptionError(name, `${name} lists a layer twice.`);
  return [...(v as string[])];
}

function oneOf<T extends string>(name: string, v: unknown, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !allowed.includes(v as T)) {
    throw new OptionError(name, `${name} must be one of ${allowed.join(', ')} (got ${String(v)}).`);
  }
  return v as T;
}

/** Fills defaults and validates every option; throws OptionError with a readable message. */
export function resolveOptions(partial: Partial<TransferOptions> = {}, maxSize: number = LIMITS.size.max): TransferOptions {
  const known = new Set(Object.keys(DEFAULT_OPTIONS));
  for (const key of Object.keys(partial)) {
    if (!known.has(key)) throw new OptionError(key, `Unknown option '${key}'. Known options: ${[...known].join(', ')}.`);
  }
  const defined = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined));
  const o = { ...DEFAULT_OPTIONS, ...defined } as Record<keyof TransferOptions, unknown>;
  const seed = int('seed', o.seed, LIMITS.seed.min, LIMITS.seed.max);
  return {
    size: int('size', o.size, LIMITS.size.min, maxSize),
    iterations: int('iterations', o.iterations, LIMITS.iterations.min, LIMITS.iterations.max),
    tiles: o.tiles === 'auto' ? 'auto' : int('tiles', o.tiles, LIMITS.tiles.min, LIMITS.tiles.max),
    crop: o.crop === 'auto' || o.crop === 'none' ? o.crop : validCropBox(o.crop as CropBox),
    strength: range('strength', o.strength, LIMITS.strength.min, LIMITS.strength.max),
    balance: oneOf('balance', o.balance, ['auto', 'manual'] as const),
    styleWeight: range('styleWeight', o.styleWeight, LIMITS.weight.min, LIMITS.weight.max),
    contentWeight: range('contentWeight', o.contentWeight, LIMITS.weight.min, LIMITS.weight.max),
    tvWeight: nonNegative('tvWeight', o.tvWeight),
    optimizer: oneOf('optimizer', o.optimizer, ['lbfgs', 'adam'] as const),
    init: oneOf('init', o.init, ['content', 'noise', 'style'] as const),
    seed,
    preserveColors: (() => {
      if (typeof o.preserveColors !== 'boolean') throw new OptionError('preserveColors', 'preserveColors must be true or false.');
      return o.preserveColors;
    })(),
    colorMatch: oneOf('colorMatch', o.colorMatch, ['auto', 'none', 'image', 'object'] as const),
    styleScale: range('styleScale', o.styleScale, LIMITS.styleScale.min, LIMITS.styleScale.max),
    scales: int('scales', o.scales, LIMITS.scales.min, LIMITS.scales.max),
    schedule: oneOf('schedule', o.schedule, ['quick', 'classic'] as const),
    learningRate: range('learningRate', o.learningRate, LIMITS.learningRate.min, LIMITS.learningRate.max),
    contentLayers: layers('contentLayers', o.contentLayers, true),
    styleLayers: layers('styleLayers', o.styleLayers, false),
    previewEvery: int('previewEvery', o.previewEvery, LIMITS.previewEvery.min, LIMITS.previewEvery.max),
  };
}
