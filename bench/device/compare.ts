/** Numerical comparison of a device's results against the CPU's, with a readable account of what differs. */

export interface ArrayDifference {
  /** ‖got − ref‖₂ / ‖ref‖₂ (Infinity when got has NaN/Inf or ref is all zeros but got is not). */
  relError: number;
  /** Largest |got − ref| and where it is. */
  maxAbsDiff: number;
  maxAt: number;
  refAt: number;
  gotAt: number;
  /** Elements of got that are NaN or ±Infinity. */
  nonFinite: number;
  /** ‖got‖ / ‖ref‖: far from 1 means a scale error rather than noise. */
  normRatio: number;
  /** Cosine of the angle between got and ref: far from 1 means a wrong direction. */
  cosine: number;
  length: number;
}

export function compareArrays(ref: Float32Array, got: Float32Array): ArrayDifference {
  if (ref.length !== got.length) throw new Error(`Cannot compare arrays of ${ref.length} and ${got.length} values.`);
  let diff2 = 0;
  let ref2 = 0;
  let got2 = 0;
  let dot = 0;
  let nonFinite = 0;
  let maxAbsDiff = 0;
  let maxAt = 0;
  for (let i = 0; i < ref.length; i++) {
    const r = ref[i];
    const g = got[i];
    if (!Number.isFinite(g)) {
      nonFinite++;
      continue;
    }
    const d = g - r;
    diff2 += d * d;
    ref2 += r * r;
    got2 += g * g;
    dot += r * g;
    if (Math.abs(d) > maxAbsDiff) {
      maxAbsDiff = Math.abs(d);
      maxAt = i;
    }
  }
  const refNorm = Math.sqrt(ref2);
  const gotNorm = Math.sqrt(got2);
  let relError = refNorm > 0 ? Math.sqrt(diff2) / refNorm : diff2 > 0 ? Infinity : 0;
  if (nonFinite > 0) relError = Infinity;
  return {
    relError,
    maxAbsDiff,
    maxAt,
    refAt: ref[maxAt],
    gotAt: got[maxAt],
    nonFinite,
    normRatio: refNorm > 0 ? gotNorm / refNorm : gotNorm > 0 ? Infinity : 1,
    cosine: refNorm > 0 && gotNorm > 0 ? dot / (refNorm * gotNorm) : refNorm === gotNorm ? 1 : 0,
    length: ref.length,
  };
}

/** |got − ref| / |ref|, Infinity for a non-finite result. */
export function relativeError(ref: number, got: number): number {
  if (!Number.isFinite(got)) return Infinity;
  if (ref === 0) return got === 0 ? 0 : Infinity;
  return Math.abs(got - ref) / Math.abs(ref);
}

export const sci = (x: number, digits = 1): string => (Number.isFinite(x) ? x.toExponential(digits) : String(x));

/**
 * What differs, in words, for a result over tolerance. `where` turns a flat index into a position
 * (e.g. channel, row, column) so the first bad pixel can be found.
 */
export function describeDifference(d: ArrayDifference, where: (index: number) => string = (i) => `index ${i}`): string {
  const parts: string[] = [];
  if (d.nonFinite > 0) parts.push(`${d.nonFinite} of ${d.length} values are NaN or infinite`);
  if (Math.abs(d.normRatio - 1) > 0.01) parts.push(`norm ${d.normRatio.toFixed(4)}× the CPU's (a scale error?)`);
  if (d.cosine < 0.999) parts.push(`cosine with the CPU's ${d.cosine.toFixed(4)} (a wrong direction)`);
  parts.push(`largest difference ${sci(d.maxAbsDiff, 2)} at ${where(d.maxAt)}: cpu ${sci(d.refAt, 4)}, device ${sci(d.gotAt, 4)}`);
  return parts.join('; ');
}
