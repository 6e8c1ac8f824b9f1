/**
 * Runs one job on one engine: the palette (from the shared cache when it is there), then for a
 * stylize job the result (without the palette when its user turned it off). It knows nothing of
 * chat or queues: it reports through a RunSink, and the same runner serves the in-process queues and
 * the Redis workers.
 */
import type { SweepResult } from '../engine/sweep.js';
import type { Progress, RunControls, StyleInput, TransferOptions, TransferResult } from '../engine/types.js';
import type { EngineJob } from './engine-job.js';

/** What the runner needs of an engine (src/engine/index.ts's Engine has it). */
export interface StyleEngine {
  readonly backend: string;
  readonly device: string;
  readonly maxSize: number;
  stylize(content: Buffer, styles: StyleInput[], options: Partial<TransferOptions>, controls?: RunControls): Promise<TransferResult>;
  palette(styles: StyleInput[], options: Partial<TransferOptions>, controls?: RunControls): Promise<TransferResult>;
  paletteSweep(styles: StyleInput[], options: Partial<TransferOptions>, controls?: RunControls): Promise<SweepResult>;
  /** `previous` redrawn at `options.size` (the previous result's options with the new size), starting from itself. */
  upscale(content: Buffer, styles: StyleInput[], previous: Buffer, options: Partial<TransferOptions>, controls: RunControls): Promise<TransferResult>;
  warm(): Promise<void>;
  dispose(): Promise<void>;
  /** Whether it can take a job now (e.g. its thread is alive); absent means always. */
  health?(): { up: boolean; detail?: string };
}

export type Phase = 'palette' | 'stylizing' | 'upscaling';

/** Where a running job reports to. Images are awaited, so the next phase starts after they are taken. */
export interface RunSink {
  phase(name: Phase): Promise<void>;
  progress(name: Phase, progress: Progress): void;
  palette(png: Buffer): Promise<void>;
  result(png: Buffer): Promise<void>;
}

export interface PaletteStore {
  get(key: string): Promise<Buffer | null>;
  put(key: string, png: Buffer): Promise<void>;
}

export async function runJob(
  work: EngineJob,
  engine: StyleEngine,
  cache: PaletteStore,
  sink: RunSink,
  signal: AbortSignal,
  log: Pick<Console, 'warn'>,
): Promise<void> {
  const styles: StyleInput[] = [{ image: work.style }];
  const controls = (name: Phase): RunControls => ({ signal, onProgress: (p) => sink.progress(name, p) });
  if (work.kind === 'upscale') {
    await sink.phase('upscaling');
    const result = await engine.upscale(work.content!, styles, work.previous!, work.stylize ?? {}, controls('upscaling'));
    await sink.result(result.image);
    return;
  }
  if (work.kind === 'stylize' && work.skipPalette) return stylize(work, engine, styles, sink, controls);
  await sink.phase('palette');
  let palette = await cache.get(work.paletteKey);
  if (!palette) {
    const made = work.sweep ? engine.paletteSweep(styles, work.palette, controls('palette')) : engine.palette(styles, work.palette, controls('palette'));
    palette = (await made).image;
    await cache.put(work.paletteKey, palette).catch((err: unknown) => log.warn('Could not cache a palette:', err));
  }
  await sink.palette(palette);
  if (work.kind === 'palette') return;
  await stylize(work, engine, styles, sink, controls);
}

async function stylize(work: EngineJob, engine: StyleEngine, styles: StyleInput[], sink: RunSink, controls: (name: Phase) => RunControls): Promise<void> {
  await sink.phase('stylizing');
  const result = await engine.stylize(work.content!, styles, work.stylize ?? {}, controls('stylizing'));
  await sink.result(result.image);
}
