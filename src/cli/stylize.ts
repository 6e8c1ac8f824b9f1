/**
 * `npm run stylize -- <content> <style> [options]` and `npm run stylize -- --palette <style> [options]`:
 * runs the engine locally and writes result.png and/or palette.png (plus result.json with the options
 * and timings) into --out. Bad input exits with code 2 and one line on stderr; never a stack trace.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import dotenv from 'dotenv';
import { decodeImage } from '../engine/image.js';
import { DEFAULT_OPTIONS, Engine, LIMITS, paletteSizeFor, paletteTilesFor, resolveOptions, type SweepResult } from '../engine/index.js';
import { DEFAULT_CACHE_DIR, ensureModelDir } from '../engine/model-store.js';
import {
  ImageInputError,
  JobCancelledError,
  ModelError,
  OptionError,
  type RunControls,
  type StyleInput,
  type TransferOptions,
  type TransferResult,
} from '../engine/types.js';
import { parseCliArgs, UsageError, USAGE, type CliArgs } from './args.js';
import { createProgressView } from './progress.js';

/** Exit codes: 2 = the command line or an input file is wrong; 1 = anything else; 130 = interrupted. */
export const EXIT_USAGE = 2;

class InputFileError extends Error {}

async function readInput(role: string, file: string): Promise<Buffer> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : code;
    throw new InputFileError(`Cannot read the ${role} image ${file}: ${why}.`);
  }
  // A quick decode at a small size names the bad file before any model is loaded.
  try {
    await decodeImage(bytes, { maxSide: 64 });
  } catch (err) {
    if (err instanceof ImageInputError) throw new InputFileError(`${role[0].toUpperCase()}${role.slice(1)} image ${file}: ${err.message}`);
    throw err;
  }
  return bytes;
}

/**
 * The options an upscale starts from: the result's own (from the result.json the CLI wrote beside it,
 * when there is one: tiles, strength, seed…), at twice its longest side.
 */
async function upscaleOptions(file: string, previous: Buffer): Promise<Partial<TransferOptions>> {
  const { width, height } = await decodeImage(previous, { maxSide: LIMITS.size.max });
  let options: Partial<TransferOptions> = {};
  try {
    const record = JSON.parse(await readFile(path.join(path.dirname(file), 'result.json'), 'utf8')) as { result?: { options?: Partial<TransferOptions> } };
    const known = record.result?.options;
    if (known)
      options = {
        tiles: known.tiles,
        strength: known.strength,
        seed: known.seed,
        preserveColors: known.preserveColors,
        styleScale: known.styleScale,
        colorMatch: known.colorMatch,
      };
  } catch {
    // no record beside the result: the defaults (tiles chosen for the result's size)
  }
  return { ...options, size: 2 * Math.max(width, height) };
}

async function prepareOutDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EEXIST' || code === 'ENOTDIR' ? 'it (or a folder above it) is a file, not a folder' : code === 'EACCES' ? 'permission denied' : code;
    throw new InputFileError(`Cannot write the results into --out ${dir}: ${why}.`);
  }
}

async function modelDir(args: CliArgs): Promise<string> {
  const dir = args.modelDir ?? process.env.TILESTYLE_MODEL_DIR;
  if (dir) return ensureModelDir({ dir, cacheDir: DEFAULT_CACHE_DIR });
  return ensureModelDir({
    cacheDir: DEFAULT_CACHE_DIR,
    onDownload: (file, i, n) => process.stderr.write(`Downloading VGG19 weights (${i + 1}/${n}): ${file}\n`),
  });
}

/**
 * One line per image: its size, the steps (per level when there are several: a converged level
 * stops early), time and loss, and the tiles when they were chosen from the style.
 */
export function summary(label: string, file: string, r: TransferResult): string {
  const s = r.stats;
  const levels = s.levelSteps.length > 1 ? ` (${s.levelSteps.join(' + ')} by level)` : '';
  const crop = r.crop ? `; ${r.crop.reason}` : '';
  const tiles = r.tilesReason ? `; tiles ${r.options.tiles}: ${r.tilesReason}${crop}` : crop;
  return `${label}: ${file} (${s.width}×${s.height}, ${s.steps} steps${levels} in ${(s.wallMs / 1000).toFixed(1)} s, ${s.msPerStep.toFixed(0)} ms/step, loss ${s.finalLosses.total.toExponential(3)}${tiles})`;
}

