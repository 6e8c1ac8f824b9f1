/**
 * The command service: what every front end calls. It validates, queues jobs on the compute devices,
 * runs them on the engine, tells the user through the ReplyPort what happens, and keeps every job in
 * the store so nothing is lost across a restart. It never throws into a front end.
 */
import { randomBytes, randomInt } from 'node:crypto';
import path from 'node:path';
import { decodeImage } from '../engine/image.js';
import { DEFAULT_OPTIONS, LIMITS } from '../engine/index.js';
import {
  ImageInputError,
  JobCancelledError,
  OptionError,
  type Progress,
  type RunControls,
  type StyleInput,
  type TransferOptions,
  type TransferResult,
} from '../engine/types.js';
import { DataFiles, type ResultName } from './files.js';
import { helpText, queuedText, seconds, shortNumber, statusText } from './messages.js';
import {
  formatOptions,
  MAX_SEED,
  MAX_TILES,
  nextTiles,
  PALETTE_SEED,
  resolveUserOptions,
  tilesText,
  validateOptions,
  withTiles,
  type JobKind,
  type OptionDefaults,
  type OptionLimits,
  type UserOptions,
} from './options.js';
import { PaletteCache } from './palette-cache.js';
import { DEFAULT_MAX_IMAGE_BYTES, SETTING_DEFAULTS } from './settings.js';
import { settleTiles } from './tiles.js';
import type {
  Attachment,
  CommandHandler,
  CommandRequest,
  Frontend,
  ImageSource,
  Invocation,
  MessageRef,
  Platform,
  RawOptions,
  ReplyPort,
} from './port.js';
import { DeviceQueues, type DeviceQueue } from './queue.js';
import { JobStore, type JobInputs, type JobRecord, type JobState, type MessageRole } from './store.js';

/** What the service needs of an engine (src/engine/index.ts's Engine has it). */
export interface StyleEngine {
  readonly backend: string;
  readonly device: string;
  readonly maxSize: number;
  stylize(content: Buffer, styles: StyleInput[], options: Partial<TransferOptions>, controls?: RunControls): Promise<TransferResult>;
  palette(styles: StyleInput[], options: Partial<TransferOptions>, controls?: RunControls): Promise<TransferResult>;
  warm(): Promise<void>;
  dispose(): Promise<void>;
}

export interface ServiceLimits {
  /** Cap on size; the effective cap is the smaller of this and every engine's maxSize. */
  maxSize: number;
  maxIterations: number;
  /** Largest image accepted, declared or downloaded. */
  maxImageBytes: number;
  /** Jobs one user may have waiting (not yet running). */
  perUserWaiting: number;
  /** Jobs waiting over all users and devices. */
  globalWaiting: number;
  /** At most one progress update per this many milliseconds. */
  progressIntervalMs: number;
  paletteCacheEntries: number;
  paletteCacheBytes: number;
}

export const DEFAULT_LIMITS: ServiceLimits = {
  maxSize: SETTING_DEFAULTS.maxSize,
  maxIterations: SETTING_DEFAULTS.maxIterations,
  maxImageBytes: DEFAULT_MAX_IMAGE_BYTES,
  perUserWaiting: 2,
  globalWaiting: 20,
  progressIntervalMs: 3000,
  paletteCacheEntries: 200,
  paletteCacheBytes: 200 * 1024 * 1024,
};

export interface CommandServiceOptions {
  /** Where the job store, inputs, results and palette cache live. */
  dataDir: string;
  /** Compute devices, one queue and one engine each, e.g. ['cpu'] or ['cpu', 'cuda:0']. Default ['cpu']. */
  devices?: string[];
  /** Makes the engine of a device (index = place in `devices`, so the same device may be listed twice). */
  createEngine: (device: string, index: number) => Promise<StyleEngine>;
  /** Whether stop() disposes the engines (false when the caller shares them). Default true. */
  disposeEngines?: boolean;
  limits?: Partial<ServiceLimits>;
  /** Option defaults; anything not given comes from the engine's DEFAULT_OPTIONS. */
  defaults?: Partial<OptionDefaults>;
  /** Where stack traces go for the operator (default: console). */
  log?: Pick<Console, 'error' | 'warn' | 'info'>;
}

