/** The loss terms computed on pixels (layout, TV) and the balance's steering, checked on their own. */
import { QUALITY_THRESHOLDS } from '../bench/quality-table.js';
import { addLayout, addTv, layoutTarget } from '../src/engine/loss.js';
import { guardSharpening, LayoutSteering, steerLayout, structureTarget, STEER_DEADBAND, STRUCTURE_GIVE } from '../src/engine/steering.js';
import { seededRandom } from '../src/engine/preprocess.js';
import { ConvergenceWatch, MIN_LEVEL_STEPS, planLevels, STOP_WINDOW } from '../src/engine/schedule.js';

function randomImage(width: number, height: number, seed: number) {
  const r = seededRandom(seed);
  return { data: Float32Array.from({ length: 3 * width * height }, () => (r() - 0.5) * 200), width, height };
}

/** Central differences of `f` at a few coordinates against the analytic gradient. */
function checkGradient(f: (x: Float32Array, grad: Float32Array) => number, x: Float32Array) {
  const grad = new Float32Array(x.length);
  f(x, grad);
  const r = seededRandom(5);
  for (let k = 0; k < 12; k++) {
    const i = Math.floor(r() * x.length);
    const h = 1e-2;
    const plus = Float32Array.from(x);
    const minus = Float32Array.from(x);
    plus[i] += h;
    minus[i] -= h;
    const numeric = (f(plus, new Float32Array(x.length)) - f(minus, new Float32Array(x.length))) / (2 * h);
    expect(Math.abs(numeric - grad[i])).toBeLessThanOrEqual(1e-3 * Math.max(1e-3, Math.abs(numeric)) + 1e-6);
  }
}

test('the layout term is zero at the content, positive elsewhere, and its gradient is exact', () => {
  const content = randomImage(37, 29, 1);
  const target = layoutTarget(content, 8);
  expect(addLayout(content, target, 3, new Float32Array(content.data.length))).toBeCloseTo(0, 10);
  const x = randomImage(37, 29, 2);
  expect(addLayout(x, target, 3, new Float32Array(x.data.length))).toBeGreaterThan(0);
  checkGradient((d, g) => addLayout({ data: d, width: 37, height: 29 }, target, 3, g), x.data);
});

test('the layout term ignores detail inside a block: only the block means count', () => {
  const content = randomImage(32, 32, 3);
  const target = layoutTarget(content, 4); // 8×8-pixel blocks
  const x = Float32Array.from(content.data);
  // Swap two pixels inside one block, in every channel: the block's mean luma is unchanged.
  for (let c = 0; c < 3; c++) {
    const o = c * 32 * 32;
    [x[o], x[o + 33]] = [x[o + 33], x[o]];
  }
  expect(addLayout({ data: x, width: 32, height: 32 }, target, 1, new Float32Array(x.length))).toBeCloseTo(0, 8);
});

test('the TV gradient is exact', () => {
  const x = randomImage(11, 9, 4);
  checkGradient((d, g) => addTv(d, 9, 11, 2, g), x.data);
});

test('steering raises the layout weight when the picture is lost, lowers it when the style is weak', () => {
  const goal = structureTarget(5);
  expect(steerLayout(0.05, goal - 0.2, goal)).toBeGreaterThan(0.05);
  expect(steerLayout(0.05, goal + 0.2, goal)).toBeLessThan(0.05);
  expect(steerLayout(0.05, goal + STEER_DEADBAND / 2, goal)).toBe(0.05);
  // One correction is bounded, and the weight stays within its range.
  expect(steerLayout(0.05, 0, goal)).toBeCloseTo(0.05 * Math.exp(2), 10);
  expect(steerLayout(2.9, 0, goal)).toBeLessThanOrEqual(3);
});

test('a sharpening level only ever raises the layout weight, once the photo falls below where it started or the target', () => {
  const goal = structureTarget(5);
  // Kept: at or above the lower of the two, less the dead band.
  expect(guardSharpening(0.05, goal, goal, goal + 0.1)).toBe(0.05);
  expect(guardSharpening(0.05, 0.55, goal, 0.56)).toBe(0.05);
  expect(guardSharpening(0.05, 0.95, goal, 0.9)).toBe(0.05);
  // Falling: raised, more for a larger fall, bounded per correction and overall.
  const small = guardSharpening(0.05, 0.5, goal, 0.58);
  const large = guardSharpening(0.05, 0.3, goal, 0.58);
  expect(small).toBeGreaterThan(0.05);
  expect(large).toBeGreaterThan(small);
  expect(large).toBeCloseTo(0.05 * Math.exp(2), 10);
  expect(guardSharpening(2.9, 0, goal, goal)).toBeLessThanOrEqual(3);
});

