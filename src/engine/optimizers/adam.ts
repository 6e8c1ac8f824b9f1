/** Adam on the pixels (learning rate in 0..255 units), projected onto the pixel box after each step. */
import type { Losses } from '../types.js';
import { clampInto, type Bounds, type Objective, type Optimizer } from './types.js';

export function createAdam(x0: Float32Array, f: Objective, bounds: Bounds, lr: number, beta1 = 0.9, beta2 = 0.999): Optimizer {
  const x = x0.slice();
  clampInto(x, bounds);
  const mom = new Float32Array(x.length);
  const vel = new Float32Array(x.length);
  let t = 0;
  let last: Losses | null = null;
  return {
    x,
    get evaluations() {
      return t;
    },
    async step(): Promise<Losses> {
      const r = await f(x);
      t++;
      const c1 = 1 - beta1 ** t;
      const c2 = 1 - beta2 ** t;
      const g = r.grad;
      for (let i = 0; i < x.length; i++) {
        mom[i] = beta1 * mom[i] + (1 - beta1) * g[i];
        vel[i] = beta2 * vel[i] + (1 - beta2) * g[i] * g[i];
        x[i] -= (lr * (mom[i] / c1)) / (Math.sqrt(vel[i] / c2) + 1e-8);
      }
      clampInto(x, bounds);
      last = r.losses;
      return last;
    },
  };
}
