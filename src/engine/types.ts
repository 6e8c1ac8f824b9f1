/** Public types of the style-transfer engine. The engine knows nothing of chat platforms. */

export type BackendName = 'onnx' | 'tfjs';
export type OptimizerName = 'lbfgs' | 'adam';
export type InitName = 'content' | 'noise' | 'style';
export type BalanceMode = 'auto' | 'manual';
export type ScheduleName = 'quick' | 'classic';
export type ColourMatchMode = 'none' | 'image' | 'object';

/** VGG19 layer names as used for losses, e.g. 'relu4_2'. */
export type LayerName = string;

/** A part of a picture, as fractions (0..1) of its upright width and height. */
export interface CropBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface TransferOptions {
  /** Longest side of the result in pixels. */
  size: number;
  /** Optimizer steps (summed over all scales). */
  iterations: number;
  /**
   * The style image is repeated tiles×tiles before its Gram matrices are taken (1 = no tiling);
   * 'auto' chooses from the first style image (see auto-tiles.ts).
   */
  tiles: number | 'auto';
  /**
   * The part of the first style image that a tiled style repeats: 'auto' finds its subject (a face with
   * its head and shoulders, an object on a plain background; see style-crop.ts), 'none' keeps the whole
   * picture, a box (fractions of the upright picture) is used as it is. An untiled style is never cut.
   */
  crop: 'auto' | 'none' | CropBox;
  /**
   * 1–10: how far the style may take over (low keeps the photo, high lets the style's objects take
   * over). Used when `balance` is 'auto'.
   */
  strength: number;
  /**
   * 'auto': content and style are balanced per job to the strength (see balance.ts); 'manual': the raw
   * weights below are used as they are (on the same normalized terms).
   */
  balance: BalanceMode;
  styleWeight: number;
  contentWeight: number;
  tvWeight: number;
  optimizer: OptimizerName;
  init: InitName;
  /** Makes a run reproducible (noise init, any randomness). */
  seed: number;
  /** Transfer luminance only and keep the content image's colours. */
  preserveColors: boolean;
  /**
   * The style's colours moved to the photo's before its Gram matrices are taken (colour-match.ts):
   * 'none' keeps the style's own; 'image' matches the whole style's colour statistics to the photo's;
   * 'object' matches an object cut out on a plain background by its own pixels and paints the
   * background in the photo's mean colour; 'auto' (default) is 'image' for a tiled style (an object
   * is the stroke) and 'none' for an untiled one (a painting's colours are its style). Ignored with
   * preserveColors and for palettes (no photo).
   */
  colorMatch: ColourMatchMode | 'auto';
  /** Size of the style features relative to the result (1 = same longest side). */
  styleScale: number;
  /** Coarse-to-fine levels: 1 = single scale; each level doubles the side up to `size`. */
  scales: number;
  /** How steps are spent: 'quick' stops converged levels early; 'classic' runs every step (schedule.ts). */
  schedule: ScheduleName;
  /** Adam learning rate (pixels, 0..255 scale). */
  learningRate: number;
  contentLayers: LayerName[];
  styleLayers: LayerName[];
  /** Emit a preview PNG every this many steps (0 = never). */
  previewEvery: number;
}

export interface StyleInput {
  image: Buffer;
  /** Blend weight among several styles; normalized by the engine. Default 1. */
  weight?: number;
}

export interface Losses {
  total: number;
  content: number;
  style: number;
  tv: number;
  /** The layout term (automatic balance only; see loss.ts), apart from `content`. */
  layout?: number;
}

export interface Progress {
  step: number;
  total: number;
  losses: Losses;
  elapsedMs: number;
  /** PNG of the current image, every `previewEvery` steps. */
  preview?: Buffer;
}

export interface RunControls {
  onProgress?: (p: Progress) => void;
  /** Aborting cancels the job within one optimizer step (the promise rejects with JobCancelledError). */
  signal?: AbortSignal;
  /**
   * Also measure the final style match on every style layer at the full size (stats.styleMatch), which
   * costs two forward passes; benchmarks and quality checks ask for it.
   */
  measure?: boolean;
}

export interface TransferStats {
  backend: string;
  device: string;
  steps: number;
  wallMs: number;
  msPerStep: number;
  initialLosses: Losses;
  finalLosses: Losses;
  width: number;
  height: number;
  /** Final style loss ÷ the content image's own style loss against the same targets (stylize only). */
  styleMatch?: number;
  /** Steps each level took (a level that converged stops before its share). */
  levelSteps: number[];
}

export interface TransferResult {
  /** PNG bytes. */
  image: Buffer;
  stats: TransferStats;
  /** Options actually used (after defaults and clamping, tiles chosen), so a run can be reproduced. */
  options: TransferOptions & { tiles: number };
  /** Why the tiles were chosen, when they were chosen automatically. */
  tilesReason?: string;
  /** The crop of the style that was used (null: the whole picture), and what it was cut to or why not. */
  crop?: { box: CropBox | null; reason: string };
}

export interface EngineConfig {
  /** Directory in the format of models/vgg19 (manifest.json + raw uint8 files). */
  modelDir: string;
  backend?: BackendName;
  /** 'cpu', 'webgpu', or 'cuda:N'. Default 'cpu'. */
  device?: string;
  /** Intra-op threads for CPU backends (default: all cores). */
  threads?: number;
}

/** A problem with an input image that the user can fix; `message` is written for the user. */
export class ImageInputError extends Error {
  constructor(
    readonly code: 'not_image' | 'corrupt' | 'too_large' | 'too_many_pixels' | 'too_small' | 'unsupported',
    message: string,
  ) {
    super(message);
    this.name = 'ImageInputError';
  }
}

/** Options the engine cannot serve; `message` is written for the user. */
export class OptionError extends Error {
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(message);
    this.name = 'OptionError';
  }
}

export class JobCancelledError extends Error {
  constructor() {
    super('The job was cancelled.');
    this.name = 'JobCancelledError';
  }
}

/** A backend asked for whose packages this installation leaves out; `message` says how to add them. */
export class BackendUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackendUnavailableError';
  }
}

/** Weights missing, corrupt or unreachable; `message` names what to fix. */
export class ModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelError';
  }
}
