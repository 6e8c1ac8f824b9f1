/**
 * A StyleEngine that answers at once with small real PNGs: for the tests of wording, buttons, queues,
 * delivery and recovery, which need a job to run, report and finish but not a picture worth looking at.
 * The real engine stays in the tests of pictures and of the engine itself.
 *
 *   const stub = new StubEngine();
 *   const t = await makeTestCommands({ createEngine: async () => stub });
 *   stub.hold();            // the next jobs wait inside the engine until release()
 *   ...
 *   stub.release();
 *
 * The result is the content scaled to the asked size and tinted, the palette the style scaled and
 * tiled, so a test can still tell which picture came back.
 */
import sharp, { type OutputInfo } from 'sharp';
import type { StyleEngine } from '../../src/jobs/run-job.js';
import {
  JobCancelledError,
  resolveOptions,
  type Progress,
  type RunControls,
  type StyleInput,
  type TransferOptions,
  type TransferResult,
} from '../../src/engine/index.js';
import { paletteSweep, type SweepResult } from '../../src/engine/sweep.js';

const STEPS = 4;

export interface StubCall {
  method: 'stylize' | 'palette' | 'paletteSweep' | 'upscale';
  options: Partial<TransferOptions>;
}

export class StubEngine implements StyleEngine {
  readonly backend = 'stub';
  readonly maxSize: number;
  /** Every call, in the order they started. */
  readonly calls: StubCall[] = [];
  private gate: { promise: Promise<void>; open: () => void } | null = null;
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly device = 'cpu',
    opts: { maxSize?: number } = {},
  ) {
    this.maxSize = opts.maxSize ?? 1024;
  }

  /** Jobs started from now on wait in the engine (after their first progress) until release(). */
  hold(): void {
    if (this.gate) return;
    let open!: () => void;
    const promise = new Promise<void>((resolve) => (open = resolve));
    this.gate = { promise, open };
  }

  release(): void {
    this.gate?.open();
    this.gate = null;
  }

  /** Resolves once `count` calls have started (a test waits on this instead of a sleep). */
  started(count: number): Promise<void> {
    if (this.calls.length >= count) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (this.calls.length < count) return;
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
    });
  }

  async stylize(content: Buffer, styles: StyleInput[], options: Partial<TransferOptions>, controls?: RunControls): Promise<TransferResult> {
    return this.run('stylize', options, controls, () => picture(content, this.sizeOf(options), [40, 80, 160]), styles);
  }

  async palette(styles: StyleInput[], options: Partial<TransferOptions>, controls?: RunControls): Promise<TransferResult> {
    return this.run('palette', options, controls, () => tiled(styles[0]!.image, this.sizeOf(options)), styles);
  }

  /** The engine's own sweep layout (labels, gaps, cell sizes) around stub palettes. */
  async paletteSweep(styles: StyleInput[], options: Partial<TransferOptions>, controls?: RunControls): Promise<SweepResult> {
    this.calls.push({ method: 'paletteSweep', options });
    return paletteSweep((s, o, c) => this.palette(s, o, c), styles, resolveOptions(options), controls);
  }

  async upscale(_content: Buffer, styles: StyleInput[], previous: Buffer, options: Partial<TransferOptions>, controls: RunControls): Promise<TransferResult> {
    return this.run('upscale', options, controls, () => picture(previous, this.sizeOf(options), [0, 0, 0]), styles);
  }

  async warm(): Promise<void> {}

  async dispose(): Promise<void> {
    this.release();
  }

  private sizeOf(options: Partial<TransferOptions>): number {
    return Math.min(options.size ?? 64, this.maxSize);
  }

  private async run(
    method: StubCall['method'],
    options: Partial<TransferOptions>,
    controls: RunControls | undefined,
    draw: () => Promise<Buffer>,
    _styles: StyleInput[],
  ): Promise<TransferResult> {
    this.calls.push({ method, options });
    for (const waiter of [...this.waiters]) waiter();
    const signal = controls?.signal;
    const gate = this.gate?.promise;
    const resolved = resolveOptions(options);
    const start = Date.now();
    for (let step = 1; step <= STEPS; step++) {
      if (signal?.aborted) throw new JobCancelledError();
      const progress: Progress = { step, total: STEPS, losses: LOSSES, elapsedMs: Date.now() - start };
      if (step === 1 && resolved.previewEvery > 0) progress.preview = await draw();
      controls?.onProgress?.(progress);
      // A held job keeps reporting, as a real one does step after step, so throttled edits still go out.
      if (step === 1 && gate) await untilOrAborted(gate, signal, () => controls?.onProgress?.({ ...progress, elapsedMs: Date.now() - start }));
    }
    if (signal?.aborted) throw new JobCancelledError();
    const image = await draw();
    const meta = await sharp(image).metadata();
    const tiles = typeof resolved.tiles === 'number' ? resolved.tiles : 1;
    return {
      image,
      stats: {
        backend: this.backend,
        device: this.device,
        steps: STEPS,
        wallMs: Date.now() - start,
        msPerStep: 0,
        initialLosses: LOSSES,
        finalLosses: LOSSES,
        width: meta.width ?? 0,
        height: meta.height ?? 0,
        levelSteps: [STEPS],
      },
      options: { ...resolved, tiles },
    };
  }
}

const LOSSES = { total: 1, content: 0.5, style: 0.5, tv: 0 };

const HELD_PROGRESS_MS = 100;

function untilOrAborted(gate: Promise<void>, signal: AbortSignal | undefined, tick: () => void): Promise<void> {
  return new Promise((resolve) => {
    const timer = setInterval(tick, HELD_PROGRESS_MS);
    const done = () => {
      clearInterval(timer);
      resolve();
    };
    signal?.addEventListener('abort', done, { once: true });
    void gate.then(done);
  });
}

/** The picture scaled so its longest side is `size`, tinted so it is not the input byte for byte. */
async function picture(input: Buffer, size: number, tint: [number, number, number]): Promise<Buffer> {
  const scaled = sharp(input)
    .rotate()
    .resize(size, size, { fit: 'inside' })
    .removeAlpha()
    .tint({ r: 128 + tint[0] / 2, g: 128 + tint[1] / 2, b: 128 + tint[2] / 2 });
  return grainy(await scaled.raw().toBuffer({ resolveWithObject: true }));
}

/**
 * A stylized picture is full of fine strokes, so its PNG is large for its size: a deterministic grain
 * keeps the stub's files as hard to compress (upload limits, JPEG fallbacks behave as with real ones).
 */
async function grainy({ data, info }: { data: Buffer; info: OutputInfo }): Promise<Buffer> {
  let seed = 12345;
  for (let i = 0; i < data.length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    data[i] = Math.max(0, Math.min(255, data[i]! + ((seed >>> 24) % 41) - 20));
  }
  return sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } })
    .png()
    .toBuffer();
}

/** The style repeated 2×2 in a square of `size`. */
async function tiled(style: Buffer, size: number): Promise<Buffer> {
  const half = Math.max(1, Math.floor(size / 2));
  const tile = await sharp(style).rotate().resize(half, half, { fit: 'cover' }).removeAlpha().png().toBuffer();
  const whole = sharp({ create: { width: half * 2, height: half * 2, channels: 3, background: { r: 0, g: 0, b: 0 } } }).composite([
    { input: tile, left: 0, top: 0 },
    { input: tile, left: half, top: 0 },
    { input: tile, left: 0, top: half },
    { input: tile, left: half, top: half },
  ]);
  return grainy(
    await sharp(await whole.png().toBuffer())
      .raw()
      .toBuffer({ resolveWithObject: true }),
  );
}