/** A job as the history shows it. */
/** A job as front ends show it: its record without the input hashes, plus the result files. */
export type JobSummary = Omit<JobRecord, 'inputs'> & {
  /** Absolute paths of the PNGs the job produced (absent until produced). */
  files: Partial<Record<ResultName, string>>;
};

export interface CommandService extends CommandHandler {
  /** Labels of the device queues, in order. */
  readonly devices: string[];
  /** Option limits in force (size capped by the engines). */
  readonly limits: OptionLimits & ServiceLimits;
  /** Resumes jobs a previous process left waiting or running. Call once the front ends are registered. */
  start(): Promise<void>;
  /** Stops accepting, pauses running jobs for resume, closes the store (and the engines, if owned). */
  stop(): Promise<void>;
  /**
   * The jobs of a conversation, oldest first, at most `limit` (newest kept): for the web front end's
   * history. `thread` narrows to one thread. Result files are paths under the data directory.
   */
  history(where: { platform: Platform; channel: string; thread?: string }, limit?: number): JobSummary[];
  job(id: string): JobSummary | undefined;
  /** Resolves when no job is waiting or running (tests, shutdown). */
  idle(): Promise<void>;
}

interface ActiveJob {
  id: string;
  record: JobRecord;
  port: ReplyPort;
  status: StatusLine | null;
  /** First line of the status message (e.g. what a re-run changes). */
  intro: string;
  lastPosition: number;
  abort: AbortController | null;
  cancelRequested: boolean;
  pausedForShutdown: boolean;
  /** Settles once the status message is posted: nothing else is posted for the job before it. */
  ready: Promise<void>;
}

/** A job as it enters a queue: nothing posted, nothing running yet. */
function activeJob(record: JobRecord, port: ReplyPort, intro: string): ActiveJob {
  return {
    id: record.id,
    record,
    port,
    status: null,
    intro,
    lastPosition: -1,
    abort: null,
    cancelRequested: false,
    pausedForShutdown: false,
    ready: Promise.resolve(),
  };
}

const CANCEL_HINT = 'React ❌ here to cancel.';

/** One status message per job, edited as the job moves; progress edits are rate-limited, final ones not. */
class StatusLine {
  private last = 0;
  private chain: Promise<void> = Promise.resolve();
  private pendingPreview: Buffer | undefined;

  constructor(
    private readonly port: ReplyPort,
    readonly ref: MessageRef,
    private readonly intervalMs: number,
    private readonly log: Pick<Console, 'error'>,
  ) {}

  /** Progress: dropped when the last edit is too recent (the preview is kept for the next one). */
  progress(text: string, preview?: Buffer): void {
    if (preview) this.pendingPreview = preview;
    const now = Date.now();
    if (now - this.last < this.intervalMs) return;
    this.last = now;
    const files: Attachment[] | undefined = this.pendingPreview
      ? [{ filename: 'preview.png', data: this.pendingPreview, description: 'Work in progress' }]
      : undefined;
    this.pendingPreview = undefined;
    this.send(text, files);
  }

  /** A state change: always shown. */
  set(text: string): Promise<void> {
    this.last = Date.now();
    return this.send(text);
  }

  private send(text: string, files?: Attachment[]): Promise<void> {
    this.chain = this.chain
      .then(() => this.port.update(this.ref, text, files))
      .catch((err: unknown) => this.log.error('Could not update a status message:', err));
    return this.chain;
  }

  settled(): Promise<void> {
    return this.chain;
  }
}

function newJobId(): string {
  return randomBytes(5).toString('hex');
}

function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function lossLine(progress: Progress): string {
  const l = progress.losses;
  return `loss ${shortNumber(l.total)} (style ${shortNumber(l.style)}, content ${shortNumber(l.content)})`;
}

class Service implements CommandService {
  readonly devices: string[];
  readonly limits: OptionLimits & ServiceLimits;
  private readonly defaults: OptionDefaults;
  private readonly store: JobStore;
  private readonly files: DataFiles;
  private readonly cache: PaletteCache;
  private readonly queues: DeviceQueues<ActiveJob, StyleEngine>;
  private readonly frontends = new Map<Platform, Frontend>();
  private readonly active = new Map<string, ActiveJob>();
  private readonly runs = new Set<Promise<void>>();
  private stopping = false;
  private stopped = false;
  private readonly log: Pick<Console, 'error' | 'warn' | 'info'>;

