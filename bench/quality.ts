/**
 * `npm run quality [-- options]`: runs every content × style pair at the defaults (or the options
 * given) and prints, per pair, the tiles used, the structure kept, the style match, the colour shift
 * toward the style and the seconds, with the thresholds each should meet.
 *
 *   --content a.jpg,b.jpg   photos (default: every .jpg in the fixtures but scream.jpg,
 *                           test/fixtures/quality/content-*, and two group photos of people that
 *                           ship with the face detector's package: group1, group5)
 *   --style s.png,t.jpg     styles (default: every .png and scream.jpg in the fixtures, and
 *                           test/fixtures/quality/style-*)
 *   --size N --iterations N --tiles N|auto --crop auto|none --strength N --seed N   options for every job
 *   --out DIR               also write each result as DIR/<content>-<style>.png
 *   --auto-tiles            instead: tiles=auto on the labelled styles of test/fixtures/styles, each miss
 *                           marked (at --size, default 512); no model needed
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Engine } from '../src/engine/index.js';
import { autoTilesAgreement, formatAgreement } from './auto-tiles-table.js';
import { measureResult, QUALITY_THRESHOLDS, type QualityRow } from './quality-table.js';

const ROOT = path.resolve(new URL('.', import.meta.url).pathname, '..');
const MODEL_DIR = process.env.TILESTYLE_MODEL_DIR ?? path.resolve(ROOT, '../shared/models/vgg19');
const FIXTURES = process.env.TILESTYLE_FIXTURES_DIR ?? path.resolve(ROOT, '../shared/fixtures');
/** The project's own additions: a photo with small subjects, a portrait as a style. */
const EXTRA = path.resolve(ROOT, 'test/fixtures/quality');

const { values } = parseArgs({
  options: {
    content: { type: 'string' },
    style: { type: 'string' },
    size: { type: 'string' },
    iterations: { type: 'string' },
    tiles: { type: 'string' },
    crop: { type: 'string' },
    strength: { type: 'string' },
    seed: { type: 'string', default: '7' },
    options: { type: 'string' },
    out: { type: 'string' },
    'auto-tiles': { type: 'boolean', default: false },
  },
});

if (values['auto-tiles']) {
  const { rows, agreement } = await autoTilesAgreement(values.size ? Number(values.size) : 512);
  console.log(formatAgreement(rows, agreement));
  process.exit(0);
}

const inDir = async (dir: string, pick: (f: string) => boolean) => (await readdir(dir)).filter(pick).sort().map((f) => path.join(dir, f));
/**
 * Group photos of people (three and five, faces a twentieth of the picture) from a source the rest of
 * the table does not use: the demo pictures of @vladmandic/face-api, a dependency, read where npm put them.
 */
const GROUPS = path.resolve(ROOT, 'node_modules/@vladmandic/face-api/demo');
const groupPhoto = (f: string) => (/^group\d\.jpg$/.test(f) ? path.join(GROUPS, f.replace('group', 'sample')) : null);
const named = (f: string) => groupPhoto(f) ?? (f.includes('/') ? f : [FIXTURES, EXTRA].map((d) => path.join(d, f)).find((p) => existsSync(p)) ?? path.join(FIXTURES, f));
const list = async (given: string | undefined, pick: (f: string) => boolean, extra: string) =>
  given ? given.split(',').map(named) : [...(await inDir(FIXTURES, pick)), ...(await inDir(EXTRA, (f) => f.startsWith(extra)))];

const contents = [
  ...(await list(values.content, (f) => f.endsWith('.jpg') && f !== 'scream.jpg', 'content-')),
  ...(values.content ? [] : ['group1.jpg', 'group5.jpg'].map(named)),
];
const styles = await list(values.style, (f) => f.endsWith('.png') || f === 'scream.jpg', 'style-');
const options: Record<string, unknown> = { seed: Number(values.seed), ...(values.options ? JSON.parse(values.options) : {}) };
for (const k of ['size', 'iterations', 'strength'] as const) if (values[k] !== undefined) options[k] = Number(values[k]);
if (values.crop !== undefined) options.crop = values.crop;
if (values.tiles !== undefined) options.tiles = values.tiles === 'auto' ? 'auto' : Number(values.tiles);
if (values.out) await mkdir(values.out, { recursive: true });

const engine = await Engine.create({ modelDir: MODEL_DIR });
const rows: QualityRow[] = [];
const name = (f: string) => path.basename(f).replace(/\.[^.]+$/, '').replace(/^(content|style)-/, '').replace(/^sample(\d)$/, 'group$1');
console.log(`options: ${JSON.stringify(options)}`);
console.log('content  style            tiles  structure  subject  style match  colour shift  faces  people  seconds  crop');
for (const c of contents) {
  for (const s of styles) {
    const [content, style] = await Promise.all([readFile(c), readFile(s)]);
    const result = await engine.stylize(content, [{ image: style }], options, { measure: true });
    const row = await measureResult(`${name(c)} × ${name(s)}`, content, style, result);
    rows.push(row);
    console.log(
      `${name(c).padEnd(8)} ${name(s).padEnd(16)} ${String(row.tiles).padStart(5)}  ${row.structure.toFixed(3).padStart(9)}  ${row.subjectStructure.toFixed(3).padStart(7)}  ${row.styleMatch.toFixed(3).padStart(11)}  ${row.colourShift.toFixed(3).padStart(12)}  ${String(row.faces).padStart(5)}  ${`${row.peopleKept.kept}/${row.peopleKept.of}`.padStart(6)}  ${row.seconds.toFixed(1).padStart(7)}  ${row.crop || '-'}${row.failures.length ? '  ✗ ' + row.failures.join(', ') : '  ✓'}`,
    );
    if (values.out) await writeFile(path.join(values.out, `${name(c)}-${name(s)}.png`), result.image);
  }
}
await engine.dispose();
const failed = rows.filter((r) => r.failures.length > 0);
const t = QUALITY_THRESHOLDS;
console.log(
  `\n${rows.length - failed.length} of ${rows.length} pairs within the thresholds (structure ${t.structure.min}–${t.structure.max}, style match ≤ ${t.styleMatchMax}, colour shift ≥ ${t.colourShiftMin}).`,
);
const mean = (k: 'structure' | 'subjectStructure' | 'styleMatch' | 'colourShift' | 'seconds') => rows.reduce((a, r) => a + r[k], 0) / rows.length;
console.log(`means: structure ${mean('structure').toFixed(3)}, subject structure ${mean('subjectStructure').toFixed(3)}, style match ${mean('styleMatch').toFixed(3)}, colour shift ${mean('colourShift').toFixed(3)}, ${mean('seconds').toFixed(1)} s/job`);
