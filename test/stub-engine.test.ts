/**
 * @jest-environment ./test/onnx-environment.cjs
 */
import { afterEach, expect, test } from '@jest/globals';
import { imageSource, invocation, makeTestCommands, RecordingPort, type TestCommands } from './helpers/commands.js';
import { StubEngine } from './helpers/stub-engine.js';

let t: TestCommands | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

test('a stylize job runs on the stub engine and posts its palette and result', async () => {
  const stub = new StubEngine();
  t = await makeTestCommands({ createEngine: async () => stub });
  const port = new RecordingPort();
  await t.handler.handle({ kind: 'stylize', content: imageSource('dog.jpg'), style: imageSource('guitar.png'), options: {} }, invocation(), port);
  await port.waitForSettings();
  expect(port.filePosts().length).toBeGreaterThanOrEqual(2);
  expect(stub.calls.map((c) => c.method)).toEqual(['palette', 'stylize']);
});

test('a held job waits in the stub engine until released', async () => {
  const stub = new StubEngine();
  t = await makeTestCommands({ createEngine: async () => stub });
  stub.hold();
  const port = new RecordingPort();
  await t.handler.handle({ kind: 'palette', style: imageSource('guitar.png'), options: {} }, invocation(), port);
  await stub.started(1);
  expect(port.filePosts()).toHaveLength(0);
  stub.release();
  await port.waitFor((p) => p.filePosts().length > 0);
});
