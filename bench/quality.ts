/**
 * `npm run quality [-- options]`: runs every content × style pair at the defaults (or the options
 * given) and prints, per pair, the tiles used, the structure kept, the style match, the colour shift
 * toward the style and the seconds, with the thresholds each should meet; then two measures the
 * optimizer does not target: the photo's place in a lineup of photos (rank and margin, photo-lineup.ts)
 * and the share of the result made of legible copies of the style's object against the plain photo's
 * chance share (object-legibility.ts).
 *
 *   --content a.jpg,b.jpg   photos (default: every .jpg in the fixtures but scream.jpg,
 *                           test/fixtures/quality/content-*, and two group photos of people that
 *                           ship with the face detector's package: group1, group5)
 *   --style s.png,t.jpg     styles (default: every .png and scream.jpg in the fixtures, and
 *                           test/fixtures/quality/style-*)
 *   --pairs c:s,c:s         instead of every content × style, these pairs (names as above, or of the
 *                           broad set's content/ and style/ folders)
 *   --lineup DIR            more photos for the lineup (default: the broad set's content/ when it is
 *                           there: TILESTYLE_QUALITY_SET, else ../quality-set, made by
 *                           bench/quality-set.ts); the lineup is every content of the run and these
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
import { lineupOf } from '../src/engine/photo-lineup.js';
import { autoTilesAgreement, formatAgreement } from './auto-tiles-table.js';
import { measureResult, QUALITY_THRESHOLDS, type QualityRow } from './quality-table.js';

const ROOT = path.resolve(new URL('.', import.meta.url).pathname, '..');
const MODEL_DIR = process.env.TILESTYLE_MODEL_DIR ?? path.resolve(ROOT, '../shared/models/vgg19');
const FIXTURES = process.env.TILESTYLE_FIXTURES_DIR ?? path.resolve(ROOT, '../shared/fixtures');
/** The project's own additions: a photo with small subjects, a portrait as a style. */
const EXTRA = path.resolve(ROOT, 'test/fixtures/quality');
/** The broad quality set (bench/quality-set.ts), outside the repository. */
const BROAD = process.env.TILESTYLE_QUALITY_SET ?? path.resolve(ROOT, '../quality-set');

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
    pairs: { type: 'string' },
    lineup: { type: 'string' },
    'auto-tiles': { type: 'boolean', default: false },
  },
});

if (values['auto-tiles']) {
  const { rows, agreement } = await autoTilesAgreement(values.size ? Number(values.size) : 512);
  console.log(formatAgreement(rows, agreement));
  process.exit(0);
}

const inDir = async (dir: string, pick: (f: string) => boolean) =>
  (await readdir(dir))
    .filter(pick)
    .sort()
    .map((f) => path.join(dir, f));
/**
 * Group photos of people (three and five, faces a twentieth of the picture) from a source the rest of
 * the table does not use: the demo pictures of @vladmandic/face-api, a dependency, read where npm put them.
 */
const GROUPS = path.resolve(ROOT, 'node_modules/@vladmandic/face-api/demo');
const groupPhoto = (f: string) => (/^group\d\.jpg$/.test(f) ? path.join(GROUPS, f.replace('group', 'sample')) : null);
const SEARCHED = [FIXTURES, EXTRA, path.join(BROAD, 'content'), path.join(BROAD, 'style')];
/** A file by its name: a path, or a name (with or without its extension) in the fixtures or the broad set. */
const named = (f: string) =>
  groupPhoto(f) ??
  (f.includes('/')
    ? f
    : (SEARCHED.flatMap((d) => ['', '.jpg', '.png'].map((ext) => path.join(d, f + ext))).find((p) => existsSync(p)) ?? path.join(FIXTURES, f)));
const list = async (given: string | undefined, pick: (f: string) => boolean, extra: string) =>
  given ? given.split(',').map(named) : [...(await inDir(FIXTURES, pick)), ...(await inDir(EXTRA, (f) => f.startsWith(extra)))];

const pairsGiven = values.pairs?.split(',').map((p) => p.split(':').map(named) as [string, string]);
const contents = pairsGiven
  ? [...new Set(pairsGiven.map(([c]) => c))]
  : [
      ...(await list(values.content, (f) => f.endsWith('.jpg') && f !== 'scream.jpg', 'content-')),
      ...(values.content ? [] : ['group1.jpg', 'group5.jpg'].map(named)),
    ];
