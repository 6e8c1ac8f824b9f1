/**
 * @jest-environment ./test/onnx-environment.cjs
 */
/**
 * Two device queues (two real CPU engines) and six jobs from three users: each job goes where it
 * starts soonest, is told its place (and told again as it moves), runs exactly once, and a user's
 * third waiting job is refused.
 */
import type { StyleEngine } from '../src/commands/index.js';
import { imageSource, invocation, makeTestCommands, RecordingPort, testEngine, testEngineWith, type TestCommands } from './helpers/commands.js';

let t: TestCommands;
const calls: { device: number; seed: number | undefined }[] = [];

/** Holds every job at its start until all six are queued, so the positions do not depend on machine speed. */
let release!: () => void;
const gate = new Promise<void>((resolve) => (release = resolve));

/** The real engine, counting the palettes it computes. */
function countingEngine(device: string, index: number): Promise<StyleEngine> {
  return testEngineWith(device, index, (engine) => ({
    palette: async (styles, options, controls) => {
      calls.push({ device: index, seed: options.seed });
      await gate;
      return engine.palette(styles, options, controls);
    },
  }));
}

beforeAll(async () => {
  t = await makeTestCommands({ devices: ['cpu', 'cpu'], createEngine: countingEngine });
});

afterAll(async () => {
  await t?.close();
});

it('spreads six jobs over two devices, reports positions, runs each once and enforces the per-user limit', async () => {
  expect(t.service.devices).toEqual(['cpu', 'cpu#2']);
  const users = ['ann', 'ann', 'ben', 'ben', 'cyd', 'cyd'];
  const ports: RecordingPort[] = [];
  for (const [i, user] of users.entries()) {
    const port = new RecordingPort({ channel: 'queue-test' });
    ports.push(port);
    // Different seeds keep the palette cache out of the way: every job must reach an engine.
    await t.handler.handle({ kind: 'palette', style: imageSource('guitar.png'), options: { seed: i + 1, iterations: 3 } }, invocation(user), port);
  }
  const first = ports.map((p) => p.posts()[0]!.text.replace(' React ❌ here to cancel.', ''));
  expect(first).toEqual([
    'Starting now on cpu.',
    'Starting now on cpu#2.',
    'Queued — position 1 on cpu.',
    'Queued — position 1 on cpu#2.',
    'Queued — position 2 on cpu.',
    'Queued — position 2 on cpu#2.',
  ]);

  // ben has two jobs waiting: a third is refused; ann's are running, so she may queue one more.
  const refused = new RecordingPort({ channel: 'queue-test' });
  await t.handler.handle({ kind: 'palette', style: imageSource('face.png'), options: {} }, invocation('ben'), refused);
  expect(refused.whispers()).toEqual(['You already have 2 jobs waiting (the limit is 2). Wait until one starts, or cancel one.']);
  expect(refused.posts()).toEqual([]);
  release();

  await Promise.all(ports.map((p) => p.waitForSettings()));
  await t.service.idle();

  // The jobs in second place were told when they moved up.
  for (const port of [ports[4]!, ports[5]!]) {
    const updates = port.updatesOf(port.posts()[0]!.id).map((u) => u.text);
    expect(updates.some((u) => u.startsWith('Queued — position 1 on'))).toBe(true);
  }
  expect(calls.map((c) => c.seed).sort()).toEqual([1, 2, 3, 4, 5, 6]);
  expect(calls.filter((c) => c.device === 0)).toHaveLength(3);
  expect(calls.filter((c) => c.device === 1)).toHaveLength(3);
  for (const port of ports) {
    expect(port.filePosts()).toHaveLength(1);
    expect(port.posts().filter((p) => p.text.startsWith('Settings:'))).toHaveLength(1);
  }
  const history = t.service.history({ platform: 'web', channel: 'queue-test' });
  expect(history.map((h) => h.state)).toEqual(['done', 'done', 'done', 'done', 'done', 'done']);
  expect(history.map((h) => h.device)).toEqual(['cpu', 'cpu#2', 'cpu', 'cpu#2', 'cpu', 'cpu#2']);
});

it('refuses new jobs when the global bound is reached', async () => {
  const small = await makeTestCommands({ limits: { globalWaiting: 1 }, createEngine: testEngine });
  try {
    const ports = [new RecordingPort(), new RecordingPort(), new RecordingPort()];
    for (const [i, port] of ports.entries()) {
      await small.handler.handle({ kind: 'palette', style: imageSource('eagle.jpg'), options: { seed: 100 + i, iterations: 200 } }, invocation(`u${i}`), port);
    }
    expect(ports[2]!.whispers()).toEqual(['The queue is full (1 waiting). Please try again in a few minutes.']);
    await small.handler.handle({ kind: 'cancel' }, invocation('u1'), ports[1]!);
    await small.handler.handle({ kind: 'cancel' }, invocation('u0'), ports[0]!);
    await small.service.idle();
  } finally {
    await small.close();
  }
});
