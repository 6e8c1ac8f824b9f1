/**
 * What a palette runs with whatever else is asked: it is the style alone, redrawn from noise, so there
 * is no content to weigh or keep the colours of. The engine's palette (transfer.ts) and the commands'
 * palette jobs (src/commands/option-catalog.ts paletteOptions) both take it from here.
 */
export const PALETTE_FIXED = Object.freeze({ contentWeight: 0, preserveColors: false } as const);