  constructor(
    private readonly opts: CommandServiceOptions,
    private readonly engines: { label: string; engine: StyleEngine }[],
  ) {
    this.log = opts.log ?? console;
    const limits = { ...DEFAULT_LIMITS, ...opts.limits };
    const engineMax = Math.min(...engines.map((e) => e.engine.maxSize));
    // Never above what the engine runs, so an option that validates also runs.
    this.limits = {
      ...limits,
      maxSize: Math.min(limits.maxSize, engineMax),
      maxIterations: Math.min(limits.maxIterations, LIMITS.iterations.max),
      maxTiles: MAX_TILES,
      minSize: LIMITS.size.min,
    };
    const base = DEFAULT_OPTIONS;
    this.defaults = {
      tiles: base.tiles,
      size: base.size,
      iterations: base.iterations,
      strength: base.strength,
      styleWeight: base.styleWeight,
      contentWeight: base.contentWeight,
      preserveColors: base.preserveColors,
      ...opts.defaults,
    };
    this.devices = engines.map((e) => e.label);
    this.store = new JobStore(opts.dataDir);
    this.files = new DataFiles(opts.dataDir);
    this.cache = new PaletteCache(path.join(opts.dataDir, 'palette-cache'), {
      maxEntries: this.limits.paletteCacheEntries,
      maxBytes: this.limits.paletteCacheBytes,
    });
    this.queues = new DeviceQueues<ActiveJob, StyleEngine>(engines, (device) => this.announcePositions(device));
  }

  registerFrontend(frontend: Frontend): void {
    this.frontends.set(frontend.platform, frontend);
  }

  async handle(request: CommandRequest, invocation: Invocation, port: ReplyPort): Promise<void> {
    try {
      if (this.stopping && request.kind !== 'help') {
        await port.whisper("I'm restarting right now — please try again in a minute.");
        return;
      }
      switch (request.kind) {
        case 'stylize':
          return await this.submit('stylize', { content: request.content, style: request.style }, request.options, invocation, port);
        case 'palette':
          return await this.submit('palette', { style: request.style }, request.options, invocation, port);
        case 'rerun':
          return await this.rerun(request, invocation, port);
        case 'cancel':
          return await this.cancel(request, invocation, port);
        case 'status':
          return await port.whisper(this.statusFor(invocation));
        case 'help':
          return await port.whisper(helpText(this.defaults, this.limits));
        case 'unknown':
          return await port.whisper(`I don't know the command "${request.name}". Try help to see what I can do.`);
        default: {
          const kind = (request as { kind?: unknown }).kind;
          return await port.whisper(`I don't know the command "${String(kind)}". Try help to see what I can do.`);
        }
      }
    } catch (err) {
      this.log.error(`Command ${request.kind} failed:`, err);
      await port.whisper('Sorry — something went wrong on my side with that. Please try again.').catch(() => undefined);
    }
  }

  // ---- stylize / palette ----

  private async submit(
    kind: JobKind,
    images: { content?: ImageSource; style: ImageSource },
    raw: RawOptions,
    invocation: Invocation,
    port: ReplyPort,
  ): Promise<void> {
    const checked = validateOptions(raw ?? {}, kind, this.limits);
    if (!checked.ok) {
      await port.whisper(checked.problems.join('\n'));
      return;
    }
    const refusal = this.refusal(invocation);
    if (refusal) {
      await port.whisper(refusal);
      return;
    }
    const sources: [string, ImageSource][] = [];
    if (images.content) sources.push(['content image', images.content]);
    sources.push(['style image', images.style]);
    const declared = sources.map(([role, src]) => this.declaredProblem(role, src)).filter((p): p is string => p !== null);
    if (declared.length > 0) {
      await port.whisper(declared.join('\n'));
      return;
    }
    const loaded = await Promise.all(sources.map(([role, src]) => this.loadImage(role, src)));
    const problems = loaded.filter((r): r is { problem: string } => 'problem' in r).map((r) => r.problem);
    if (problems.length > 0) {
      await port.whisper(problems.join('\n'));
      return;
    }
    const bytes = loaded.map((r) => (r as { bytes: Buffer }).bytes);
    const requested = resolveUserOptions(checked.options, kind, this.defaults, this.limits, () => randomInt(0, MAX_SEED));
    // tiles=auto is settled now, so the record, the palette cache key, the reply and 🔁 see the number used.
    const options = await settleTiles(requested, bytes.at(-1)!);
    // The awaits above let other requests in: check the limits again just before queueing.
    const lateRefusal = this.refusal(invocation);
    if (lateRefusal) {
      await port.whisper(lateRefusal);
      return;
    }
    const inputs: JobInputs = images.content
      ? { content: await this.files.saveInput(bytes[0]!), style: await this.files.saveInput(bytes[1]!) }
      : { style: await this.files.saveInput(bytes[0]!) };
    await this.createAndQueue(kind, options, inputs, invocation, port, '');
  }

