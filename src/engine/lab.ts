/** CIE L*a*b* (D65) of 8-bit sRGB pixels, for measures that should see colour as people do. */

const linear = (c: number) => {
  const v = c / 255;
  return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
};
const LINEAR = Float64Array.from({ length: 256 }, (_, i) => linear(i));
const f = (t: number) => (t > 216 / 24389 ? Math.cbrt(t) : ((24389 / 27) * t + 16) / 116);

/** Interleaved RGB bytes → three planes L* (0–100), a*, b* (about ±100). */
export function rgbToLab(rgb: Uint8Array, pixels: number): [Float64Array, Float64Array, Float64Array] {
  const L = new Float64Array(pixels);
  const A = new Float64Array(pixels);
  const B = new Float64Array(pixels);
  for (let i = 0; i < pixels; i++) {
    const r = LINEAR[rgb[3 * i]!]!;
    const g = LINEAR[rgb[3 * i + 1]!]!;
    const b = LINEAR[rgb[3 * i + 2]!]!;
    const x = f((0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047);
    const y = f(0.2126 * r + 0.7152 * g + 0.0722 * b);
    const z = f((0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883);
    L[i] = 116 * y - 16;
    A[i] = 500 * (x - y);
    B[i] = 200 * (y - z);
  }
  return [L, A, B];
}
