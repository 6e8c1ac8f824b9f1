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
  const tile = await resizeRgb(style, tw, th);
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
