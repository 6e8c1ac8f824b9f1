/**
 * Every limit on what a job may ask for, in one place. The engine enforces them; the commands, the
 * settings read from the environment, the Discord option declarations and the web form read them
 * from here, so an option that validates anywhere also runs.
 */

/** Bytes of one input image the engine decodes. */
export const MAX_INPUT_BYTES = 40 * 1024 * 1024;
/** Pixels of one input image (decompression bombs stop here). */
export const MAX_INPUT_PIXELS = 50_000_000;
/** Shortest side of an input image. */
export const MIN_SIDE = 16;

export const LIMITS = {
  /** Style repeats per side; 'auto' is also accepted where tiles are set. */
  tiles: { min: 1, max: 16 },
  /** 1 keeps the photo with a touch of the style; 10 lets the style take over. */
  strength: { min: 1, max: 10 },
  /**
   * Longest side of the result: the most the engine serves on any device. What users may ask for is
   * the operator's cap (TILESTYLE_MAX_SIZE, default 512), at most this.
   */
  size: { min: 32, max: 2048 },
  /** Optimizer steps of one job (an upper bound: a phase that has converged stops early). */
  iterations: { min: 1, max: 2000 },
  /** Raw content/style weights (manual balance). */
  weight: { min: 0, max: 1e9 },
  seed: { min: 0, max: 2 ** 31 - 1 },
  styleScale: { min: 0.1, max: 4 },
  scales: { min: 1, max: 4 },
  learningRate: { min: 1e-4, max: 1000 },
  previewEvery: { min: 0, max: 2000 },
} as const;

/** The strength used when none is given: the middle of the range. */
export const DEFAULT_STRENGTH = 5;