export async function run(argv: string[]): Promise<number> {
  dotenv.config({ quiet: true });
  const args = parseCliArgs(argv);
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  // Reject out-of-range options before any work; the size limit depends on the device, so the engine checks that one.
  resolveOptions(args.options, Number.MAX_SAFE_INTEGER);

  const content = args.content ? await readInput('content', args.content) : undefined;
  const previous = args.upscale ? await readInput('upscaled result', args.upscale) : undefined;
  const styles: StyleInput[] = [];
  for (const s of args.styles) styles.push({ image: await readInput('style', s.file), weight: s.weight });
  // Where the results go is checked before the model loads, so a wrong --out costs nothing.
  await prepareOutDir(args.out);

  const engine = await Engine.create({
    modelDir: await modelDir(args),
    backend: args.backend,
    device: args.device,
    threads: args.threads,
  });
  const abort = new AbortController();
  // First Ctrl-C cancels within a step (the engine rejects with JobCancelledError); a second one quits at once.
  const onSignal = () => {
    if (abort.signal.aborted) process.exit(130);
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  try {
    process.stdout.write(`Engine: ${engine.backend} on ${engine.device}\n`);
    const record: Record<string, unknown> = {};

    const runOne = async (label: string, file: string, job: (controls: RunControls) => Promise<TransferResult>) => {
      const view = createProgressView(label);
      let result: TransferResult;
      try {
        result = await job({ onProgress: (p) => view.update(p), signal: abort.signal });
      } finally {
        view.stop();
      }
      const target = path.join(args.out, file);
      await writeFile(target, result.image);
      record[label] = { file, options: result.options, stats: result.stats };
      process.stdout.write(`${summary(label, target, result)}\n`);
      return result;
    };

    let resultTiles: number | undefined;
    if (args.mode === 'stylize') {
      resultTiles = (await runOne('result', 'result.png', (c) => engine.stylize(content!, styles, args.options, c))).options.tiles;
    }
    if (args.mode === 'upscale') {
      const options = { ...(await upscaleOptions(args.upscale!, previous!)), ...args.options };
      if ((options.size ?? 0) > engine.maxSize) options.size = engine.maxSize;
      await runOne('upscaled', 'upscaled.png', (c) => engine.upscale(content!, styles, previous!, options, c));
    }
    if (args.sweep) {
      const view = createProgressView('palette sweep');
      let sweep: SweepResult;
      try {
        sweep = await engine.paletteSweep(styles, args.options, { onProgress: (p) => view.update(p), signal: abort.signal });
      } finally {
        view.stop();
      }
      const target = path.join(args.out, 'palette-sweep.png');
      await writeFile(target, sweep.image);
      record['palette sweep'] = { file: 'palette-sweep.png', cellSize: sweep.cellSize, cells: sweep.cells, wallMs: sweep.wallMs };
      const steps = sweep.cells.map((c) => `${c.tiles}: ${c.steps}`).join(', ');
      process.stdout.write(
        `palette sweep: ${target} (tiles 1, 2, 4 and 8 at ${sweep.cellSize} px each; steps ${steps}; ${(sweep.wallMs / 1000).toFixed(1)} s)\n`,
      );
    } else if (args.palette) {
      // With a result, the palette is drawn as chat shows it: at half the result's size (paletteSizeFor),
      // its copies as large as the result's.
      const size = args.options.size ?? DEFAULT_OPTIONS.size;
      const paletteOptions = resultTiles ? { ...args.options, tiles: paletteTilesFor(resultTiles, size), size: paletteSizeFor(size) } : args.options;
      await runOne('palette', 'palette.png', (c) => engine.palette(styles, paletteOptions, c));
    }
    // An upscale keeps the record of the result it redrew (its options are read from there).
    await writeFile(path.join(args.out, args.mode === 'upscale' ? 'upscaled.json' : 'result.json'), `${JSON.stringify(record, null, 2)}\n`);
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    await engine.dispose();
  }
}

/** One line for the user; the stack only with TILESTYLE_DEBUG set. */
export function report(err: unknown): number {
  if (err instanceof OptionError) {
    const flag = err.option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    process.stderr.write(`stylize: --${flag}: ${err.message}\n`);
    return EXIT_USAGE;
  }
  if (err instanceof UsageError || err instanceof InputFileError || err instanceof ImageInputError) {
    process.stderr.write(`stylize: ${err.message}\n`);
    return EXIT_USAGE;
  }
  if (err instanceof JobCancelledError) {
    process.stderr.write('stylize: cancelled.\n');
    return 130;
  }
  if (err instanceof ModelError) {
    process.stderr.write(`stylize: ${err.message}\n`);
    return 1;
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`stylize: failed: ${message.split('\n')[0]}\n`);
  if (process.env.TILESTYLE_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  return 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  run(process.argv.slice(2)).then(
    // Exit explicitly: native runtimes may keep worker threads alive. Linux pipes and TTYs are written synchronously.
    (code) => process.exit(code),
    (err: unknown) => process.exit(report(err)),
  );
}
