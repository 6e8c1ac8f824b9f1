/**
 * The command service: what every front end calls. It wires the intake of each command, the job
 * tracking and the transport to where jobs run, and keeps every job in the store so nothing is lost
 * across a restart. It never throws into a front end.
 */
import path from 'node:path';
import { DEFAULT_OPTIONS, LIMITS } from '../engine/index.js';
import { DataFiles } from '../jobs/data-files.js';
import { admin } from './intake/admin.js';
import { cancel } from './intake/cancel.js';
import type { IntakeContext } from './intake/context.js';
import { help, unknown } from './intake/help.js';
import { palette } from './intake/palette.js';
import { rerun } from './intake/rerun.js';
import { settings } from './intake/settings.js';
import { sendToMe } from './intake/send-to-me.js';
import { show } from './intake/show.js';
import { takeBack } from './intake/take-back.js';
import { status } from './intake/status.js';
import { stylize } from './intake/stylize.js';
import type { JobSummary } from './followed-job.js';
import { JobFollower } from './job-follower.js';
import { OperatorControls } from './operator-controls.js';
import { ControlsStore } from '../jobs/controls-store.js';
import { DEFAULT_LIMITS, type ServiceLimits } from './service-limits.js';
import { MAX_TILES, type OptionLimits } from './user-options.js';
import type { JobRecord, OptionDefaults } from '../jobs/job-record.js';
import { PaletteCache } from '../jobs/palette-cache.js';
import type { CommandHandler, CommandRequest, Fallback, Frontend, Invocation, Platform, ReplyPort } from './port.js';
import { resumeUnfinished } from './recovery.js';
import { JobReplies } from './job-replies.js';
import type { StyleEngine } from '../jobs/run-job.js';
import { JobStore } from '../jobs/job-store.js';
import { LocalTransport } from '../jobs/transport/local.js';
import { RedisTransport } from '../jobs/transport/redis.js';
import type { DeviceLoad, Transport } from '../jobs/transport/transport.js';
import { checked, type PartHealth } from '../ops/health.js';
import type { JobObserver } from '../ops/metrics.js';
import { deviceLabels } from '../jobs/device-labels.js';

export { DEFAULT_LIMITS, type ServiceLimits } from './service-limits.js';
export type { JobSummary } from './followed-job.js';
export type { StyleEngine } from '../jobs/run-job.js';

export interface CommandServiceOptions {
  /** Where the job store, inputs, results and palette cache live. */
  dataDir: string;
  /** Compute devices, one queue and one engine each, e.g. ['cpu'] or ['cpu', 'cuda:0']. Default ['cpu']. */
  devices?: string[];
  /** Makes the engine of a device (index = place in `devices`, so the same device may be listed twice). */
  createEngine?: (device: string, index: number) => Promise<StyleEngine>;
  /** Jobs go through this Redis to `npm run worker` processes instead of engines here. */
  redisUrl?: string;
  /** Whether stop() disposes the engines (false when the caller shares them). Default true. */
  disposeEngines?: boolean;
  limits?: Partial<ServiceLimits>;
  /** Option defaults; anything not given comes from the engine's DEFAULT_OPTIONS. */
  defaults?: Partial<OptionDefaults>;
  /** Where stack traces go for the operator (default: console); a log with child() gets job lines bound to the job and user. */
  log?: Pick<Console, 'error' | 'warn' | 'info'>;
  /** Told when each job is queued, starts and ends (metrics, job log lines; see src/ops). */
  observer?: JobObserver;
}