  /** A reason to refuse a new job for this user now (limits), or null. */
  private refusal(invocation: Invocation): string | null {
    const wouldWait = this.queues.soonest().load > 0;
    if (!wouldWait) return null;
    const waiting = this.queues.waitingJobs();
    if (waiting.length >= this.limits.globalWaiting) {
      return `The queue is full (${waiting.length} waiting). Please try again in a few minutes.`;
    }
    const mine = waiting.filter((j) => j.record.platform === invocation.platform && j.record.user.id === invocation.user.id);
    if (mine.length >= this.limits.perUserWaiting) {
      return `You already have ${mine.length} jobs waiting (the limit is ${this.limits.perUserWaiting}). Wait until one starts, or cancel one.`;
    }
    return null;
  }

  private declaredProblem(role: string, src: ImageSource): string | null {
    if (src.contentType && !/^image\//i.test(src.contentType.trim())) {
      return `The ${role} "${src.name}" is ${src.contentType}, not an image. Send a PNG, JPEG, WebP or GIF.`;
    }
    if (src.size !== undefined && src.size > this.limits.maxImageBytes) {
      return this.tooBig(role, src.name, src.size);
    }
    return null;
  }

  private tooBig(role: string, name: string, size: number): string {
    const mb = (n: number) => `${(n / 2 ** 20).toFixed(1).replace(/\.0$/, '')} MB`;
    return `The ${role} "${name}" is ${mb(size)}; the limit is ${mb(this.limits.maxImageBytes)}. Send a smaller image.`;
  }

  private async loadImage(role: string, src: ImageSource): Promise<{ bytes: Buffer } | { problem: string }> {
    let bytes: Buffer;
    try {
      bytes = await src.load();
    } catch (err) {
      this.log.warn(`Could not load the ${role} "${src.name}":`, err);
      return { problem: `I couldn't download the ${role} "${src.name}" (${describeError(err)}). Please try again.` };
    }
    if (bytes.length > this.limits.maxImageBytes) return { problem: this.tooBig(role, src.name, bytes.length) };
    try {
      // Decoding small now catches a broken file before the job waits in a queue.
      await decodeImage(bytes, { maxSide: 64 });
    } catch (err) {
      if (err instanceof ImageInputError) return { problem: `The ${role} "${src.name}": ${err.message}` };
      throw err;
    }
    return { bytes };
  }

  private async createAndQueue(
    kind: JobKind,
    options: UserOptions,
    inputs: JobInputs,
    invocation: Invocation,
    port: ReplyPort,
    intro: string,
    parentId?: string,
  ): Promise<void> {
    let id = newJobId();
    while (this.store.get(id)) id = newJobId();
    const record: JobRecord = {
      id,
      platform: invocation.platform,
      user: invocation.user,
      where: port.where(),
      kind,
      options,
      inputs,
      state: 'queued',
      createdAt: Date.now(),
    };
    if (parentId) record.parentId = parentId;
    this.store.insert(record);

    if (kind === 'palette') {
      const cached = await this.cache.get(this.paletteKey(inputs.style, options));
      if (cached) {
        await this.answerFromCache(record, cached, port, intro);
        return;
      }
    }
    await this.queueJob(activeJob(record, port, intro));
  }

