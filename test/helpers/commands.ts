/**
 * Test helpers for anything that talks to the commands: the real command service in a temporary data
 * directory, over stub engines that answer at once (test/helpers/stub-engine.ts) or, where a test is
 * about the pictures, the real engine at tiny sizes (64 px, a few steps: `createEngine: testEngine`),
 * and a ReplyPort that records everything it is told to show.
 *
 *   const t = await makeTestCommands();
 *   const port = new RecordingPort();
 *   await t.handler.handle({ kind: 'palette', style: imageSource('guitar.png'), options: {} }, invocation(), port);
 *   await port.waitFor((p) => p.posts().some((e) => e.files.length > 0));
 *   await t.close();
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine } from '../../src/engine/index.js';
import type { BackendName } from '../../src/engine/types.js';
import { createCommandService, type CommandService, type ServiceLimits, type StyleEngine } from '../../src/commands/index.js';
import type { OptionDefaults } from '../../src/jobs/job-record.js';
import type { JobObserver } from '../../src/ops/metrics.js';
import { Conditions } from './conditions.js';
import { StubEngine } from './stub-engine.js';
import { TEST_THREADS } from './threads.js';
import type {
  Attachment,
  CommandHandler,
  Frontend,
  ImageSource,
  Invocation,
  JobButton,
  MessageRef,
  Platform,
  Reaction,
  ReplyPort,
  ThreadRef,
} from '../../src/commands/port.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export const MODEL_DIR = process.env.TILESTYLE_MODEL_DIR ?? path.resolve(repoRoot, '../shared/models/vgg19');
export const FIXTURES_DIR = process.env.TILESTYLE_FIXTURES ?? path.resolve(repoRoot, '../shared/fixtures');

/** `at` is Date.now() when the call arrived. */
export type PortEvent =
  | { type: 'post'; id: string; text: string; files: Attachment[]; buttons?: JobButton[]; at: number }
  | { type: 'update'; id: string; text: string; files?: Attachment[]; buttons?: JobButton[]; at: number }
  | { type: 'react'; id: string; reaction: Reaction; at: number }
  | { type: 'whisper'; text: string; at: number };

type WithoutTime<E> = E extends unknown ? Omit<E, 'at'> : never;

let messageCounter = 0;
const runTag = Math.random().toString(36).slice(2, 8);

/** A ReplyPort that records every call. Like a chat platform, the first post creates the thread. */
export class RecordingPort implements ReplyPort {
  readonly events: PortEvent[] = [];
  private readonly conditions = new Conditions();
  private place: ThreadRef;

  constructor(where: ThreadRef = { channel: 'test-channel' }) {
    this.place = { ...where };
  }

  async post(text: string, files: Attachment[] = [], buttons?: JobButton[]): Promise<MessageRef> {
    const id = `m-${runTag}-${++messageCounter}`;
    if (!this.place.thread) this.place = { ...this.place, thread: id };
    this.record({ type: 'post', id, text, files, ...(buttons ? { buttons } : {}) });
    return { id };
  }

  async update(ref: MessageRef, text: string, files?: Attachment[], buttons?: JobButton[]): Promise<void> {
    this.record({ type: 'update', id: ref.id, text, ...(files ? { files } : {}), ...(buttons ? { buttons } : {}) });
  }

  /** The buttons a message shows now (after its updates). */
  buttonsOf(id: string): JobButton[] {
    let buttons: JobButton[] = [];
    for (const e of this.events) if ((e.type === 'post' || e.type === 'update') && e.id === id && e.buttons) buttons = e.buttons;
    return buttons;
  }

  async react(ref: MessageRef, reaction: Reaction): Promise<void> {
    this.record({ type: 'react', id: ref.id, reaction });
  }

  async whisper(text: string): Promise<void> {
    this.record({ type: 'whisper', text });
  }

  where(): ThreadRef {
    return { ...this.place };
  }

  posts(): Extract<PortEvent, { type: 'post' }>[] {
    return this.events.filter((e): e is Extract<PortEvent, { type: 'post' }> => e.type === 'post');
  }

