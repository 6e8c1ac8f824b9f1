/**
 * What a worker needs to run one job: the input bytes and the engine options, derived once from the
 * job's record. User options map to engine options here only; the runner passes them on unread, so
 * an engine option added later needs a line here and nothing in the runner or the transports.
 */
import type { TransferOptions } from '../engine/types.js';
import type { DataFiles } from './files.js';
import { PALETTE_SEED, type OptionDefaults, type UserOptions } from './options.js';
import { PaletteCache } from './palette-cache.js';
import type { JobRecord, RecordKind } from './store.js';

export interface JobWork {
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
  /** Engine options of the stylize pass (stylize jobs), or of the upscale (upscale jobs: the size is the new one). */
  stylize?: Partial<TransferOptions>;
}

function previewEvery(options: UserOptions): number {
  return Math.max(1, Math.round(options.iterations / 4));
}

/** The engine options a palette depends on (and is cached by). */
export function paletteEngineOptions(options: UserOptions): Partial<TransferOptions> {
  return { tiles: options.tiles, size: options.size, iterations: options.iterations, seed: options.seed, styleWeight: options.styleWeight };
}

/** The palette a stylize job shows first: its tiles, size and steps, the palette's own seed and weights. */
export function paletteOptionsOf(options: UserOptions, defaults: OptionDefaults): UserOptions {
  return { ...options, seed: PALETTE_SEED, styleWeight: defaults.styleWeight, contentWeight: 0, preserveColors: false };
}

export function paletteKey(styleHash: string, options: UserOptions): string {
  return PaletteCache.key(styleHash, paletteEngineOptions(options));
}

function stylizeEngineOptions(options: UserOptions): Partial<TransferOptions> {
  return {
    tiles: options.tiles,
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
export async function loadWork(record: JobRecord, files: DataFiles, defaults: OptionDefaults): Promise<JobWork> {
  const o = record.options;
  const every = previewEvery(o);
  const style = await files.loadInput(record.inputs.style);
  if (record.kind === 'palette') {
    return { id: record.id, kind: 'palette', style, palette: { ...paletteEngineOptions(o), previewEvery: every }, paletteKey: paletteKey(record.inputs.style, o) };
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
  return {
    id: record.id,
    kind: 'stylize',
    content: await files.loadInput(record.inputs.content!),
    style,
    palette: { ...paletteEngineOptions(paletteOptions), previewEvery: every },
    paletteKey: paletteKey(record.inputs.style, paletteOptions),
    stylize: { ...stylizeEngineOptions(o), previewEvery: every },
  };
}
