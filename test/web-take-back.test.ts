/**
 * @jest-environment ./test/onnx-environment.cjs
 *
 * Taking a result back on the web page, over HTTP with the stub engine: Delete under a finished result
 * removes the job's messages from the conversation (open pages hear a `removed` event) and its images
 * stop being served; the page offers no Send to me.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { start, type WebHandle } from '../src/bots/web/index.js';
import { conversationId, EventStream, postForm, rawRequest } from './e2e/web-client.js';
import { makeTestCommands, type TestCommands } from './helpers/commands.js';
import { StubEngine } from './helpers/stub-engine.js';

let dataDir: string;
let commands: TestCommands;
let web: WebHandle;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'tilestyle-web-take-back-'));
  const stub = new StubEngine();
  commands = await makeTestCommands({ dataDir, createEngine: async () => stub });
  web = await start({ host: '127.0.0.1', port: 0, dataDir }, commands.service);
});

afterAll(async () => {
  await web?.stop();
  await commands?.close();
  await rm(dataDir, { recursive: true, force: true });
});

it('Delete removes the job from the conversation and its images from the server', async () => {
  const c = conversationId();
  const events = await EventStream.open(web.url, c);
  const sent = await postForm(
    web.url,
    '/api/stylize',
    c,
    { content: { name: 'dog.jpg', type: 'image/jpeg' }, style: { name: 'guitar.png', type: 'image/png' } },
    { size: '48' },
  );
  expect(sent.status).toBe(202);
  const thread = sent.body.thread as string;
  const result = await events.waitFor((m) => m.files.some((f) => f.filename.startsWith('result-')) && (m.buttons ?? []).length > 0, 60_000, 'the result');
  await events.waitFor((m) => m.thread === thread && m.text.startsWith('Settings:'), 60_000, 'the settings line');
  await commands.service.idle();
  expect(result.buttons!.map((b) => b.action)).toContain('delete');
  expect(result.buttons!.map((b) => b.action)).not.toContain('send');
  const jobId = result.buttons![0]!.jobId;
  const ours = [...events.messages.values()].filter((m) => m.thread === thread && m.author === 'bot').map((m) => m.id);
  const image = new URL(result.files[0]!.url, web.url);
  expect((await fetch(image)).status).toBe(200);

  const pressed = await rawRequest(web.url, `/api/react?c=${c}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: Buffer.from(JSON.stringify({ message: result.id, action: 'delete' })),
  });
  expect(pressed.status).toBe(202);
  await events.waitFor((m) => m.thread === thread && m.text === `Deleted job ${jobId}: its messages and images are gone.`, 30_000, 'the answer');
  const removed = events.events.flatMap((e) => (e.type === 'removed' ? [e.id] : []));
  expect(removed.sort()).toEqual([...ours].sort());
  expect(ours.some((id) => events.messages.has(id))).toBe(false);
  expect((await fetch(image)).status).toBe(404);
  expect(commands.service.job(jobId)).toBeUndefined();
  events.close();
});
