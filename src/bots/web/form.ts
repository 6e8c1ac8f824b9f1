/**
 * The page's option fields carry the same limits the commands check (src/engine/limits.ts, narrowed by
 * the operator's settings), filled into the HTML when the server starts, so the form's hints never
 * disagree with the answers. The commands still check every value: the form sets `novalidate`.
 */
import { LIMITS, DEFAULT_STRENGTH } from '../../engine/limits.js';
import type { OptionLimits } from '../../commands/user-options.js';

/** Without a command service that states its limits, the engine's own. */
export const ENGINE_OPTION_LIMITS: OptionLimits = {
  maxTiles: LIMITS.tiles.max,
  minSize: LIMITS.size.min,
  maxSize: LIMITS.size.max,
  maxIterations: LIMITS.iterations.max,
};

/** The complete option limits a command service states, or undefined. */
export function optionLimitsOf(limits: Partial<OptionLimits> | undefined): OptionLimits | undefined {
  if (!limits) return undefined;
  const { maxTiles, minSize, maxSize, maxIterations } = limits;
  if (maxTiles === undefined || minSize === undefined || maxSize === undefined || maxIterations === undefined) return undefined;
  return { maxTiles, minSize, maxSize, maxIterations };
}

/** The choices offered for tiles (typing any other value is allowed; the commands check it). */
function tileChoices(maxTiles: number): string {
  const values = ['auto'];
  for (let n = LIMITS.tiles.min; n <= maxTiles; n++) values.push(String(n));
  return values.map((v) => `<option value="${v}"></option>`).join('');
}

export function fillForm(html: string, limits: OptionLimits): string {
  const values: Record<string, string> = {
    TILE_CHOICES: tileChoices(limits.maxTiles),
    MIN_SIZE: String(limits.minSize),
    MAX_SIZE: String(limits.maxSize),
    MIN_ITERATIONS: String(LIMITS.iterations.min),
    MAX_ITERATIONS: String(limits.maxIterations),
    MIN_STRENGTH: String(LIMITS.strength.min),
    MAX_STRENGTH: String(LIMITS.strength.max),
    DEFAULT_STRENGTH: String(DEFAULT_STRENGTH),
    MIN_SEED: String(LIMITS.seed.min),
    MAX_SEED: String(LIMITS.seed.max),
  };
  return html.replace(/\{\{(TILE_CHOICES|MIN_SIZE|MAX_SIZE|MIN_ITERATIONS|MAX_ITERATIONS|MIN_STRENGTH|MAX_STRENGTH|DEFAULT_STRENGTH|MIN_SEED|MAX_SEED)\}\}/g, (_m, key: string) => values[key]!);
}
