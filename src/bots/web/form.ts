/**
 * The page's option fields carry the same limits the commands check (the commands' limits, narrowed
 * by the operator's settings), filled into the HTML when the server starts, so the form's hints never
 * disagree with the answers. The commands still check every value: the form sets `novalidate`.
 * Every numeric option of the catalog (option-catalog.ts) offers {{MIN_<LABEL>}} and {{MAX_<LABEL>}},
 * e.g. {{MIN_SIZE}}, {{MAX_STYLE_WEIGHT}}; other {{…}} are left for the server to fill.
 */
import { DEFAULT_STRENGTH, OPTION_ORDER, OPTION_RANGES, OPTION_SPECS, type OptionLimits } from '../../commands/user-options.js';

/** The choices offered for tiles (typing any other value is allowed; the commands check it). */
function tileChoices(maxTiles: number): string {
  const values = ['auto', 'sweep'];
  for (let n = OPTION_RANGES.tiles.min; n <= maxTiles; n++) values.push(String(n));
  return values.map((v) => `<option value="${v}"></option>`).join('');
}

/** The values the page's placeholders take, by placeholder name. */
export function formValues(limits: OptionLimits): Record<string, string> {
  const values: Record<string, string> = { TILE_CHOICES: tileChoices(limits.maxTiles), DEFAULT_STRENGTH: String(DEFAULT_STRENGTH) };
  for (const name of OPTION_ORDER) {
    const spec = OPTION_SPECS[name];
    const bounds = spec.bounds?.(limits);
    if (!bounds) continue;
    const key = spec.label.toUpperCase();
    values[`MIN_${key}`] = String(bounds.min);
    values[`MAX_${key}`] = String(bounds.max);
  }
  return values;
}

export function fillForm(html: string, limits: OptionLimits): string {
  const values = formValues(limits);
  return html.replace(/\{\{([A-Z_]+)\}\}/g, (match, key: string) => (Object.hasOwn(values, key) ? values[key]! : match));
}