export interface CommandService extends CommandHandler {
  /** Labels of the device queues, in order (in the Redis mode, one: the workers). */
  readonly devices: string[];
  /** Option limits in force (size capped by the engines). */
  readonly limits: OptionLimits & ServiceLimits;
  /** Resumes jobs a previous process left waiting or running. Call once the front ends are registered. */
  start(): Promise<void>;
  /**
   * Stops accepting and pauses waiting and running jobs for resume, telling their threads; call it
   * before closing the front ends, so those words still reach the users.
   */
  pause(): Promise<void>;
  /** Pauses (if not yet), then closes the store (and the engines, if owned). */
  stop(): Promise<void>;
  /**
   * The jobs of a conversation, oldest first, at most `limit` (newest kept): for the web front end's
   * history. `thread` narrows to one thread. Result files are paths under the data directory.
   */
  history(where: { platform: Platform; channel: string; thread?: string }, limit?: number): JobSummary[];
  job(id: string): JobSummary | undefined;
  /** Resolves when no job is waiting or running and no final reply is still going out (tests, shutdown). */
  idle(): Promise<void>;
  /** Jobs whose final replies are not delivered yet (being tried, or undelivered): retention keeps their results. */
  owedResults(): string[];
  /** The job store, the queue (Redis in that mode) and each engine or worker, for /healthz. */
  health(): Promise<PartHealth[]>;
  /** Jobs waiting and running per queue, for the metrics. */
  loads(): Promise<DeviceLoad[]>;
  /** Jobs whose final replies reached no one (throws once the store is closed). */
  undeliveredCount(): number;
}

function optionDefaults(given: Partial<OptionDefaults> | undefined): OptionDefaults {
  const base = DEFAULT_OPTIONS;
  return {
    tiles: base.tiles,
    size: base.size,
    iterations: base.iterations,
    strength: base.strength,
    styleWeight: base.styleWeight,
    contentWeight: base.contentWeight,
    preserveColors: base.preserveColors,
    crop: 'auto',
    ...given,
  };
}

class Service implements CommandService {
  readonly devices: string[];
  readonly limits: OptionLimits & ServiceLimits;
  private readonly ctx: IntakeContext;
  private readonly store: JobStore;
  private readonly files: DataFiles;
  private readonly replies: JobReplies;
  private readonly controls: OperatorControls;
  private readonly frontends = new Map<Platform, Frontend>();
  private stopping = false;
  private paused: Promise<void> | undefined;
  private stopped = false;
  private readonly log: Pick<Console, 'error' | 'warn' | 'info'>;

