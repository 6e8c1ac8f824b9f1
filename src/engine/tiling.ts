/** Tiling: the style image repeated tiles×tiles, so an object becomes the brush stroke. */
import { resizeRgb, type RgbImage } from './image.js';

/**
 * A mosaic of the given size made of tiles×tiles copies of `style`, each resized to 1/tiles of the
 * mosaic (so each tile has the mosaic's aspect, which is the style's own when the size is derived
 * from it). tiles = 1 returns the style resized to the mosaic size.
 */
export async function tileStyle(style: RgbImage, tiles: number, width: number, height: number): Promise<RgbImage> {
  if (tiles <= 1) {
    return style.width === width && style.height === height ? style : resizeRgb(style, width, height);
  }
  const tw = Math.max(1, Math.round(width / tiles));
  const th = Math.max(1, Math.round(height / tiles));
  return repeat(await resizeRgb(style, tw, th), width, height);
}

/**
 * The mosaic a level's style targets are measured on: the style at its own aspect with `longest` as
 * its longest side, tiles×tiles copies of it. Where that is under `minSide` px on its short side (a
 * thin style at a coarse level), whole copies of the same size are added along the short side until
 * it is not, so that the network can run on it: a copy keeps its aspect and its size (the Gram
 * matrices are averages over positions, so more copies of the same stroke describe the same stroke).
 * `style` may be decoded at any size of that aspect.
 */
export async function styleMosaic(style: RgbImage, tiles: number, longest: number, minSide: number): Promise<RgbImage> {
  const k = longest / Math.max(style.width, style.height);
  const width = Math.max(1, Math.round(style.width * k));
  const height = Math.max(1, Math.round(style.height * k));
  if (Math.min(width, height) >= minSide) return tileStyle(style, tiles, width, height);
  const n = Math.max(1, tiles);
  const copyW = Math.max(1, Math.round((style.width * k) / n));
  const copyH = Math.max(1, Math.round((style.height * k) / n));
  // Whole copies: n along a side, or as many as reach minSide (the short side's case).
  const enough = (copySide: number) => Math.max(n, Math.ceil(minSide / copySide)) * copySide;
  return repeat(await resizeRgb(style, copyW, copyH), enough(copyW), enough(copyH));
}

/** `tile` repeated from the top left corner over width×height (cut at the right and bottom edges). */
function repeat(tile: RgbImage, width: number, height: number): RgbImage {
  const { width: tw, height: th } = tile;
  const out = new Float32Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const sy = y % th;
    for (let x = 0; x < width; x++) {
      const sx = x % tw;
      const o = (y * width + x) * 3;
      const s = (sy * tw + sx) * 3;
      out[o] = tile.data[s];
      out[o + 1] = tile.data[s + 1];
      out[o + 2] = tile.data[s + 2];
    }
  }
  return { data: out, width, height };
}
