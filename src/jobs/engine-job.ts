/**
 * A job as an engine runs it: the input bytes and the engine options, derived once from the job's
 * record. Job options map to engine options here only; runJob passes them on unread, so an engine
 * option added later needs a line here and nothing in run-job.ts or the transports. The stylize
 * options are built whole (every engine key of the option catalog), so an option declared there and
 * left out here does not compile.
 */
import type { TransferOptions } from '../engine/types.js';
import { paletteSizeFor, paletteTilesFor } from '../engine/index.js';
import type { DataFiles } from './data-files.js';
import { PALETTE_SEED, type JobOptions, type JobRecord, type OptionDefaults, type RecordKind } from './job-record.js';
import { PaletteCache } from './palette-cache.js';
import { paletteOptions, type UserEngineKey } from '../commands/option-catalog.js';

export interface EngineJob {
  id: string;
  kind: RecordKind;
  /** The content image (stylize and upscale jobs). */
  content?: Buffer;
  style: Buffer;
  /** The result an upscale starts from (upscale jobs). */
  previous?: Buffer;
  /** Engine options of the palette: the style alone, redrawn from noise. */
  palette: Partial<TransferOptions>;
  /** Palette cache key: the style's hash and the palette's options. */
  paletteKey: string;
  /** Engine options of the stylize pass (stylize jobs), or of the upscale (upscale jobs: the new size). */
  stylize?: Partial<TransferOptions>;
  /** A palette sweep: the palettes at 1, 2, 4 and 8 tiles in one picture instead of one palette. */
  sweep?: boolean;
  /** A stylize job that goes straight to its result: its user turned the palette off. */
  skipPalette?: boolean;
}

function previewEvery(options: JobOptions): number {
  return Math.max(1, Math.round(options.iterations / 4));
}

/** The crop settled before queueing; a record from before the option decides it as crop=auto did. */
function engineCrop(options: JobOptions): TransferOptions['crop'] {
  if (options.cropBox) return options.cropBox;
  return options.cropBox === null || options.crop === 'none' ? 'none' : 'auto';
}

/** The engine options a palette depends on (and is cached by: a key added here changes every cached palette's key). */
export function paletteEngineOptions(options: JobOptions): Pick<TransferOptions, 'tiles' | 'crop' | 'size' | 'iterations' | 'seed' | 'styleWeight'> {
  return {
    tiles: options.tiles,
    crop: engineCrop(options),
    size: options.size,
    iterations: options.iterations,
    seed: options.seed,
    styleWeight: options.styleWeight,
  };
}

/** The palette a stylize job shows first: at the palette's size and tiles (paletteSizeFor, paletteTilesFor), its steps, the palette's own seed and weights. */
export function paletteOptionsOf(options: JobOptions, defaults: OptionDefaults): JobOptions {
  return { ...paletteOptions(options, defaults), size: paletteSizeFor(options.size), tiles: paletteTilesFor(options.tiles, options.size), seed: PALETTE_SEED };
}

export function paletteKey(styleHash: string, options: JobOptions): string {
  const engineOptions = paletteEngineOptions(options);
  return PaletteCache.key(styleHash, options.sweep ? { ...engineOptions, sweep: true } : engineOptions);
}

/** Every user option the catalog declares, under its engine name, and the balance they decided. */
function stylizeEngineOptions(options: JobOptions): Pick<TransferOptions, UserEngineKey | 'balance'> {
  return {
    tiles: options.tiles,
    crop: engineCrop(options),
    size: options.size,
    iterations: options.iterations,
    strength: options.strength,
    balance: options.balance,
    styleWeight: options.styleWeight,
    contentWeight: options.contentWeight,
    preserveColors: options.preserveColors,
    seed: options.seed,
  };
}

/** The work of a job whose inputs are on disk under `files`. */
export async function loadEngineJob(record: JobRecord, files: DataFiles, defaults: OptionDefaults): Promise<EngineJob> {
  const o = record.options;
  const every = previewEvery(o);
  const style = await files.loadInput(record.inputs.style);
  if (record.kind === 'palette') {
    const work: EngineJob = {
      id: record.id,
      kind: 'palette',
      style,
      palette: { ...paletteEngineOptions(o), previewEvery: every },
      paletteKey: paletteKey(record.inputs.style, o),
    };
    return o.sweep ? { ...work, sweep: true } : work;
  }
  const paletteOptions = paletteOptionsOf(o, defaults);
  if (record.kind === 'upscale') {
    // The palette was shown with the job it upscales: the work carries its key only.
    return {
      id: record.id,
      kind: 'upscale',
      content: await files.loadInput(record.inputs.content!),
      style,
      previous: await files.loadInput(record.inputs.previous!),
      palette: {},
      paletteKey: paletteKey(record.inputs.style, paletteOptions),
      stylize: { ...stylizeEngineOptions(o), previewEvery: every },
    };
  }
  const work: EngineJob = {
    id: record.id,
    kind: 'stylize',
    content: await files.loadInput(record.inputs.content!),
    style,
    palette: { ...paletteEngineOptions(paletteOptions), previewEvery: every },
    paletteKey: paletteKey(record.inputs.style, paletteOptions),
    stylize: { ...stylizeEngineOptions(o), previewEvery: every },
  };
  return o.showPalette === false ? { ...work, skipPalette: true } : work;
}
