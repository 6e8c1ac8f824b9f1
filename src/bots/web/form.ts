/**
 * The page's option fields carry the same limits the commands check (the commands' limits, narrowed
 * by the operator's settings), filled into the HTML when the server starts, so the form's hints never
 * disagree with the answers. The commands still check every value: the form sets `novalidate`.
 */
import { DEFAULT_STRENGTH, OPTION_RANGES, type OptionLimits } from '../../commands/user-options.js';

/** The choices offered for tiles (typing any other value is allowed; the commands check it). */
function tileChoices(maxTiles: number): string {
  const values = ['auto', 'sweep'];
  for (let n = OPTION_RANGES.tiles.min; n <= maxTiles; n++) values.push(String(n));
  return values.map((v) => `<option value="${v}"></option>`).join('');
}

export function fillForm(html: string, limits: OptionLimits): string {
  const values: Record<string, string> = {
    TILE_CHOICES: tileChoices(limits.maxTiles),
    MIN_SIZE: String(limits.minSize),
    MAX_SIZE: String(limits.maxSize),
    MIN_ITERATIONS: String(OPTION_RANGES.iterations.min),
    MAX_ITERATIONS: String(limits.maxIterations),
    MIN_STRENGTH: String(OPTION_RANGES.strength.min),
    MAX_STRENGTH: String(OPTION_RANGES.strength.max),
    DEFAULT_STRENGTH: String(DEFAULT_STRENGTH),
    MIN_SEED: String(OPTION_RANGES.seed.min),
    MAX_SEED: String(OPTION_RANGES.seed.max),
  };
  return html.replace(/\{\{(TILE_CHOICES|MIN_SIZE|MAX_SIZE|MIN_ITERATIONS|MAX_ITERATIONS|MIN_STRENGTH|MAX_STRENGTH|DEFAULT_STRENGTH|MIN_SEED|MAX_SEED)\}\}/g, (_m, key: string) => values[key]!);
}