  /** Posts that carry files (palettes, results). */
  filePosts(): Extract<PortEvent, { type: 'post' }>[] {
    return this.posts().filter((e) => e.files.length > 0);
  }

  whispers(): string[] {
    return this.events.flatMap((e) => (e.type === 'whisper' ? [e.text] : []));
  }

  updatesOf(id: string): Extract<PortEvent, { type: 'update' }>[] {
    return this.events.filter((e): e is Extract<PortEvent, { type: 'update' }> => e.type === 'update' && e.id === id);
  }

  reactionsOn(id: string): Reaction[] {
    return this.events.flatMap((e) => (e.type === 'react' && e.id === id ? [e.reaction] : []));
  }

  /** The current text of a posted message (after its updates). */
  textOf(id: string): string | undefined {
    let text: string | undefined;
    for (const e of this.events) if ((e.type === 'post' || e.type === 'update') && e.id === id) text = e.text;
    return text;
  }

  /** Resolves once `done(this)` holds; rejects after timeoutMs with what was recorded. */
  waitFor(done: (port: this) => boolean, timeoutMs = 300_000): Promise<void> {
    return this.conditions
      .until(
        () => done(this),
        timeoutMs,
        () => this.describe(),
      )
      .then(() => undefined);
  }

  /** The settings line ends every finished job. */
  waitForSettings(timeoutMs?: number): Promise<void> {
    return this.waitFor((p) => p.posts().some((e) => e.text.startsWith('Settings:')), timeoutMs);
  }

  describe(): string {
    return this.events
      .map((e) => {
        if (e.type === 'whisper') return `whisper: ${e.text}`;
        if (e.type === 'react') return `react ${e.id}: ${e.reaction}`;
        const files = e.files?.length ? ` [${e.files.map((f) => f.filename).join(', ')}]` : '';
        return `${e.type} ${e.id}: ${e.text}${files}`;
      })
      .join('\n');
  }

  private record(event: WithoutTime<PortEvent>): void {
    this.events.push({ ...event, at: Date.now() } as PortEvent);
    this.conditions.notify();
  }
}

/** A Frontend whose ports record; every port it hands out (e.g. for resumed jobs) is kept in `ports`. */
export class RecordingFrontend implements Frontend {
  readonly ports: RecordingPort[] = [];
  constructor(readonly platform: Platform = 'web') {}
  portFor(where: ThreadRef): RecordingPort {
    const port = new RecordingPort(where);
    this.ports.push(port);
    return port;
  }
}

export function fixturePath(name: string): string {
  return path.join(FIXTURES_DIR, name);
}

const TYPES: Record<string, string> = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif', '.webp': 'image/webp' };

/** An ImageSource for a fixture file, or for given bytes (declared type and size can be overridden). */
export function imageSource(fixture: string | { name: string; bytes: Buffer }, declared: { contentType?: string; size?: number } = {}): ImageSource {
  const name = typeof fixture === 'string' ? fixture : fixture.name;
  const source: ImageSource = {
    name,
    load: () => (typeof fixture === 'string' ? readFile(fixturePath(fixture)) : Promise.resolve(fixture.bytes)),
  };
  const type = 'contentType' in declared ? declared.contentType : TYPES[path.extname(name).toLowerCase()];
  if (type !== undefined) source.contentType = type;
  if (declared.size !== undefined) source.size = declared.size;
  return source;
}

export function invocation(userId = 'user-1', where: ThreadRef = { channel: 'test-channel' }, platform: Platform = 'web'): Invocation {
  return { platform, user: { id: userId, name: `name-${userId}` }, where };
}

/**
 * Engines are slow to create: one per device slot, shared by every service in a test file. The test
 * environment (test/onnx-environment.cjs) disposes them once the file is done.
 */
const engines = new Map<string, Promise<Engine>>();
(globalThis as Record<symbol, unknown>)[Symbol.for('tilestyle.testEngines')] = engines;

