/**
 * @jest-environment ./test/onnx-environment.cjs
 *
 * Buttons on the web page, over HTTP: the real commands at small sizes post results with their
 * buttons, /api/react { message, action } runs the button's job (and only a button the message
 * carries), Upscale redraws the result at twice its size, and an earlier job shown from the job
 * store's history carries the buttons too.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { start, type WebHandle } from '../src/bots/web/index.js';
import { conversationId, EventStream, postForm, rawRequest } from './e2e/web-client.js';
import { makeTestCommands, type TestCommands } from './helpers/commands.js';

let dataDir: string;
let commands: TestCommands;
let web: WebHandle;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'tilestyle-web-buttons-'));
  commands = await makeTestCommands({ dataDir, limits: { maxSize: 96 } });
  web = await start({ host: '127.0.0.1', port: 0, dataDir }, commands.service);
});

afterAll(async () => {
  await web?.stop();
  await commands?.close();
  await rm(dataDir, { recursive: true, force: true });
});

function press(c: string, message: string, action: string) {
  return rawRequest(web.url, `/api/react?c=${c}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: Buffer.from(JSON.stringify({ message, action })),
  });
}

it('shows the buttons under results, runs what they ask, refuses what a message does not carry, and keeps them in the history', async () => {
  const c = conversationId();
  const events = await EventStream.open(web.url, c);
  const sent = await postForm(
    web.url,
    '/api/stylize',
    c,
    { content: { name: 'dog.jpg', type: 'image/jpeg' }, style: { name: 'guitar.png', type: 'image/png' } },
    { tiles: '2', size: '48', iterations: '3' },
  );
  expect(sent.status).toBe(202);
  const result = await events.waitFor((m) => m.files.some((f) => f.filename.startsWith('result-')) && (m.buttons ?? []).length > 0, 120_000, 'the result');
  expect(result.buttons!.map((b) => b.label)).toEqual(['Finer tiles', 'Coarser tiles', 'Stronger', 'Weaker', 'New seed', 'Upscale', 'Delete']);
  const jobId = result.buttons![0]!.jobId;
  const status = [...events.messages.values()].find((m) => m.thread === sent.body.thread && m.author === 'bot')!;
  // While the job ran its status offered Cancel (the stream's events keep each version of the message).
  const versions = events.events.flatMap((e) => (e.type === 'message' && e.message.id === status.id ? [e.message] : []));
  expect(versions[0]!.buttons).toEqual([{ action: 'cancel', jobId: expect.any(String), label: 'Cancel' }]);
  await events.waitFor((m) => m.id === status.id && m.text.startsWith('Done in') && (m.buttons ?? []).length === 0, 10_000, 'the status without Cancel');

  const upscale = await press(c, result.id, 'upscale');
  expect(upscale.status).toBe(202);
  const thread = JSON.parse(upscale.body).thread as string;
  const bigger = await events.waitFor((m) => m.thread === thread && m.files.some((f) => f.filename.startsWith('result-')), 120_000, 'the upscaled result');
  const meta = await sharp(Buffer.from(await (await fetch(new URL(bigger.files[0]!.url, web.url))).arrayBuffer())).metadata();
  expect(Math.max(meta.width!, meta.height!)).toBe(96);
  expect([...events.messages.values()].some((m) => m.thread === thread && m.author === 'you' && m.text === '⬆️ Upscale')).toBe(true);
  // At the size limit the upscaled result offers no Upscale, and pressing it anyway is refused with a 400.
  expect(bigger.buttons!.map((b) => b.action)).not.toContain('upscale');
  expect((await press(c, bigger.id, 'upscale')).status).toBe(400);
  expect((await press(conversationId(), result.id, 'finer')).status).toBe(404);
  await commands.service.idle();

  // The conversation's own file is lost: the job comes back from the job store, with its buttons.
  await web.stop();
  await writeFile(join(dataDir, 'web', 'conversations', `${c}.json`), '[]');
  web = await start({ host: '127.0.0.1', port: 0, dataDir }, commands.service);
  const again = await EventStream.open(web.url, c);
  const shown = await again.waitFor((m) => m.id === `job-${jobId}`, 5000, 'the job from the history');
  expect(shown.buttons!.map((b) => b.action)).toEqual(['finer', 'coarser', 'stronger', 'weaker', 'seed', 'upscale']);
  const stronger = await press(c, shown.id, 'stronger');
  expect(stronger.status).toBe(202);
  const settings = await again.waitFor((m) => m.thread === JSON.parse(stronger.body).thread && m.text.startsWith('Settings:'), 120_000, 'the stronger re-run');
  expect(settings.text).toContain('strength=7');
  events.close();
  again.close();
}, 300_000);
