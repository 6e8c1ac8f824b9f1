/**
 * VGG19's layer geometry, derived once from its blocks: which conv a ReLU layer follows, which block
 * (pooling level) it is in, and the size of its feature map for an image. Average pooling is 2×2
 * stride 2 with floor, so a layer in block b (0-based) sees the image's sides halved b times.
 */
import type { LayerName } from './types.js';
import { VGG19_BLOCKS } from './weights.js';

const LAYER_RE = /^relu(\d)_(\d)$/;
const BLOCK_OF_CONV = new Map(VGG19_BLOCKS.flatMap((convs, b) => convs.map((c) => [c, b] as const)));

/** 'relu4_2' → 'conv4_2'; throws on names that are not VGG19 ReLU layers. */
export function convOf(layer: LayerName): string {
  const m = LAYER_RE.exec(layer);
  const conv = m ? `conv${m[1]}_${m[2]}` : '';
  if (!BLOCK_OF_CONV.has(conv)) throw new Error(`Unknown VGG19 layer '${layer}' (expected e.g. relu4_2)`);
  return conv;
}

/** The block (0-based: the number of poolings before it) of a conv layer's name ('conv4_2' → 3). */
export function blockOfConv(conv: string): number {
  const block = BLOCK_OF_CONV.get(conv);
  if (block === undefined) throw new Error(`Unknown VGG19 conv layer '${conv}'`);
  return block;
}

/** The feature map's height and width of a ReLU layer for an H×W input. */
export function layerSize(layer: LayerName, height: number, width: number): { h: number; w: number } {
  const d = 2 ** blockOfConv(convOf(layer));
  return { h: Math.floor(height / d), w: Math.floor(width / d) };
}
