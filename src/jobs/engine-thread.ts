/**
 * An engine in a thread of its own (node:worker_threads), for the one-process mode: the bots' event
 * loop keeps answering commands and clicks while a large job computes. It is a StyleEngine like the
 * Engine itself, so the queues and runJob do not know the difference. Inputs are copied to the thread
 * (the caller keeps them: a job's style serves its palette and its result); results and previews come
 * back in the transfer list, though sharp's PNG buffers (external memory) are copied all the same:
 * about 0.6 ms for a 512-px result's 0.7 MB. Cancelling a call's signal cancels it in the thread
 * within a step.
 */
import { Worker } from 'node:worker_threads';
import type { EngineCreateOptions, SweepResult } from '../engine/index.js';
import type { Progress, RunControls, StyleInput, TransferOptions, TransferResult } from '../engine/types.js';
import type { StyleEngine } from './run-job.js';
import { asBuffers, revived, type CallArgs, type EngineCall, type EngineThreadConfig, type FromEngine, type ToEngine } from './engine-thread-protocol.js';

const BOOT = new URL('./engine-thread-boot.mjs', import.meta.url);
const ENTRY = new URL('./engine-thread-main.ts', import.meta.url).href;

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  onProgress?: (p: Progress) => void;
}

export class ThreadEngine implements StyleEngine {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private disposed = false;
  /** Set when the thread stopped on its own (a crash). */
  private lost: Error | null = null;
  private restarting: Promise<void> | null = null;

  private constructor(
    private readonly config: EngineThreadConfig,
    private worker: Worker,
    readonly backend: string,
    private currentDevice: string,
    readonly maxSize: number,
  ) {
    this.listen(worker);
  }

  /** Starts the thread and its Engine (warmed when `warm`); rejects with the Engine's own start error. */
  static async start(options: Omit<EngineCreateOptions, 'warn'>, warm = true): Promise<ThreadEngine> {
    const config: EngineThreadConfig = { engine: options, warm };
    const { worker, ready } = await spawn(config);
    return new ThreadEngine(config, worker, ready.backend, ready.device, ready.maxSize);
  }

  /** The device the engine runs on (an accelerator found unusable falls back to the CPU). */
  get device(): string {
    return this.currentDevice;
  }

  stylize(content: Buffer, styles: StyleInput[], options: Partial<TransferOptions>, controls?: RunControls): Promise<TransferResult> {
    return this.call('stylize', { content, styles, options }, controls) as Promise<TransferResult>;
  }

  palette(styles: StyleInput[], options: Partial<TransferOptions>, controls?: RunControls): Promise<TransferResult> {
    return this.call('palette', { styles, options }, controls) as Promise<TransferResult>;
  }

  paletteSweep(styles: StyleInput[], options: Partial<TransferOptions>, controls?: RunControls): Promise<SweepResult> {
    return this.call('paletteSweep', { styles, options }, controls) as Promise<SweepResult>;
  }

  upscale(content: Buffer, styles: StyleInput[], previous: Buffer, options: Partial<TransferOptions>, controls: RunControls): Promise<TransferResult> {
    return this.call('upscale', { content, styles, previous, options }, controls) as Promise<TransferResult>;
  }

  async warm(): Promise<void> {
    await this.call('warm', { styles: [], options: {} });
  }

  /** Down once disposed, or while its thread is lost (it starts again with the next call). */
  health(): { up: boolean; detail?: string } {
    if (this.disposed) return { up: false, detail: 'disposed' };
    if (this.lost) return { up: false, detail: this.lost.message };
    return { up: true };
  }

  /** Disposes the Engine in its thread, then ends the thread. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    if (this.lost) return;
    const done = new Promise<void>((resolve) => {
      this.worker.on('message', (m: FromEngine) => m.type === 'disposed' && resolve());
      this.worker.once('exit', () => resolve());
    });
    this.post({ type: 'dispose' });
    await done;
    await this.worker.terminate();
  }

  private async call(call: EngineCall, args: CallArgs, controls: RunControls = {}): Promise<unknown> {
    if (this.disposed) throw new Error('The engine was disposed.');
    if (this.lost) await this.restart();
    const id = this.nextId++;
    const { signal, onProgress } = controls;
    return new Promise<unknown>((resolve, reject) => {
      const onAbort = () => this.post({ type: 'abort', id });
      const settle = () => signal?.removeEventListener('abort', onAbort);
      this.pending.set(id, {
        resolve: (v) => {
          settle();
          resolve(v);
        },
        reject: (e) => {
          settle();
          reject(e);
        },
        ...(onProgress ? { onProgress } : {}),
      });
      this.post({ type: 'call', id, call, args });
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** A thread that crashed is started again for the next call (its jobs failed; later ones need not). */
  private restart(): Promise<void> {
    this.restarting ??= spawn(this.config)
      .then(({ worker }) => {
        this.worker = worker;
        this.listen(worker);
        this.lost = null;
      })
      .finally(() => (this.restarting = null));
    return this.restarting;
  }

  private listen(worker: Worker): void {
    worker.on('message', (message: FromEngine) => this.heard(message));
    worker.on('error', (err) => this.stopped(worker, err));
    worker.on('exit', (code) => this.stopped(worker, new Error(`The engine thread stopped (exit code ${code}).`)));
  }

  private post(message: ToEngine): void {
    this.worker.postMessage(message);
  }

  private heard(message: FromEngine): void {
    if (message.type === 'ready' || message.type === 'start-failed' || message.type === 'disposed') return;
    const pending = this.pending.get(message.id);
    if (!pending) return;
    if (message.type === 'progress') return pending.onProgress?.(asBuffers(message.progress));
    this.pending.delete(message.id);
    if (message.type === 'done') {
      this.currentDevice = message.device;
      pending.resolve(asBuffers(message.result));
    } else {
      pending.reject(revived(message.error));
    }
  }

  /** The thread ended: calls in flight fail (their jobs fail with the usual words). */
  private stopped(worker: Worker, err: Error): void {
    if (this.disposed || this.lost || worker !== this.worker) return;
    this.lost = err;
    for (const pending of this.pending.values()) pending.reject(err);
    this.pending.clear();
  }
}

async function spawn(config: EngineThreadConfig): Promise<{ worker: Worker; ready: Extract<FromEngine, { type: 'ready' }> }> {
  const worker = new Worker(BOOT, { workerData: { entry: ENTRY, config }, name: `engine ${config.engine.device ?? 'cpu'}` });
  type Listener = (...args: unknown[]) => void;
  const listeners: { event: 'message' | 'error' | 'exit'; fn: Listener }[] = [];
  try {
    const ready = await new Promise<Extract<FromEngine, { type: 'ready' }>>((resolve, reject) => {
      const on = <A>(event: 'message' | 'error' | 'exit', fn: (arg: A) => void) => {
        listeners.push({ event, fn: fn as Listener });
        worker.on(event, fn as Listener);
      };
      on('message', (message: FromEngine) => {
        if (message.type === 'ready') resolve(message);
        else if (message.type === 'start-failed') reject(revived(message.error));
      });
      on('error', reject);
      on('exit', (code: number) => reject(new Error(`The engine thread exited while starting (exit code ${code}).`)));
    });
    // Only these: removing all of a Worker's listeners would also remove Node's own.
    for (const { event, fn } of listeners) worker.off(event, fn);
    return { worker, ready };
  } catch (err) {
    await worker.terminate();
    throw err;
  }
}
