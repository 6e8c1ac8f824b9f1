/**
 * @jest-environment ./test/onnx-environment.cjs
 *
 * settings on the web page, over the stub engine: the typed text or the form's fields reach the
 * commands, the answer lands in the conversation, and the conversation's next job starts from them.
 */
import { start, type WebHandle } from '../src/bots/web/index.js';
import { conversationId, EventStream, postForm, rawRequest } from './e2e/web-client.js';
import { makeTestCommands, type TestCommands } from './helpers/commands.js';
import { StubEngine } from './helpers/stub-engine.js';

let commands: TestCommands;
let web: WebHandle;
const stub = new StubEngine();

beforeAll(async () => {
  commands = await makeTestCommands({ createEngine: async () => stub, defaults: { strength: 5, tiles: 1 } });
  web = await start({ host: '127.0.0.1', port: 0, dataDir: commands.dataDir }, commands.service);
});

afterAll(async () => {
  await web?.stop();
  await commands?.close();
});

function postSettings(conversation: string, body: unknown): Promise<{ status: number; body: string }> {
  return rawRequest(web.url, `/api/settings?c=${conversation}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: Buffer.from(JSON.stringify(body)),
  });
}

test('settings typed or from the form are kept for the conversation and its next job starts from them', async () => {
  const page = (await rawRequest(web.url, '/')).body;
  expect(page).toContain('id="save-defaults"');

  const c = conversationId();
  const events = await EventStream.open(web.url, c);
  const typed = await postSettings(c, { text: 'strength=8 palette=off' });
  expect(typed.status).toBe(202);
  const thread = (JSON.parse(typed.body) as { thread: string }).thread;
  const saved = await events.waitFor((m) => m.whisper && m.thread === thread, 60_000, 'the saved settings');
  expect(saved.text).toMatch(/^Saved\. Your defaults for new jobs: .*strength=8 palette=off\./);

  const fromForm = await postSettings(c, { options: { crop: 'none', size: '9999' } });
  const refusedThread = (JSON.parse(fromForm.body) as { thread: string }).thread;
  const refused = await events.waitFor((m) => m.whisper && m.thread === refusedThread, 60_000, 'the refusal');
  expect(refused.text).toMatch(/^size must be from 32 to \d+ pixels here \(got 9999\)\.$/);

  stub.calls.length = 0;
  const job = await postForm(web.url, '/api/stylize', c, {
    content: { name: 'dog.jpg', type: 'image/jpeg' },
    style: { name: 'guitar.png', type: 'image/png' },
  });
  await events.waitFor((m) => m.text.startsWith('Settings:') && m.thread === job.body.thread, 60_000, 'the settings line');
  expect(stub.calls.map((call) => call.method)).toEqual(['stylize']);
  expect(stub.calls[0]!.options).toMatchObject({ strength: 8 });
  events.close();
  await commands.service.idle();
});
