/** The style-transfer engine: one backend (and its sessions) per device, jobs run one at a time. */
import os from 'node:os';
import type { LossBackend } from './backend.js';
import { createOnnxBackend, type SessionKind } from './onnx/backend.js';
import { LIMITS } from './limits.js';
import { DEFAULT_OPTIONS, resolveOptions } from './options.js';
import { LruCache } from './style-cache.js';
import { SHARPEN_STYLE_LAYERS } from './schedule.js';
import { paletteSweep, type SweepResult } from './sweep.js';
import { palette, stylize, upscale, type TransferContext } from './transfer.js';
import type { EngineConfig, RunControls, StyleInput, TransferOptions, TransferResult } from './types.js';
import { BackendUnavailableError, ModelError } from './types.js';
import { loadVgg19 } from './weights.js';

export interface EngineCreateOptions extends EngineConfig {
  /** Largest result side this engine accepts (default LIMITS.size.max). */
  maxSize?: number;
  /** Style targets kept in memory (default 8). */
  styleCacheEntries?: number;
  /** Where device fallbacks are reported (default console.warn). */
  warn?: (message: string) => void;
}

type WarmableBackend = LossBackend & { warm?: (content: string[], style: string[], kinds?: SessionKind[]) => Promise<void> };

/**
 * The tfjs reference backend, loaded only when asked for: its packages are development dependencies,
 * which a production install (npm ci --omit=dev) leaves out.
 */
async function loadTfjsBackend(): Promise<typeof import('./tfjs/backend.js')> {
  try {
    return await import('./tfjs/backend.js');
  } catch (err) {
    const { code, message } = err as NodeJS.ErrnoException;
    if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && /@tensorflow\//.test(message)) {
      throw new BackendUnavailableError(
        'The tfjs backend needs @tensorflow/tfjs and @tensorflow/tfjs-backend-wasm, which this installation leaves out ' +
          '(a production install, npm ci --omit=dev, has the onnx backend only). Use the onnx backend, or install them: ' +
          'npm install --no-save @tensorflow/tfjs @tensorflow/tfjs-backend-wasm',
      );
    }
    throw err;
  }
}

export class Engine {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly ctx: TransferContext;
  private disposed = false;

  private constructor(
    private readonly lossBackend: WarmableBackend,
    readonly maxSize: number,
    styleCacheEntries: number,
  ) {
    this.ctx = { backend: lossBackend, styleCache: new LruCache(styleCacheEntries) };
  }

  static async create(config: EngineCreateOptions): Promise<Engine> {
    const layers = await loadVgg19(config.modelDir);
    const device = config.device ?? 'cpu';
    // The cores this process may use (taskset, container limits): more threads than cores spin-wait.
    const threads = config.threads ?? os.availableParallelism();
    let backend: LossBackend;
    if ((config.backend ?? 'onnx') === 'tfjs') {
      if (device !== 'cpu') (config.warn ?? console.warn)(`The tfjs backend runs on the CPU only; ignoring device ${device}.`);
      backend = await (await loadTfjsBackend()).createTfjsBackend(layers, { threads });
    } else {
      backend = await createOnnxBackend(layers, { device, threads, warn: config.warn });
    }
    if (!backend) throw new ModelError('No backend could be created.');
    const warmable = backend as WarmableBackend;
    // An accelerator may turn out unusable (the backend then falls back to the CPU): find out now,
    // so the engine reports the device actually used.
    if (device !== 'cpu' && warmable.warm) await warmable.warm(DEFAULT_OPTIONS.contentLayers, DEFAULT_OPTIONS.styleLayers);
    const maxSize = Math.min(LIMITS.size.max, config.maxSize ?? LIMITS.size.max);
    return new Engine(backend, maxSize, config.styleCacheEntries ?? 8);
  }

  get backend(): string {
    return this.lossBackend.name;
  }

  /** The device actually in use (after any fallback to CPU). */
  get device(): string {
    return this.lossBackend.device;
  }

  /** Validates options against this engine's limits. */
  resolve(options: Partial<TransferOptions>): TransferOptions {
    return resolveOptions(options, this.maxSize);
  }

  stylize(content: Buffer, styles: StyleInput[], options: Partial<TransferOptions> = {}, controls: RunControls = {}): Promise<TransferResult> {
    return this.exclusive(() => stylize(this.ctx, content, styles, this.resolve(options), controls));
  }

  /**
   * Redraws an earlier result (`previous`, PNG) at the larger `options.size`, starting from itself.
   * `options` are the earlier result's (tiles a number), with the new size.
   */
  upscale(content: Buffer, styles: StyleInput[], previous: Buffer, options: Partial<TransferOptions>, controls: RunControls = {}): Promise<TransferResult> {
    return this.exclusive(() => upscale(this.ctx, content, styles, previous, this.resolve(options), controls));
  }

  palette(styles: StyleInput[], options: Partial<TransferOptions> = {}, controls: RunControls = {}): Promise<TransferResult> {
    return this.exclusive(() => palette(this.ctx, styles, this.resolve(options), controls));
  }

  /** The style's palettes at 1, 2, 4 and 8 tiles side by side, each at half the size (see sweep.ts). */
  paletteSweep(styles: StyleInput[], options: Partial<TransferOptions> = {}, controls: RunControls = {}): Promise<SweepResult> {
    return this.exclusive(() => paletteSweep((st, o, c) => palette(this.ctx, st, o, c), styles, this.resolve(options), controls));
  }

  /**
   * Builds every session a job at the default options uses, so the first job does not pay for them:
   * targets and steps at full depth (of the palette's small levels too), the final style match, and
   * the sharpening level's.
   */
  async warm(): Promise<void> {
    const o = DEFAULT_OPTIONS;
    const backend = this.lossBackend;
    if (!backend.warm) return;
    await backend.warm(o.contentLayers, o.styleLayers, ['features', 'loss', 'small-loss']);
    await backend.warm([], o.styleLayers, ['features']);
    await backend.warm(
      [],
      o.styleLayers.filter((l) => SHARPEN_STYLE_LAYERS.includes(l)),
    );
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.queue.catch(() => undefined);
    this.ctx.styleCache.clear();
    await this.lossBackend.dispose();
  }

  /** Runs jobs one after another: two at once would only share the same cores and double the memory. */
  private exclusive<T>(job: () => Promise<T>): Promise<T> {
    if (this.disposed) return Promise.reject(new Error('The engine has been disposed.'));
    const run = this.queue.then(job, job);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