  /** Puts a job (new or resumed) in a device queue and posts its status message. */
  private async queueJob(job: ActiveJob): Promise<void> {
    this.active.set(job.id, job);
    let posted!: () => void;
    job.ready = new Promise<void>((resolve) => (posted = resolve));
    const placement = this.queues.enqueue(job, (j, device) => this.track(this.run(j, device)));
    job.lastPosition = placement.position;
    try {
      const text = `${job.intro}${queuedText(placement.position, placement.device.label)} ${CANCEL_HINT}`;
      const ref = await this.post(job, text, 'status');
      if (ref) {
        job.status = new StatusLine(job.port, ref, this.limits.progressIntervalMs, this.log);
        await this.safely(() => job.port.react(ref, 'cancel'));
      }
    } finally {
      posted();
    }
  }

  private track(run: Promise<void>): Promise<void> {
    this.runs.add(run);
    return run.finally(() => this.runs.delete(run));
  }

  /** Tells each waiting job on a device its new place, when it changed. */
  private announcePositions(device: DeviceQueue<ActiveJob, StyleEngine>): void {
    device.waiting.forEach((job, index) => {
      const position = index + 1;
      if (position === job.lastPosition) return;
      job.lastPosition = position;
      void job.status?.set(`${job.intro}${queuedText(position, device.label)} ${CANCEL_HINT}`);
    });
  }

  /** Posts in the job's thread and remembers the message, so a reaction on it finds the job. */
  private async post(job: ActiveJob, text: string, role: MessageRole, files?: Attachment[]): Promise<MessageRef | null> {
    try {
      const ref = await job.port.post(text, files);
      this.store.addMessage(job.record.platform, ref.id, job.id, role);
      const where = job.port.where();
      if (where.thread !== job.record.where.thread || where.channel !== job.record.where.channel) {
        job.record.where = where;
        this.store.setWhere(job.id, where);
      }
      return ref;
    } catch (err) {
      this.log.error(`Could not post for job ${job.id}:`, err);
      return null;
    }
  }

  private async safely(action: () => Promise<void>): Promise<void> {
    try {
      await action();
    } catch (err) {
      this.log.error('A reply failed:', err);
    }
  }

  private paletteEngineOptions(options: UserOptions): Partial<TransferOptions> {
    return {
      tiles: options.tiles,
      size: options.size,
      iterations: options.iterations,
      seed: options.seed,
      styleWeight: options.styleWeight,
    };
  }

  private paletteKey(styleHash: string, options: UserOptions): string {
    return PaletteCache.key(styleHash, this.paletteEngineOptions(options));
  }

  /** The palette options a stylize job uses: its tiles, size and steps, the palette's own seed and weights. */
  private paletteOptionsOf(options: UserOptions): UserOptions {
    return { ...options, seed: PALETTE_SEED, styleWeight: this.defaults.styleWeight, contentWeight: 0, preserveColors: false };
  }

  private async answerFromCache(record: JobRecord, png: Buffer, port: ReplyPort, intro: string): Promise<void> {
    const job: ActiveJob = {
      id: record.id,
      record,
      port,
      status: null,
      intro,
      lastPosition: 0,
      abort: null,
      cancelRequested: false,
      pausedForShutdown: false,
      ready: Promise.resolve(),
    };
    const started = Date.now();
    this.store.setState(record.id, 'running', { device: 'cache', startedAt: started });
    await this.files.saveResult(record.id, 'palette', png);
    await this.postResult(job, 'palette', png);
    const elapsed = Date.now() - started;
    this.store.setState(record.id, 'done', { finishedAt: Date.now() });
    await this.post(job, this.settingsLine(job, elapsed, 'the cache (computed earlier)'), 'settings');
  }

  private captionFor(job: ActiveJob, name: ResultName): string {
    const o = job.record.options;
    const tiling = tilesText(o);
    const hint = nextTiles(o.tiles) === null ? 'This is the finest tiling.' : 'React 🔁 for finer tiles.';
    return name === 'palette'
      ? `Palette of the style — the style alone, redrawn from noise (${tiling}, ${o.size} px). ${hint}`
      : `Result — ${tiling}, ${o.size} px${o.preserveColors ? ', colours kept' : ''}. ${hint}`;
  }

