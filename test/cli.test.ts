/** Runs the real CLI as a child process, as a user would, at a tiny size. */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { TEST_THREADS } from './helpers/threads.js';

const ROOT = path.resolve(new URL('.', import.meta.url).pathname, '..');
const MODEL_DIR = process.env.TILESTYLE_MODEL_DIR ?? path.resolve(ROOT, '../shared/models/vgg19');
const FIXTURES = process.env.TILESTYLE_FIXTURES ?? path.resolve(ROOT, '../shared/fixtures');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');
const CLI = path.join(ROOT, 'src/cli/stylize.ts');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function stylize(args: string[], cwd: string, modelDir = MODEL_DIR): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      TSX,
      // One engine thread per core this jest worker may use (test/helpers/threads.ts).
      [CLI, '--threads', String(TEST_THREADS), ...args],
      { cwd, env: { ...process.env, TILESTYLE_MODEL_DIR: modelDir, TILESTYLE_DEBUG: '' }, timeout: 300_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'tilestyle-cli-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function expectPng(file: string, longSide: number) {
  const meta = await sharp(await readFile(file)).metadata();
  expect(meta.format).toBe('png');
  expect(Math.max(meta.width ?? 0, meta.height ?? 0)).toBe(longSide);
  const stats = await sharp(await readFile(file)).stats();
  expect(stats.channels.slice(0, 3).some((c) => c.stdev > 1)).toBe(true); // not a blank image
}

