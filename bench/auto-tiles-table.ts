/**
 * How often tiles=auto agrees with the labelled styles in test/fixtures/styles (manifest.json: one
 * class per image). Paintings, textures, patterns and landscapes should stay untiled; icons, objects,
 * portraits and animals should be tiled. Used by `npm run quality -- --auto-tiles` and its test.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { chooseTiles } from '../src/engine/auto-tiles.js';

export const STYLES_DIR = path.resolve(new URL('.', import.meta.url).pathname, '../test/fixtures/styles');

/** Classes whose images should be tiled; every other class should stay untiled. */
export const TILED_CLASSES = new Set(['icon', 'object-plain', 'object-scene', 'portrait', 'animal']);
export const STYLE_CLASSES = ['painting', 'texture', 'pattern', 'landscape', 'icon', 'object-plain', 'object-scene', 'portrait', 'animal'];

export interface LabelledStyle {
  file: string;
  class: string;
  source: string;
  licence: string;
}

export interface AgreementRow {
  file: string;
  class: string;
  expectTiled: boolean;
  tiles: number;
  reason: string;
  agrees: boolean;
  ms: number;
}

export async function readManifest(dir = STYLES_DIR): Promise<LabelledStyle[]> {
  return JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as LabelledStyle[];
}

/** Runs the decision on every labelled style at a result size, timing each (file read excluded). */
export async function autoTilesAgreement(size: number, dir = STYLES_DIR): Promise<{ rows: AgreementRow[]; agreement: number }> {
  const rows: AgreementRow[] = [];
  for (const style of await readManifest(dir)) {
    const bytes = await readFile(path.join(dir, style.file));
    const start = performance.now();
    const choice = await chooseTiles(bytes, size);
    const ms = performance.now() - start;
    const expectTiled = TILED_CLASSES.has(style.class);
    rows.push({ file: style.file, class: style.class, expectTiled, tiles: choice.tiles, reason: choice.reason, agrees: expectTiled === choice.tiles > 1, ms });
  }
  return { rows, agreement: rows.filter((r) => r.agrees).length / rows.length };
}

/** The table as text: one line per image, the misses marked, per-class counts and the agreement. */
export function formatAgreement(rows: AgreementRow[], agreement: number): string {
  const lines = ['style                                   class          expected  tiles  reason'];
  for (const r of rows) {
    lines.push(
      `${r.file.padEnd(40)} ${r.class.padEnd(14)} ${(r.expectTiled ? 'tiled' : 'untiled').padEnd(9)} ${String(r.tiles).padStart(5)}  ${r.agrees ? '' : '✗ MISS  '}${r.reason}`,
    );
  }
  lines.push('');
  for (const c of STYLE_CLASSES) {
    const of = rows.filter((r) => r.class === c);
    if (of.length > 0) lines.push(`${c.padEnd(14)} ${of.filter((r) => r.agrees).length}/${of.length}`);
  }
  const ms = rows.map((r) => r.ms).sort((a, b) => a - b);
  const misses = rows.filter((r) => !r.agrees);
  lines.push(
    '',
    `${rows.length - misses.length} of ${rows.length} agree (${(agreement * 100).toFixed(1)} %); decision time median ${ms[Math.floor(ms.length / 2)]!.toFixed(1)} ms, max ${ms.at(-1)!.toFixed(1)} ms.`,
    `misses: ${misses.map((r) => `${r.file} (${r.class})`).join(', ') || 'none'}`,
  );
  return lines.join('\n');
}