  private async postResult(job: ActiveJob, name: ResultName, png: Buffer): Promise<void> {
    const filename = `${name}-${job.id}.png`;
    const description = name === 'palette' ? 'The palette of the style image' : 'The content image redrawn in the style';
    const ref = await this.post(job, this.captionFor(job, name), name, [{ filename, data: png, description }]);
    if (ref) await this.safely(() => job.port.react(ref, 'rerun'));
  }

  private settingsLine(job: ActiveJob, elapsedMs: number, where: string): string {
    const r = job.record;
    return `Settings: ${formatOptions(r.options, r.kind)} · took ${seconds(elapsedMs)} on ${where} · job ${r.id}`;
  }

  // ---- running ----

  private async run(job: ActiveJob, device: DeviceQueue<ActiveJob, StyleEngine>): Promise<void> {
    const { record } = job;
    job.abort = new AbortController();
    const engine = device.engine;
    const phase = (name: string) => `${job.intro}Running on ${device.label} — ${name}: starting… ${CANCEL_HINT}`;
    const started = Date.now();
    try {
      await job.ready;
      // Left 'queued' in the store: the next start() resumes it.
      if (this.stopping) return;
      if (job.cancelRequested) {
        this.finish(job, 'cancelled');
        await job.status?.set(`${job.intro}Cancelled before it started.`);
        return;
      }
      record.state = 'running';
      record.device = device.label;
      this.store.setState(job.id, 'running', { device: device.label, startedAt: started });
      const style = await this.files.loadInput(record.inputs.style);
      const styles: StyleInput[] = [{ image: style }];
      const o = record.options;
      const previewEvery = Math.max(1, Math.round(o.iterations / 4));
      if (record.kind === 'palette') {
        await job.status?.set(phase('palette'));
        const png = await this.computePalette(job, engine, device.label, record.inputs.style, o, styles, 'palette', previewEvery);
        await this.files.saveResult(job.id, 'palette', png);
        await job.status?.settled();
        await this.postResult(job, 'palette', png);
      } else {
        const content = await this.files.loadInput(record.inputs.content!);
        await job.status?.set(phase('palette'));
        const paletteOptions = this.paletteOptionsOf(o);
        const palette = await this.computePalette(job, engine, device.label, record.inputs.style, paletteOptions, styles, 'palette', previewEvery);
        await this.files.saveResult(job.id, 'palette', palette);
        await job.status?.settled();
        await this.postResult(job, 'palette', palette);
        await job.status?.set(phase('stylizing'));
        const result = await engine.stylize(
          content,
          styles,
          {
            tiles: o.tiles,
            size: o.size,
            iterations: o.iterations,
            strength: o.strength,
            balance: o.balance,
            styleWeight: o.styleWeight,
            contentWeight: o.contentWeight,
            preserveColors: o.preserveColors,
            seed: o.seed,
            previewEvery,
          },
          this.controls(job, device.label, 'stylizing'),
        );
        await this.files.saveResult(job.id, 'result', result.image);
        await job.status?.settled();
        await this.postResult(job, 'result', result.image);
      }
      const elapsed = Date.now() - started;
      // Done before the last post, so whoever sees the settings line finds the job finished.
      this.finish(job, 'done');
      await this.post(job, this.settingsLine(job, elapsed, device.label), 'settings');
      await job.status?.set(`${job.intro}Done in ${seconds(elapsed)} on ${device.label}.`);
    } catch (err) {
      await this.failed(job, err);
    } finally {
      job.abort = null;
      this.active.delete(job.id);
    }
  }

  private async computePalette(
    job: ActiveJob,
    engine: StyleEngine,
    deviceLabel: string,
    styleHash: string,
    options: UserOptions,
    styles: StyleInput[],
    phaseName: string,
    previewEvery: number,
  ): Promise<Buffer> {
    const key = this.paletteKey(styleHash, options);
    const cached = await this.cache.get(key);
    if (cached) return cached;
    const result = await engine.palette(
      styles,
      { ...this.paletteEngineOptions(options), previewEvery },
      this.controls(job, deviceLabel, phaseName),
    );
    await this.cache.put(key, result.image).catch((err: unknown) => this.log.warn('Could not cache a palette:', err));
    return result.image;
  }