test('higher strength aims at less of the photo; at the default, even giving way, within the quality thresholds', () => {
  const goals = Array.from({ length: 10 }, (_, i) => structureTarget(i + 1));
  for (let i = 1; i < goals.length; i++) expect(goals[i]).toBeLessThan(goals[i - 1]);
  const { structure } = QUALITY_THRESHOLDS;
  expect(structureTarget(5) - STRUCTURE_GIVE).toBeGreaterThanOrEqual(structure.min);
  expect(structureTarget(5)).toBeLessThanOrEqual(structure.max);
});

test('the quick schedule stops a level once the loss stops improving, never before its minimum', () => {
  const watch = new ConvergenceWatch();
  const stops: number[] = [];
  for (let k = 1; k <= 60; k++) if (watch.record(k < 25 ? 1000 / k : 40)) stops.push(k);
  expect(stops[0]).toBeGreaterThanOrEqual(MIN_LEVEL_STEPS);
  expect(stops[0]).toBeLessThanOrEqual(25 + STOP_WINDOW);
  // After a change of weights the window starts again.
  const again = new ConvergenceWatch();
  for (let k = 1; k <= 30; k++) again.record(1);
  again.reset();
  const after = Array.from({ length: STOP_WINDOW + 1 }, () => again.record(1));
  expect(after.slice(0, STOP_WINDOW)).toEqual(new Array(STOP_WINDOW).fill(false));
  expect(after[STOP_WINDOW]).toBe(true);
});

test('a palette starts one level coarser under the quick schedule; classic keeps the job levels', () => {
  const base = { size: 256, scales: 2, iterations: 160 };
  expect(planLevels({ ...base, schedule: 'quick' }, 256, true).map((l) => l.longest)).toEqual([64, 128, 256]);
  expect(planLevels({ ...base, schedule: 'classic' }, 256, true).map((l) => l.longest)).toEqual([128, 256]);
  expect(planLevels({ ...base, schedule: 'classic' }, 256, false).every((l) => !l.stopEarly)).toBe(true);
});

test('steering measures a composition level every 10 steps until its limit, and a sharpening level from where it started', async () => {
  const goal = structureTarget(5);
  const measuredAt: number[] = [];
  const changedAt: number[] = [];
  const steering = new LayoutSteering(true, 5, 0.05);
  await steering.startLevel({ maxSteps: 80 }, false, true, async () => 1);
  for (let step = 1; step <= 80; step++) {
    // A structure well under the target: every measurement asks for more layout weight.
    const structure = async () => {
      measuredAt.push(step);
      return goal - 0.2;
    };
    if (await steering.afterStep(step, structure, () => 0)) changedAt.push(step);
  }
  expect(measuredAt).toEqual([10, 20, 30, 40]);
  // Each measurement raises the weight until it reaches the top of its range.
  expect(changedAt[0]).toBe(10);
  expect(changedAt.every((step) => measuredAt.includes(step))).toBe(true);
  expect(steering.weight).toBeGreaterThan(0.05);

  // Sharpening: measured at its start, then every 3 steps before its last; falling below where it
  // started raises the weight, holding it does not.
  const raised = steering.weight;
  const sharpening: number[] = [];
  await steering.startLevel({ sharpen: true, maxSteps: 12 }, true, true, async () => goal);
  for (let step = 1; step <= 12; step++) {
    const structure = async () => {
      sharpening.push(step);
      return goal;
    };
    await steering.afterStep(step, structure, () => 0);
  }
  expect(sharpening).toEqual([3, 6, 9]);
  expect(steering.weight).toBe(raised);
  const sharpened = new LayoutSteering(true, 5, 0.05);
  await sharpened.startLevel({ sharpen: true, maxSteps: 12 }, true, true, async () => goal);
  expect(
    await sharpened.afterStep(
      3,
      async () => goal - 0.2,
      () => 0,
    ),
  ).toBe(true);
  expect(sharpened.weight).toBeGreaterThan(0.05);
});

test('inactive steering (raw weights, or no content) never measures nor changes the weight', async () => {
  for (const steering of [new LayoutSteering(false, 5, 0.05), new LayoutSteering(true, 5, 0.05)]) {
    const active = (steering as unknown as { active: boolean }).active;
    await steering.startLevel({ maxSteps: 40 }, false, !active, async () => {
      throw new Error('measured');
    });
    for (let step = 1; step <= 40; step++) {
      expect(
        await steering.afterStep(
          step,
          async () => {
            throw new Error('measured');
          },
          () => 0,
        ),
      ).toBe(false);
    }
    expect(steering.weight).toBe(0.05);
  }
});
