/**
 * Reproducible image-like inputs for the device check: smooth colour fields plus mild noise, so the
 * ReLUs of every layer see realistic, partly active inputs (pure noise or flat grey would not).
 */
import type { VggImage } from '../../src/engine/index.js';

function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    // xorshift32: enough for test patterns, and identical on every machine.
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

/** A width×height image in VGG input space (NCHW, values roughly within ±120). */
export function syntheticImage(width: number, height: number, seed: number): VggImage {
  const rand = random(seed);
  const waves = Array.from({ length: 3 }, () => ({
    fx: 1 + rand() * 6,
    fy: 1 + rand() * 6,
    phase: rand() * 2 * Math.PI,
  }));
  const plane = width * height;
  const data = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    const { fx, fy, phase } = waves[c];
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const smooth = Math.sin((2 * Math.PI * fx * x) / width + phase) * Math.cos((2 * Math.PI * fy * y) / height);
        data[c * plane + y * width + x] = 90 * smooth + (rand() - 0.5) * 60;
      }
    }
  }
  return { data, width, height };
}