  private controls(job: ActiveJob, deviceLabel: string, phaseName: string): RunControls {
    return {
      signal: job.abort!.signal,
      onProgress: (p: Progress) => {
        const perStep = p.step > 0 ? p.elapsedMs / p.step : 0;
        const eta = perStep * (p.total - p.step);
        const text = `${job.intro}Running on ${deviceLabel} — ${phaseName}: step ${p.step}/${p.total}, about ${seconds(eta)} left · ${lossLine(p)}. ${CANCEL_HINT}`;
        job.status?.progress(text, p.preview);
      },
    };
  }

  private finish(job: ActiveJob, state: JobState, error?: string): void {
    job.record.state = state;
    const extra: { finishedAt?: number; error?: string } = {};
    if (state !== 'queued') extra.finishedAt = Date.now();
    if (error !== undefined) extra.error = error;
    this.store.setState(job.id, state, extra);
  }

  private async failed(job: ActiveJob, err: unknown): Promise<void> {
    if (job.pausedForShutdown) {
      // Stopped for a restart: stays 'queued' in the store, so the next start() resumes it.
      this.finish(job, 'queued');
      await job.status?.set(`${job.intro}Paused: I'm restarting. This job will start again when I'm back.`);
      return;
    }
    if (err instanceof JobCancelledError || job.cancelRequested) {
      this.finish(job, 'cancelled');
      await job.status?.set(`${job.intro}Cancelled.`);
      await this.post(job, `Job ${job.id} was cancelled.`, 'note');
      return;
    }
    let message: string;
    if (err instanceof ImageInputError || err instanceof OptionError) {
      message = err.message;
    } else {
      this.log.error(`Job ${job.id} failed:`, err);
      message = 'Something went wrong on my side while running this job; the operator can see the details in the log. Please try again.';
    }
    this.finish(job, 'failed', message);
    await job.status?.set(`${job.intro}Failed.`);
    await this.post(job, `Sorry, job ${job.id} failed: ${message}`, 'note');
  }

  // ---- rerun / cancel / status ----

  private findJob(request: { messageId?: string; jobId?: string }, platform: Platform): JobRecord | undefined {
    if (request.jobId) return this.store.get(request.jobId);
    if (request.messageId) return this.store.jobForMessage(platform, request.messageId);
    return undefined;
  }

  private async rerun(request: { messageId?: string; jobId?: string }, invocation: Invocation, port: ReplyPort): Promise<void> {
    const original = this.findJob(request, invocation.platform);
    if (!original) {
      await port.whisper("I can't find a job for that. React 🔁 on one of my result messages to run it again with finer tiles.");
      return;
    }
    const next = nextTiles(original.options.tiles);
    if (next === null) {
      await port.whisper(`Job ${original.id} already used the finest tiling (${MAX_TILES}×${MAX_TILES}), so there is nothing finer to run.`);
      return;
    }
    const missing = [original.inputs.style, original.inputs.content].filter((h): h is string => h !== undefined && !this.files.hasInput(h));
    if (missing.length > 0) {
      await port.whisper(`I no longer have the images of job ${original.id}, so I can't run it again. Please send them again.`);
      return;
    }
    const refusal = this.refusal(invocation);
    if (refusal) {
      await port.whisper(refusal);
      return;
    }
    const options = withTiles(original.options, next);
    const intro = `Re-run of job ${original.id} with finer tiles: ${original.options.tiles} → ${next}.\n`;
    await this.createAndQueue(original.kind, options, original.inputs, invocation, port, intro, original.id);
  }

  private async cancel(request: { messageId?: string; jobId?: string }, invocation: Invocation, port: ReplyPort): Promise<void> {
    const explicit = request.messageId !== undefined || request.jobId !== undefined;
    const target = explicit
      ? this.findJob(request, invocation.platform)
      : this.store.latestOf(invocation.platform, invocation.user.id, ['queued', 'running']);
    if (!target) {
      await port.whisper(explicit ? "I can't find a job for that." : 'You have no job waiting or running.');
      return;
    }
    if (target.platform !== invocation.platform || target.user.id !== invocation.user.id) {
      await port.whisper(`Job ${target.id} belongs to someone else, so I can't cancel it for you — only they can.`);
      return;
    }
    const job = this.active.get(target.id);
    if (!job || (target.state !== 'queued' && target.state !== 'running')) {
      await port.whisper(`Job ${target.id} has already finished (${target.state}); there is nothing to cancel.`);
      return;
    }
    job.cancelRequested = true;
    if (this.queues.remove(job.id)) {
      this.active.delete(job.id);
      this.finish(job, 'cancelled');
      await job.status?.set(`${job.intro}Cancelled before it started.`);
      await port.whisper(`Cancelled your waiting job ${job.id}.`);
      return;
    }
    job.abort?.abort();
    await port.whisper(`Cancelling your running job ${job.id} — it stops within a step.`);
  }

