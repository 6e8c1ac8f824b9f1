/**
 * Steering the layout weight while a job runs: the loss (loss.ts) says what is measured; this says
 * how the layout term's weight λ moves so that the structure kept (quality.ts) lands on the
 * strength's target for every pair (measured: the weight a pair needs spans 100×, 0.003 to 0.3).
 * Differs from Gatys: the paper fixes the content/style ratio for a run; here one weight is corrected
 * every few steps from the image itself.
 */

/** Structure kept (see quality.ts) that each strength aims at: 1 keeps the photo, 10 lets the style take it. */
export function structureTarget(strength: number): number {
  return 0.8 - ((strength - 1) * (0.8 - 0.46)) / 9;
}

/** The layout weight a job starts from, between what busy and quiet pairs need. */
export const LAYOUT_WEIGHT_START = 0.05;
const LAYOUT_WEIGHT_RANGE = { min: 1e-3, max: 3 } as const;
/** How far below its target the structure may go to let a hard style show. */
export const STRUCTURE_GIVE = 0.1;
/** Structure within this of the target needs no correction. */
export const STEER_DEADBAND = 0.03;

/**
 * One correction of the layout weight from the structure measured now. Structure rises with the
 * logarithm of λ (measured: about +0.27 per decade on a tiled object, less on a painting), so λ moves
 * by a factor e^(8·error), at most e² at a time: a few corrections reach the target.
 */
export function steerLayout(weight: number, structure: number, target: number, styleMatch = 0, matchCap = Infinity): number {
  // While the style's match is above the cap, the layout gives way, down to a floor below the
  // target (a dark photo and a style on white cannot have both: the photo is kept readable first).
  const floor = target - STRUCTURE_GIVE;
  const error = styleMatch > matchCap && structure > floor ? -Math.max(STEER_DEADBAND * 2, styleMatch - matchCap) : target - structure;
  if (Math.abs(error) <= STEER_DEADBAND) return weight;
  return corrected(weight, error);
}

/** λ moved by e^(8·error), at most e² either way, kept within its range. */
function corrected(weight: number, error: number): number {
  const step = Math.max(-2, Math.min(2, 8 * error));
  return Math.max(LAYOUT_WEIGHT_RANGE.min, Math.min(LAYOUT_WEIGHT_RANGE.max, weight * Math.exp(step)));
}

/**
 * The most style match (final ÷ initial style loss) a strength accepts while it keeps the photo:
 * 0.22 at the default, looser below, tighter above.
 */
export function styleMatchCap(strength: number): number {
  return 0.22 * 1.3 ** (5 - strength);
}

/**
 * A sharpening level has no content term and its style layers see only strokes, so nothing but the
 * layout term holds the photo there; on a dark photo under a light object style it was measured
 * taking the structure from 0.58 to 0.43 in 12 steps. The layout weight only rises here, and only
 * once the structure has fallen below the lower of the target and what the level started with.
 */
export function guardSharpening(weight: number, structure: number, target: number, atStart: number): number {
  const floor = Math.min(target, atStart) - STEER_DEADBAND;
  return structure >= floor ? weight : corrected(weight, floor - structure);
}

/** Steps between two structure measurements while steering. */
const STEER_EVERY = 10;
/**
 * Steering stops after this many steps of a level (fewer in the last, where the coarse level has done
 * most of it), so that a converged level can end: every correction restarts the convergence window.
 */
const STEER_UNTIL = { coarse: 40, last: 20 } as const;
/** Steps between two structure measurements of a sharpening level (guardSharpening). */
const SHARPEN_GUARD_EVERY = 3;

/**
 * A job's layout weight and when it is corrected: on a composition level, every STEER_EVERY steps
 * (until STEER_UNTIL) toward the strength's structure target (steerLayout); on a sharpening level,
 * which has no content term, every SHARPEN_GUARD_EVERY steps against losing the structure it started
 * with (guardSharpening). Inactive (raw weights, a palette) it never measures and never changes.
 */
export class LayoutSteering {
  private readonly goal: number;
  private readonly matchCap: number;
  private level: { sharpen: boolean; maxSteps: number; last: boolean; measured: boolean } | null = null;
  private structureAtStart = 0;

  constructor(
    private readonly active: boolean,
    strength: number,
    /** The layout weight in force (its starting value given here). */
    public weight: number,
  ) {
    this.goal = structureTarget(strength);
    this.matchCap = styleMatchCap(strength);
  }

  /** A level starts; a guarded sharpening level measures the structure it starts from. */
  async startLevel(level: { sharpen?: boolean; maxSteps: number }, last: boolean, hasContent: boolean, structureNow: () => Promise<number>): Promise<void> {
    const sharpen = !!level.sharpen;
    this.level = { sharpen, maxSteps: level.maxSteps, last, measured: this.active && hasContent };
    this.structureAtStart = this.level.measured && sharpen ? await structureNow() : 0;
  }

  /**
   * After a level's `stepInLevel`-th step: measures when due and sets the weight the structure asks
   * for. True when the weight changed (the objective with it).
   */
  async afterStep(stepInLevel: number, structureNow: () => Promise<number>, styleMatchNow: () => number): Promise<boolean> {
    const level = this.level;
    if (!level?.measured) return false;
    let next = this.weight;
    if (!level.sharpen && stepInLevel % STEER_EVERY === 0 && stepInLevel <= STEER_UNTIL[level.last ? 'last' : 'coarse']) {
      next = steerLayout(this.weight, await structureNow(), this.goal, styleMatchNow(), this.matchCap);
    } else if (level.sharpen && stepInLevel % SHARPEN_GUARD_EVERY === 0 && stepInLevel < level.maxSteps) {
      next = guardSharpening(this.weight, await structureNow(), this.goal, this.structureAtStart);
    }
    if (next === this.weight) return false;
    this.weight = next;
    return true;
  }
}
