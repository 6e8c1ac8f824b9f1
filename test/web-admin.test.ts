/**
 * @jest-environment ./test/onnx-environment.cjs
 *
 * The web page's operator controls (POST /api/admin) with the real commands on the stub engine: the
 * page has no accounts, so a request from this machine (a loopback address) is the operator's and
 * one from another address is refused.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { configFromEnv, start, type WebHandle } from '../src/bots/web/index.js';
import { NOT_AN_OPERATOR } from '../src/commands/admin-messages.js';
import { conversationId, EventStream, rawRequest } from './e2e/web-client.js';
import { makeTestCommands, type TestCommands } from './helpers/commands.js';
import { StubEngine } from './helpers/stub-engine.js';

let dataDir: string;
let t: TestCommands;
let web: WebHandle;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'tilestyle-web-admin-'));
  t = await makeTestCommands({ createEngine: async () => new StubEngine() });
  // Every interface, so the test can also come from an address that is not loopback.
  web = await start(configFromEnv({ WEB_HOST: '0.0.0.0', WEB_PORT: '0', TILESTYLE_DATA_DIR: dataDir })!, t.service);
});

afterAll(async () => {
  await web?.stop();
  await t?.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function control(base: string, conversation: string, text: string): Promise<number> {
  const body = Buffer.from(JSON.stringify({ text }));
  const res = await rawRequest(base, `/api/admin?c=${conversation}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Content-Length': body.length },
    body,
  });
  return res.status;
}

/** The bot's answer in the conversation, once it has one matching `pattern`. */
async function answer(stream: EventStream, pattern: RegExp): Promise<string> {
  const message = await stream.waitFor((m) => m.author === 'bot' && pattern.test(m.text), 30_000, `an answer matching ${pattern}`);
  return message.text;
}

it('takes the controls from this machine, answered in the conversation', async () => {
  const base = `http://127.0.0.1:${new URL(web.url).port}/`;
  const conversation = conversationId();
  const stream = await EventStream.open(base, conversation);
  try {
    expect(await control(base, conversation, 'pause')).toBe(202);
    await answer(stream, /^Paused the queue/);
    expect(await control(base, conversation, 'show')).toBe(202);
    await answer(stream, /^Queue: paused\./);
    expect(await control(base, conversation, 'resume')).toBe(202);
    await answer(stream, /^Resumed the queue/);
    expect(await control(base, conversation, 'limits size=96')).toBe(202);
    await answer(stream, /belongs to a server/);
  } finally {
    stream.close();
  }
});

const outside = Object.values(networkInterfaces())
  .flat()
  .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;

(outside ? it : it.skip)('refuses them from another address (this machine has no other address when skipped)', async () => {
  const base = `http://${outside}:${new URL(web.url).port}/`;
  const conversation = conversationId();
  const stream = await EventStream.open(base, conversation);
  try {
    expect(await control(base, conversation, 'pause')).toBe(202);
    expect(await answer(stream, /admin/)).toBe(NOT_AN_OPERATOR);
  } finally {
    stream.close();
  }
  const local = `http://127.0.0.1:${new URL(web.url).port}/`;
  const check = conversationId();
  const checkStream = await EventStream.open(local, check);
  try {
    await control(local, check, 'show');
    await answer(checkStream, /^Queue: running\./);
  } finally {
    checkStream.close();
  }
});