  private statusFor(invocation: Invocation): string {
    const mine: string[] = [];
    for (const job of this.active.values()) {
      if (job.record.platform !== invocation.platform || job.record.user.id !== invocation.user.id) continue;
      const place = this.queues.find(job.id);
      if (!place) continue;
      const where = place.position === 0 ? `running on ${place.device.label}` : `waiting, position ${place.position} on ${place.device.label}`;
      mine.push(`${job.record.kind} ${job.id} — ${where}`);
    }
    return statusText(this.queues.loads(), mine);
  }

  // ---- lifecycle ----

  async start(): Promise<void> {
    for (const record of this.store.unfinished()) {
      if (this.active.has(record.id)) continue;
      const frontend = this.frontends.get(record.platform);
      const port = frontend?.portFor(record.where, record.user);
      const missing = [record.inputs.style, record.inputs.content].some((h) => h !== undefined && !this.files.hasInput(h));
      if (!port || missing) {
        const reason = !port
          ? `The ${record.platform} front end is not running, so the job could not be resumed after a restart.`
          : 'Its images were lost in a restart, so it could not be resumed. Please send them again.';
        this.store.setState(record.id, 'failed', { finishedAt: Date.now(), error: reason });
        if (port) await this.safely(async () => void (await port.post(`Sorry, job ${record.id} failed: ${reason}`)));
        else this.log.warn(`Job ${record.id} (${record.platform}) marked failed: ${reason}`);
        continue;
      }
      record.state = 'queued';
      this.store.setState(record.id, 'queued');
      await this.queueJob(activeJob(record, port, `Resuming job ${record.id} after a restart.\n`));
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopping = true;
    // Waiting jobs stay 'queued' in the store and are resumed by the next start().
    for (const job of this.queues.drain()) {
      await job.status?.set(`${job.intro}Paused: I'm restarting. This job will start when I'm back.`);
      this.active.delete(job.id);
    }
    for (const job of this.queues.runningJobs()) {
      job.pausedForShutdown = true;
      job.abort?.abort();
    }
    await Promise.allSettled([...this.runs]);
    await this.queues.onIdle();
    this.stopped = true;
    this.store.close();
    if (this.opts.disposeEngines !== false) {
      await Promise.allSettled(this.engines.map((e) => e.engine.dispose()));
    }
  }

  private summary(record: JobRecord): JobSummary {
    const { inputs: _inputs, ...shown } = record;
    return { ...shown, files: this.files.resultsOf(record.id) };
  }

  history(where: { platform: Platform; channel: string; thread?: string }, limit = 50): JobSummary[] {
    return this.store.inConversation(where.platform, where.channel, where.thread, limit).map((r) => this.summary(r));
  }

  job(id: string): JobSummary | undefined {
    const record = this.store.get(id);
    return record ? this.summary(record) : undefined;
  }

  async idle(): Promise<void> {
    await this.queues.onIdle();
    await Promise.allSettled([...this.runs]);
  }
}

/** Labels for the queues: a device listed twice gets '#2' so each queue has its own name. */
function deviceLabels(devices: string[]): string[] {
  const seen = new Map<string, number>();
  return devices.map((device) => {
    const n = (seen.get(device) ?? 0) + 1;
    seen.set(device, n);
    return n === 1 ? device : `${device}#${n}`;
  });
}

/** Creates one engine per device (in parallel) and the service over them. */
export async function createCommandService(opts: CommandServiceOptions): Promise<CommandService> {
  const devices = opts.devices && opts.devices.length > 0 ? opts.devices : ['cpu'];
  const labels = deviceLabels(devices);
  const engines = await Promise.all(devices.map((device, index) => opts.createEngine(device, index)));
  return new Service(
    opts,
    engines.map((engine, index) => ({ label: labels[index]!, engine })),
  );
}
