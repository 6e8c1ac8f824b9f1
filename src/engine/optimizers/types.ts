import type { Losses } from '../types.js';

/** Loss and gradient at a point; the optimizer owns neither array after the call returns. */
export type Objective = (x: Float32Array) => Promise<{ losses: Losses; grad: Float32Array }>;

export interface Bounds {
  lower: Float32Array;
  upper: Float32Array;
}

/** One optimizer: `step` advances one iteration and returns the losses at the new point. */
export interface Optimizer {
  /** The current point (updated in place by step). */
  readonly x: Float32Array;
  step(): Promise<Losses>;
  /** Objective evaluations so far (line-search trials included). */
  readonly evaluations: number;
}

export function clampInto(x: Float32Array, b: Bounds): void {
  const { lower, upper } = b;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    x[i] = v < lower[i] ? lower[i] : Math.min(v, upper[i]);
  }
}

export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