describe('npm run stylize', () => {
  it('writes result.png, palette.png and result.json', async () => {
    const out = path.join(tmp, 'full');
    const run = await stylize(
      [path.join(FIXTURES, 'dog.jpg'), path.join(FIXTURES, 'guitar.png'), '--tiles', '2', '--size', '64', '--iterations', '3', '--out', out],
      tmp,
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/result: .*result\.png \(\d+×\d+, 3 steps/);
    expect(run.stdout).toMatch(/palette: .*palette\.png/);
    expect(run.stdout).toMatch(/result step 3\/3 loss/); // plain progress lines: stdout is not a TTY here
    expect((await readdir(out)).sort()).toEqual(['palette.png', 'result.json', 'result.png']);
    await expectPng(path.join(out, 'result.png'), 64);
    await expectPng(path.join(out, 'palette.png'), 64);
    const record = JSON.parse(await readFile(path.join(out, 'result.json'), 'utf8'));
    expect(record.result.options.tiles).toBe(2);
    expect(record.palette.options.tiles).toBe(2);
    expect(record.result.stats.steps).toBe(3);
  });

  it('redraws that result at twice its size with --upscale, with the options of its result.json', async () => {
    const out = path.join(tmp, 'upscale');
    const inputs = [path.join(FIXTURES, 'dog.jpg'), path.join(FIXTURES, 'guitar.png')];
    expect((await stylize([...inputs, '--tiles', '2', '--size', '64', '--iterations', '3', '--no-palette', '--out', out], tmp)).code).toBe(0);
    const run = await stylize([...inputs, '--upscale', path.join(out, 'result.png'), '--out', out], tmp);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/upscaled: .*upscaled\.png \(\d+×\d+/);
    await expectPng(path.join(out, 'upscaled.png'), 128);
    const record = JSON.parse(await readFile(path.join(out, 'upscaled.json'), 'utf8'));
    expect(record.upscaled.options.tiles).toBe(2);
    expect(record.upscaled.options.size).toBe(128);
    // The record of the result it redrew is still there.
    expect(JSON.parse(await readFile(path.join(out, 'result.json'), 'utf8')).result.options.size).toBe(64);
  });

  it('has a palette-only form', async () => {
    const out = path.join(tmp, 'palette');
    const run = await stylize(
      ['--palette', path.join(FIXTURES, 'game-controller.png'), '--tiles', '3', '--size', '64', '--iterations', '2', '--out', out],
      tmp,
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(await readdir(out)).toEqual(expect.arrayContaining(['palette.png']));
    expect(await readdir(out)).not.toContain('result.png');
    await expectPng(path.join(out, 'palette.png'), 64);
  });

  it('writes the palette sweep: the palettes at 1, 2, 4 and 8 tiles side by side', async () => {
    const out = path.join(tmp, 'sweep');
    const run = await stylize(['--palette', path.join(FIXTURES, 'face.png'), '--tiles', 'sweep', '--size', '64', '--iterations', '2', '--out', out], tmp);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/palette sweep: .*palette-sweep\.png \(tiles 1, 2, 4 and 8 at 32 px each; steps 1: \d+, 2: \d+, 4: \d+, 8: \d+; [\d.]+ s\)/);
    expect((await readdir(out)).sort()).toEqual(['palette-sweep.png', 'result.json']);
    const meta = await sharp(await readFile(path.join(out, 'palette-sweep.png'))).metadata();
    expect(meta).toMatchObject({ format: 'png', width: 4 * 32 + 3 * 4, height: 24 + 32 });
    const record = JSON.parse(await readFile(path.join(out, 'result.json'), 'utf8'));
    expect(record['palette sweep'].cells.map((c: { tiles: number }) => c.tiles)).toEqual([1, 2, 4, 8]);
  });

  it('chooses the tiles from the style, says why, and gives the steps by level', async () => {
    const out = path.join(tmp, 'auto');
    const run = await stylize(
      // 192 px: two levels (96 and 192; a result's levels are at least 96 px).
      [
        path.join(FIXTURES, 'dog.jpg'),
        path.join(FIXTURES, 'face.png'),
        '--size',
        '192',
        '--iterations',
        '4',
        '--strength',
        '3',
        '--schedule',
        'classic',
        '--no-palette',
        '--out',
        out,
      ],
      tmp,
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /result: .*result\.png \(\d+×\d+, 4 steps \(\d+ \+ \d+ by level\) in .*; tiles \d+: the style is a single object on a plain background; each copy ≈ \d+ px[;,)]/,
    );
    const record = JSON.parse(await readFile(path.join(out, 'result.json'), 'utf8'));
    expect(record.result.options).toMatchObject({ strength: 3, schedule: 'classic', balance: 'auto' });
    expect(Number.isInteger(record.result.options.tiles)).toBe(true);
    expect(record.result.options.tiles).toBeGreaterThan(1);
    expect(record.result.stats.levelSteps.reduce((a: number, b: number) => a + b, 0)).toBe(4);
  });

  it.each([
    [
      'a text file as content',
      (t: string) => [path.join(t, 'notes.txt'), path.join(FIXTURES, 'guitar.png')],
      /Content image .*notes\.txt: That file isn't an image I can read \(text\)\. Send a PNG, JPEG, WebP or GIF\./,
    ],
    [
      'a missing style file',
      (t: string) => [path.join(FIXTURES, 'dog.jpg'), path.join(t, 'nope.png')],
      /Cannot read the style image .*nope\.png: no such file\./,
    ],
    ['an unknown flag', () => [path.join(FIXTURES, 'dog.jpg'), path.join(FIXTURES, 'guitar.png'), '--frobnicate'], /Unknown option '--frobnicate'/],
    ['an out-of-range option', () => [path.join(FIXTURES, 'dog.jpg'), path.join(FIXTURES, 'guitar.png'), '--tiles', '0'], /tiles/i],
    [
      'a strength above 10',
      () => [path.join(FIXTURES, 'dog.jpg'), path.join(FIXTURES, 'guitar.png'), '--strength', '11'],
      /^stylize: --strength must be from 1 \(keep the photo\) to 10 \(the style takes over\) \(got 11\)\.$/m,
    ],
    [
      'tiles that are not a number',
      () => [path.join(FIXTURES, 'dog.jpg'), path.join(FIXTURES, 'guitar.png'), '--tiles', 'many'],
      /^stylize: --tiles must be auto, sweep or a whole number \(got 'many'\)\.$/m,
    ],
    [
      'an unknown schedule',
      () => [path.join(FIXTURES, 'dog.jpg'), path.join(FIXTURES, 'guitar.png'), '--schedule', 'slow'],
      /--schedule must be one of quick, classic/,
    ],
    [
      'strength with raw weights',
      () => [path.join(FIXTURES, 'dog.jpg'), path.join(FIXTURES, 'guitar.png'), '--strength', '7', '--style-weight', '3'],
      /give one or the other/,
    ],
    ['a malformed number', () => [path.join(FIXTURES, 'dog.jpg'), path.join(FIXTURES, 'guitar.png'), '--size', 'huge'], /--size must be a number/],
    ['a negative size', () => [path.join(FIXTURES, 'dog.jpg'), path.join(FIXTURES, 'guitar.png'), '--size', '-5'], /^stylize: --size: .*-5/],
    [
      '--out naming an existing file',
      (t: string) => [path.join(FIXTURES, 'dog.jpg'), path.join(FIXTURES, 'guitar.png'), '--out', path.join(t, 'notes.txt')],
      /Cannot write the results into --out .*notes\.txt: it \(or a folder above it\) is a file, not a folder\./,
    ],
  ])('rejects %s with exit code 2 and one friendly line, before loading the model', async (_name, args, message) => {
    await writeFile(path.join(tmp, 'notes.txt'), 'shopping list: eggs, milk\n');
    // No weights where the model would be looked for: reaching the model would fail differently.
    const noModel = path.join(tmp, 'no-model-here');
    const run = await stylize(['--size', '64', '--out', path.join(tmp, 'bad'), ...args(tmp)], tmp, noModel); // later flags win
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.stdout).toBe('');
  });
});