export function testEngine(device = 'cpu', index = 0): Promise<Engine> {
  const key = `${device}#${index}`;
  let engine = engines.get(key);
  if (!engine) {
    const backend = process.env.TILESTYLE_BACKEND as BackendName | undefined;
    engine = Engine.create({ modelDir: MODEL_DIR, device, threads: TEST_THREADS, ...(backend ? { backend } : {}) });
    engines.set(key, engine);
  }
  return engine;
}

/** The shared test engine for a device, with some of its methods replaced (to count or to fail). */
export async function testEngineWith(
  device: string,
  index: number,
  replace: (engine: Engine) => Partial<Pick<StyleEngine, 'stylize' | 'palette' | 'paletteSweep' | 'upscale'>>,
): Promise<StyleEngine> {
  const engine = await testEngine(device, index);
  return {
    backend: engine.backend,
    device: engine.device,
    maxSize: engine.maxSize,
    warm: () => engine.warm(),
    dispose: () => engine.dispose(),
    stylize: (...args) => engine.stylize(...args),
    palette: (...args) => engine.palette(...args),
    paletteSweep: (...args) => engine.paletteSweep(...args),
    upscale: (...args) => engine.upscale(...args),
    ...replace(engine),
  };
}

/** Disposes the shared engines (call in afterAll of the last suite that uses them, if at all). */
export async function disposeTestEngines(): Promise<void> {
  const all = [...engines.values()];
  engines.clear();
  await Promise.allSettled(all.map(async (e) => (await e).dispose()));
}

export interface TestCommandsOptions {
  /** Devices, e.g. ['cpu', 'cpu'] for two queues. Default ['cpu']. */
  devices?: string[];
  /** Reuse a data directory (restart tests); by default a new temporary one, removed by close(). */
  dataDir?: string;
  limits?: Partial<ServiceLimits>;
  /** Defaults to size 64 and 6 iterations. */
  defaults?: Partial<OptionDefaults>;
  /** Registered before start(), e.g. a RecordingFrontend for resumed jobs. */
  frontends?: Frontend[];
  /** Another engine factory: `testEngine` for the shared real engines (default: a new stub engine per device, in `stubs`). */
  createEngine?: (device: string, index: number) => Promise<StyleEngine>;
  /** Operator log (default: errors to the console, warnings dropped). */
  log?: Pick<Console, 'error' | 'warn' | 'info'>;
  /** Told when jobs are queued, start and end (metrics). */
  observer?: JobObserver;
}

export interface TestCommands {
  handler: CommandHandler;
  service: CommandService;
  dataDir: string;
  /** The stub engines made for the service's devices, in order (none when `createEngine` was given). */
  stubs: StubEngine[];
  /** Stops the service (engines stay for the next test) and removes a temporary data directory. */
  close(): Promise<void>;
}

export async function makeTestCommands(opts: TestCommandsOptions = {}): Promise<TestCommands> {
  const ownDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? (await mkdtemp(path.join(tmpdir(), 'tilestyle-test-')));
  const stubs: StubEngine[] = [];
  const stub = async (device: string): Promise<StyleEngine> => {
    const engine = new StubEngine(device);
    stubs.push(engine);
    return engine;
  };
  const service = await createCommandService({
    dataDir,
    devices: opts.devices ?? ['cpu'],
    createEngine: opts.createEngine ?? stub,
    disposeEngines: false,
    limits: { progressIntervalMs: 50, ...opts.limits },
    defaults: { size: 64, iterations: 6, ...opts.defaults },
    log: opts.log ?? quietLog,
    ...(opts.observer ? { observer: opts.observer } : {}),
  });
  for (const frontend of opts.frontends ?? []) service.registerFrontend(frontend);
  await service.start();
  let closed = false;
  return {
    handler: service,
    service,
    dataDir,
    stubs,
    async close() {
      if (closed) return;
      closed = true;
      await service.stop();
      if (ownDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Operator logs stay visible on failure paths but without noise from expected warnings. */
const quietLog: Pick<Console, 'error' | 'warn' | 'info'> = {
  error: (...args: unknown[]) => console.error(...args),
  warn: () => undefined,
  info: () => undefined,
};
