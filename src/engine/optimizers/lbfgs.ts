/**
 * Limited-memory BFGS with projection onto the pixel box and a backtracking (Armijo) line search.
 * The first trial step of each iteration is 1 (the two-loop recursion is scaled by sᵀy/yᵀy), which is
 * accepted almost always, so one iteration usually costs one evaluation.
 */
import type { Losses } from '../types.js';
import { clampInto, dot, type Bounds, type Objective, type Optimizer } from './types.js';

export interface LbfgsOptions {
  history?: number;
  /** Largest pixel change of the very first step (0..255 scale). */
  firstStep?: number;
  maxBacktracks?: number;
}

export function createLbfgs(x0: Float32Array, f: Objective, bounds: Bounds, opts: LbfgsOptions = {}): Optimizer {
  const m = opts.history ?? 10;
  const firstStep = opts.firstStep ?? 30;
  const maxBacktracks = opts.maxBacktracks ?? 6;
  const n = x0.length;
  const x = x0.slice();
  clampInto(x, bounds);
  const S: Float32Array[] = [];
  const Y: Float32Array[] = [];
  const rho: number[] = [];
  let fx = NaN;
  let losses: Losses | null = null;
  let g: Float32Array | null = null;
  let evaluations = 0;

  async function evaluate(at: Float32Array) {
    evaluations++;
    const r = await f(at);
    return r;
  }

  function direction(grad: Float32Array): Float32Array {
    const q = Float64Array.from(grad);
    const k = S.length;
    const alpha = new Array<number>(k);
    for (let i = k - 1; i >= 0; i--) {
      let a = 0;
      const s = S[i];
      for (let j = 0; j < n; j++) a += s[j] * q[j];
      a *= rho[i];
      alpha[i] = a;
      const y = Y[i];
      for (let j = 0; j < n; j++) q[j] -= a * y[j];
    }
    let gamma: number;
    if (k > 0) {
      gamma = 1 / (rho[k - 1] * dot(Y[k - 1], Y[k - 1]));
    } else {
      let maxAbs = 0;
      for (let j = 0; j < n; j++) maxAbs = Math.max(maxAbs, Math.abs(grad[j]));
      gamma = maxAbs > 0 ? firstStep / maxAbs : 1;
    }
    for (let j = 0; j < n; j++) q[j] *= gamma;
    for (let i = 0; i < k; i++) {
      let b = 0;
      const y = Y[i];
      for (let j = 0; j < n; j++) b += y[j] * q[j];
      b *= rho[i];
      const s = S[i];
      const c = alpha[i] - b;
      for (let j = 0; j < n; j++) q[j] += c * s[j];
    }
    const d = new Float32Array(n);
    for (let j = 0; j < n; j++) d[j] = -q[j];
    return d;
  }

  function reset() {
    S.length = 0;
    Y.length = 0;
    rho.length = 0;
  }

  return {
    x,
    get evaluations() {
      return evaluations;
    },
    async step(): Promise<Losses> {
      if (!g) {
        const r = await evaluate(x);
        fx = r.losses.total;
        losses = r.losses;
        g = r.grad;
      }
      // Pixels at a bound whose gradient pushes them outwards are held (active set): the search
      // direction ignores them, so clamping does not distort the curvature model.
      const free = new Uint8Array(n);
      const gFree = new Float32Array(n);
      for (let j = 0; j < n; j++) {
        const held = (x[j] <= bounds.lower[j] && g[j] > 0) || (x[j] >= bounds.upper[j] && g[j] < 0);
        free[j] = held ? 0 : 1;
        gFree[j] = held ? 0 : g[j];
      }
      const search = () => {
        const dir = direction(gFree);
        for (let j = 0; j < n; j++) if (!free[j]) dir[j] = 0;
        return dir;
      };
      let d = search();
      if (dot(d, gFree) >= 0) {
        // Not a descent direction (curvature information went stale): restart from steepest descent.
        reset();
        d = search();
      }
      let t = 1;
      const trial = new Float32Array(n);
      for (let attempt = 0; ; attempt++) {
        for (let j = 0; j < n; j++) trial[j] = x[j] + t * d[j];
        clampInto(trial, bounds);
        let decrease = 0;
        for (let j = 0; j < n; j++) decrease += g[j] * (trial[j] - x[j]);
        const r = await evaluate(trial);
        const ok = Number.isFinite(r.losses.total) && r.losses.total <= fx + 1e-4 * decrease;
        if (ok || attempt >= maxBacktracks) {
          if (!ok) reset();
          if (ok || r.losses.total < fx) {
            const s = new Float32Array(n);
            const y = new Float32Array(n);
            for (let j = 0; j < n; j++) {
              s[j] = trial[j] - x[j];
              y[j] = r.grad[j] - g[j];
            }
            const sy = dot(s, y);
            if (ok && sy > 1e-10 * Math.sqrt(dot(s, s) * dot(y, y))) {
              S.push(s);
              Y.push(y);
              rho.push(1 / sy);
              if (S.length > m) {
                S.shift();
                Y.shift();
                rho.shift();
              }
            }
            x.set(trial);
            fx = r.losses.total;
            losses = r.losses;
            g = r.grad;
          }
          break;
        }
        t *= attempt === 0 ? 0.1 : 0.5;
      }
      return losses!;
    },
  };
}