const styles = pairsGiven ? [...new Set(pairsGiven.map(([, s]) => s))] : await list(values.style, (f) => f.endsWith('.png') || f === 'scream.jpg', 'style-');
const pairs = pairsGiven ?? contents.flatMap((c) => styles.map((s) => [c, s] as [string, string]));
const options: Record<string, unknown> = { seed: Number(values.seed), ...(values.options ? JSON.parse(values.options) : {}) };
for (const k of ['size', 'iterations', 'strength'] as const) if (values[k] !== undefined) options[k] = Number(values[k]);
if (values.crop !== undefined) options.crop = values.crop;
if (values.tiles !== undefined) options.tiles = values.tiles === 'auto' ? 'auto' : Number(values.tiles);
if (values.out) await mkdir(values.out, { recursive: true });

const name = (f: string) =>
  path
    .basename(f)
    .replace(/\.[^.]+$/, '')
    .replace(/^(content|style)-/, '')
    .replace(/^sample(\d)$/, 'group$1');
// The lineup: every photo of the run, and the broad set's (or --lineup's) photos, each once by name.
const lineupDir = values.lineup ?? path.join(BROAD, 'content');
const lineupFiles = [...contents, ...(existsSync(lineupDir) ? await inDir(lineupDir, (f) => /\.(jpe?g|png)$/i.test(f)) : [])];
const byName = new Map(lineupFiles.map((f) => [name(f), f]));
const photos = await lineupOf(await Promise.all([...byName].map(async ([n, f]) => ({ name: n, image: await readFile(f) }))));

const engine = await Engine.create({ modelDir: MODEL_DIR });
const rows: QualityRow[] = [];
const w = Math.max(8, ...contents.map((c) => name(c).length));
const sw = Math.max(16, ...styles.map((s) => name(s).length));
console.log(`options: ${JSON.stringify(options)}; lineup of ${photos.length} photos`);
console.log(
  `${'content'.padEnd(w)} ${'style'.padEnd(sw)} tiles  structure  subject  style match  colour shift  faces  people  lineup (margin)  copies/chance  seconds  crop`,
);
for (const [c, s] of pairs) {
  const [content, style] = await Promise.all([readFile(c), readFile(s)]);
  const result = await engine.stylize(content, [{ image: style }], options, { measure: true });
  const row = await measureResult(`${name(c)} × ${name(s)}`, content, style, result, { photos, own: name(c) });
  rows.push(row);
  const lineup = row.lineup ? `${row.lineup.rank}/${row.lineup.of} (${row.lineup.margin >= 0 ? '+' : ''}${row.lineup.margin.toFixed(2)})` : '-';
  const copies = row.copies ? `${row.copies.share.toFixed(2)}/${row.copies.chance.toFixed(2)}` : '-';
  console.log(
    `${name(c).padEnd(w)} ${name(s).padEnd(sw)} ${String(row.tiles).padStart(5)}  ${row.structure.toFixed(3).padStart(9)}  ${row.subjectStructure.toFixed(3).padStart(7)}  ${row.styleMatch.toFixed(3).padStart(11)}  ${row.colourShift.toFixed(3).padStart(12)}  ${String(row.faces).padStart(5)}  ${`${row.peopleKept.kept}/${row.peopleKept.of}`.padStart(6)}  ${lineup.padStart(15)}  ${copies.padStart(13)}  ${row.seconds.toFixed(1).padStart(7)}  ${row.crop || '-'}${row.failures.length ? `  ✗ ${row.failures.join(', ')}` : '  ✓'}`,
  );
  if (values.out) await writeFile(path.join(values.out, `${name(c)}-${name(s)}.png`), result.image);
}
await engine.dispose();
const failed = rows.filter((r) => r.failures.length > 0);
const t = QUALITY_THRESHOLDS;
console.log(
  `\n${rows.length - failed.length} of ${rows.length} pairs within the thresholds (structure ${t.structure.min}–${t.structure.max}, style match ≤ ${t.styleMatchMax}, colour shift ≥ ${t.colourShiftMin}, lineup rank ≤ ${t.lineupRankMax}).`,
);
const mean = (k: 'structure' | 'subjectStructure' | 'styleMatch' | 'colourShift' | 'seconds') => rows.reduce((a, r) => a + r[k], 0) / rows.length;
console.log(
  `means: structure ${mean('structure').toFixed(3)}, subject structure ${mean('subjectStructure').toFixed(3)}, style match ${mean('styleMatch').toFixed(3)}, colour shift ${mean('colourShift').toFixed(3)}, ${mean('seconds').toFixed(1)} s/job`,
);
