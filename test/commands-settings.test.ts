/**
 * @jest-environment ./test/onnx-environment.cjs
 */
/** The settings command: a user's own defaults, shown, set, checked, used by their jobs and kept across a restart. */
import { afterEach, expect, test } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { imageSource, invocation, makeTestCommands, RecordingPort, type TestCommands } from './helpers/commands.js';
import { StubEngine } from './helpers/stub-engine.js';

let t: TestCommands | undefined;
let dirs: string[] = [];
afterEach(async () => {
  await t?.close();
  t = undefined;
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  dirs = [];
});

async function settings(text: Record<string, string | number | boolean>, user = 'user-1'): Promise<string> {
  const port = new RecordingPort();
  await t!.handler.handle({ kind: 'settings', options: text }, invocation(user), port);
  expect(port.whispers()).toHaveLength(1);
  return port.whispers()[0]!;
}

async function stylize(options: Record<string, string>, stub: StubEngine, user = 'user-1'): Promise<RecordingPort> {
  const port = new RecordingPort();
  await t!.handler.handle({ kind: 'stylize', content: imageSource('dog.jpg'), style: imageSource('guitar.png'), options }, invocation(user), port);
  await port.waitForSettings();
  expect(stub.calls.length).toBeGreaterThan(0);
  return port;
}

test("settings alone shows the defaults a new job starts from, none of them the user's own yet", async () => {
  t = await makeTestCommands({ createEngine: async () => new StubEngine(), defaults: { strength: 4, tiles: 'auto' } });
  const text = await settings({});
  expect(text).toContain('Your defaults for new jobs: tiles=auto crop=auto size=64 strength=4 palette=on.');
  expect(text).toContain('None of them is your own yet');
});

test("a user's defaults are saved, shown as theirs, and a new job starts from them; an option given with it still wins", async () => {
  const stub = new StubEngine();
  t = await makeTestCommands({ createEngine: async () => stub, defaults: { strength: 4, tiles: 'auto' } });
  const saved = await settings({ strength: '7', crop: 'none', tiles: '2', size: '48' });
  expect(saved).toMatch(/^Saved\. Your defaults for new jobs: tiles=2 crop=none size=48 strength=7 palette=on\./);
  expect(saved).toContain('Yours: tiles, crop, size, strength;');

  await stylize({}, stub);
  const first = stub.calls.find((c) => c.method === 'stylize')!.options;
  expect(first).toMatchObject({ strength: 7, crop: 'none', tiles: 2, size: 48 });

  stub.calls.length = 0;
  await stylize({ strength: '3', size: '40' }, stub);
  expect(stub.calls.find((c) => c.method === 'stylize')!.options).toMatchObject({ strength: 3, size: 40, crop: 'none', tiles: 2 });
});

test("palette=off sends a user's stylize jobs straight to the result; another user still sees the palette first", async () => {
  const stub = new StubEngine();
  t = await makeTestCommands({ createEngine: async () => stub, defaults: { tiles: 1 } });
  expect(await settings({ palette: 'off' })).toContain('palette=off');
  await stylize({}, stub);
  expect(stub.calls.map((c) => c.method)).toEqual(['stylize']);

  stub.calls.length = 0;
  await stylize({}, stub, 'user-2');
  expect(stub.calls.map((c) => c.method)).toEqual(['palette', 'stylize']);
});

test('a setting out of the limits, of an unknown name or sweep is refused with the reason, and nothing is saved', async () => {
  t = await makeTestCommands({ createEngine: async () => new StubEngine(), limits: { maxSize: 256 } });
  expect(await settings({ strength: '11' })).toContain('strength must be from 1 (keep the photo) to 10');
  expect(await settings({ size: '4096' })).toContain('size must be from 32 to 256 pixels here (got 4096).');
  expect(await settings({ iterations: '5' })).toContain('"iterations" isn\'t one of them');
  expect(await settings({ tiles: 'sweep' })).toContain('tiles=sweep is for one palette at a time');
  expect(await settings({ palette: 'maybe' })).toContain('palette must be on');
  // One bad value refuses the whole request: the good one beside it is not kept either.
  expect(await settings({ crop: 'none', strength: 'lots' })).toContain('strength must be a number');
  expect(await settings({})).toContain('None of them is your own yet');
});

test("settings reset goes back to the server's defaults", async () => {
  t = await makeTestCommands({ createEngine: async () => new StubEngine(), defaults: { strength: 4 } });
  await settings({ strength: '9' });
  const reset = await settings({ reset: true });
  expect(reset).toMatch(/^Back to this server's defaults\./);
  expect(reset).toContain('strength=4');
  expect(await settings({})).toContain('None of them is your own yet');
});

test("a user's defaults survive a restart, per platform and user", async () => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'tilestyle-settings-'));
  dirs.push(dataDir);
  t = await makeTestCommands({ createEngine: async () => new StubEngine(), dataDir });
  await settings({ strength: '8', crop: 'none' });
  await t.close();

  t = await makeTestCommands({ createEngine: async () => new StubEngine(), dataDir });
  const shown = await settings({});
  expect(shown).toContain('crop=none');
  expect(shown).toContain('strength=8');
  expect(shown).toContain('Yours: crop, strength;');
  expect(await settings({}, 'user-2')).toContain('None of them is your own yet');
});

test("a saved default the operator has since put out of range gives way to the operator's default", async () => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'tilestyle-settings-'));
  dirs.push(dataDir);
  t = await makeTestCommands({ createEngine: async () => new StubEngine(), dataDir, limits: { maxSize: 512 } });
  await settings({ size: '400' });
  await t.close();

  t = await makeTestCommands({ createEngine: async () => new StubEngine(), dataDir, limits: { maxSize: 256 } });
  const shown = await settings({});
  expect(shown).toContain('size=64');
  expect(shown).toContain('None of them is your own yet');
});