  constructor(
    private readonly opts: CommandServiceOptions,
    private readonly engines: { label: string; engine: StyleEngine }[],
    transportFor: (parts: TransportParts) => Transport,
  ) {
    this.log = opts.log ?? console;
    const limits = { ...DEFAULT_LIMITS, ...opts.limits };
    // Remote workers' engines are not known here; the operator's cap stands.
    const engineMax = Math.min(...engines.map((e) => e.engine.maxSize));
    // Never above what the engine runs, so an option that validates also runs.
    this.limits = {
      ...limits,
      maxSize: Math.min(limits.maxSize, engineMax),
      maxIterations: Math.min(limits.maxIterations, LIMITS.iterations.max),
      maxTiles: MAX_TILES,
      minSize: LIMITS.size.min,
    };
    const defaults = optionDefaults(opts.defaults);
    this.store = new JobStore(opts.dataDir);
    this.files = new DataFiles(opts.dataDir);
    const cache = new PaletteCache(path.join(opts.dataDir, 'palette-cache'), {
      maxEntries: this.limits.paletteCacheEntries,
      maxBytes: this.limits.paletteCacheBytes,
    });
    const transport = transportFor({ files: this.files, cache, defaults, log: this.log });
    this.devices = transport.devices;
    this.replies = new JobReplies(this.store, this.files, this.log, this.limits, limits.deliveryRetryMs, (record) => this.lastResortFor(record));
    this.controls = new OperatorControls(new ControlsStore(opts.dataDir), transport.hold ? (paused) => transport.hold!(paused) : undefined);
    const jobs = new JobFollower(this.store, transport, this.replies, this.limits.progressIntervalMs, this.log, this.controls.gate, opts.observer);
    this.ctx = { store: this.store, files: this.files, cache, jobs, transport, limits: this.limits, defaults, log: this.log };
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
      // A server's own lower limits apply to everything its users ask (validation, reruns, help).
      const ctx: IntakeContext = { ...this.ctx, limits: this.controls.limitsFor(invocation, this.ctx.limits) };
      if (request.kind === 'admin') return await admin(ctx, this.controls, request.action, invocation, port);
      const refused = this.controls.refusal(invocation);
      if (refused) return await port.whisper(refused);
      switch (request.kind) {
        case 'stylize':
          return await stylize(ctx, request, invocation, port);
        case 'palette':
          return await palette(ctx, request, invocation, port);
        case 'rerun':
          return await rerun(ctx, request, invocation, port);
        case 'cancel':
          return await cancel(ctx, request, invocation, port);
        case 'delete':
          return await takeBack(ctx, request, invocation, port);
        case 'send':
          return await sendToMe(ctx, request, invocation, port);
        case 'show':
          return await show(ctx, request, invocation, port);
        case 'status':
          return await status(ctx, invocation, port);
        case 'help':
          return await help(ctx, port);
        case 'settings':
          return await settings(ctx, request, invocation, port);
        case 'unknown':
          return await unknown(request.name, port);
        default:
          return await unknown(String((request as { kind?: unknown }).kind), port);
      }
    } catch (err) {
      this.log.error(`Command ${request.kind} failed:`, err);
      await port.whisper('Sorry — something went wrong on my side with that. Please try again.').catch(() => undefined);
    }
  }

  async start(): Promise<void> {
    // With Redis workers the pause lives in Redis too: the stored one is what an operator last said.
    await this.controls.restore();
    await resumeUnfinished(this.store, this.files, this.ctx.jobs, this.replies, this.frontends, this.log);
  }

  async pause(): Promise<void> {
    this.stopping = true;
    // Jobs stop first; then the replies in flight go out (without waiting out a retry) while the front
    // ends can still carry them.
    this.paused ??= this.ctx.jobs.pause().then(() => this.replies.stop());
    await this.paused;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    await this.pause();
    this.stopped = true;
    this.store.close();
    this.controls.store.close();
    await this.ctx.transport.close();
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

  /** No job waiting or running, and no final reply still going out. */
  async idle(): Promise<void> {
    await this.ctx.transport.idle();
    await this.replies.idle();
  }

  /** Another front end's place for a job that reached no one on its own platform (the web page's). */
  private lastResortFor(record: JobRecord): Fallback | undefined {
    for (const frontend of this.frontends.values()) {
      if (frontend.platform === record.platform) continue;
      const place = frontend.lastResort?.(record);
      if (place) return place;
    }
    return undefined;
  }

  owedResults(): string[] {
    return this.store.outboxIds(); // throws once the store is closed: no round prunes blind
  }

  async health(): Promise<PartHealth[]> {
    const store = await checked('job store', () => [this.stopped ? { part: 'job store', up: false, detail: 'closed' } : this.store.health()]);
    const transport = this.ctx.transport;
    // Longer than a transport's own checks (Redis: 1.5 s), so those name the part that hangs.
    const parts = transport.health ? await checked('queue', () => transport.health!(), 5000) : [];
    return [...store, ...parts];
  }

  loads(): Promise<DeviceLoad[]> {
    return this.ctx.transport.loads();
  }

  undeliveredCount(): number {
    return this.store.undeliveredCount();
  }

  firstSeen(platform: Platform, eventId: string): boolean {
    return this.store.firstSeen(platform, eventId);
  }
}

interface TransportParts {
  files: DataFiles;
  cache: PaletteCache;
  defaults: OptionDefaults;
  log: Pick<Console, 'error' | 'warn' | 'info'>;
}

/**
 * The service over its own engines, one per device (created in parallel), or, with `redisUrl`, over
 * the workers that take jobs from that Redis (no engine in this process).
 */
export async function createCommandService(opts: CommandServiceOptions): Promise<CommandService> {
  if (opts.redisUrl) {
    const transport = await RedisTransport.connect({
      url: opts.redisUrl,
      files: new DataFiles(opts.dataDir),
      defaults: optionDefaults(opts.defaults),
      log: opts.log ?? console,
    });
    return new Service(opts, [], () => transport);
  }
  const createEngine = opts.createEngine;
  if (!createEngine) throw new Error('createCommandService needs createEngine or redisUrl');
  const devices = opts.devices && opts.devices.length > 0 ? opts.devices : ['cpu'];
  const labels = deviceLabels(devices);
  const engines = (await Promise.all(devices.map((device, index) => createEngine(device, index)))).map((engine, index) => ({
    label: labels[index]!,
    engine,
  }));
  return new Service(opts, engines, (parts) => new LocalTransport({ engines, ...parts }));
}
