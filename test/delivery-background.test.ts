/**
 * @jest-environment ./test/onnx-environment.cjs
 *
 * A job's final replies go out in the background: while one is waiting to be tried again, the next
 * job on the same device runs to the end. A shutdown cuts the wait short and leaves the reply in the
 * outbox; the next start sends it. Until then, retention keeps the result the user is still owed.
 * A chat job that no place on its platform takes is kept on the web page, when that runs.
 * Real commands and engine at small sizes; the chat platform is a recording port that fails
 * transiently while told to.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Attachment, JobButton, MessageRef } from '../src/commands/port.js';
import { Conversations } from '../src/bots/web/conversations.js';
import { start as startWeb } from '../src/bots/web/index.js';
import { pruneDataDir } from '../src/retention.js';
import { imageSource, invocation, makeTestCommands, RecordingFrontend, RecordingPort } from './helpers/commands.js';
import { Conditions } from './helpers/conditions.js';

/** A platform that refuses images for now (a rate limit, an outage): transient, so they are tried again. */
class FlakyPort extends RecordingPort {
  refused = 0;
  override async post(text: string, files: Attachment[] = [], buttons?: JobButton[]): Promise<MessageRef> {
    if (files.length > 0) {
      this.refused += 1;
      throw new Error('503 Service Unavailable (for now)');
    }
    return super.post(text, files, buttons);
  }
  transient(): boolean {
    return true;
  }
}

/** A chat thread, channel and DM that refuse everything after the job's status message (a locked thread, a bot removed). */
class RefusingPort extends RecordingPort {
  override async post(text: string, files: Attachment[] = [], buttons?: JobButton[]): Promise<MessageRef> {
    if (this.posts().length > 0) throw new Error('403 Missing Access');
    return super.post(text, files, buttons);
  }
}

const logged: string[] = [];
const logChanged = new Conditions();
const note = (...a: unknown[]) => {
  logged.push(a.map((x) => (x instanceof Error ? x.message : String(x))).join(' '));
  logChanged.notify();
};
const log = { error: note, warn: note, info: note };
const logSays = (pattern: RegExp) =>
  logChanged.until(
    () => logged.find((l) => pattern.test(l)),
    120_000,
    () => logged.join('\n'),
  );

let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'tilestyle-delivery-background-'));
});

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

it('a retry’s wait holds no device; a shutdown leaves the reply in the outbox, kept from retention, and the next start sends it', async () => {
  // One device; a failed image is tried again only after ten minutes, which this test never waits out.
  const t = await makeTestCommands({ dataDir, log, defaults: { size: 48, iterations: 3 }, limits: { deliveryRetryMs: [600_000] } });
  const flaky = new FlakyPort({ channel: 'first' });
  const second = new RecordingPort({ channel: 'second' });
  let first: string;
  let secondId: string;
  try {
    await t.handler.handle({ kind: 'palette', style: imageSource('guitar.png'), options: {} }, invocation('ada', { channel: 'first' }), flaky);
    await t.handler.handle({ kind: 'palette', style: imageSource('face.png'), options: {} }, invocation('bo', { channel: 'second' }), second);
    first = t.service.history({ platform: 'web', channel: 'first' })[0]!.id;
    secondId = t.service.history({ platform: 'web', channel: 'second' })[0]!.id;

    // The first job's palette is waiting to be tried again, and the second job (queued behind it on
    // the same device) runs to its end meanwhile.
    await logSays(new RegExp(`Job ${first}: posting its palette failed for now`));
    await second.waitForSettings(120_000);
    expect(flaky.refused).toBe(1);
    expect(t.service.job(first)).toMatchObject({ state: 'done' });
    expect(t.service.job(first)?.delivery).toBeUndefined();

    // Retention, with every image far past its age: the owed palette stays, an earlier job's result goes.
    expect(t.service.owedResults()).toContain(first);
    const owedFile = t.service.job(first)!.files.palette!;
    const earlier = path.join(dataDir, 'results', 'earlier-job', 'result.png');
    await mkdir(path.dirname(earlier), { recursive: true });
    await writeFile(earlier, Buffer.alloc(100));
    await pruneDataDir(dataDir, { maxAgeMs: 1, maxBytes: 0, graceMs: 0 }, Date.now() + 60_000, new Set(t.service.owedResults()));
    expect(existsSync(owedFile)).toBe(true);
    expect(existsSync(earlier)).toBe(false);
  } finally {
    // The shutdown does not wait the ten minutes out; the palette stays owed.
    await t.close();
  }
  await logSays(new RegExp(`Job ${first}: stopping before its palette was delivered`));
  expect(flaky.refused).toBe(1);

  // The next start sends it to its thread (the platform takes images again).
  const frontend = new RecordingFrontend('web');
  const again = await makeTestCommands({ dataDir, log, frontends: [frontend] });
  try {
    await again.service.idle();
    const port = frontend.ports.find((p) => p.where().channel === 'first')!;
    expect(port.filePosts().map((p) => p.files[0]!.filename)).toEqual([`palette-${first}.png`]);
    expect(port.posts().some((p) => p.text.startsWith('Settings:'))).toBe(true);
    expect(again.service.job(first)?.delivery).toBe('thread');
    expect(again.service.owedResults()).toEqual([]);
    expect(again.service.job(secondId)?.delivery).toBe('thread');
  } finally {
    await again.close();
  }
}, 300_000);

it('a chat job refused by its thread, channel and DM is kept in the web page’s conversation for them, and says so', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'tilestyle-delivery-web-'));
  const t = await makeTestCommands({ dataDir: dir, log, defaults: { size: 48, iterations: 3 } });
  const web = await startWeb({ host: '127.0.0.1', port: 0, dataDir: dir }, t.service);
  try {
    const refusing = new RefusingPort({ channel: 'locked' });
    await t.handler.handle({ kind: 'palette', style: imageSource('scream.jpg'), options: {} }, invocation('cy', { channel: 'locked' }, 'discord'), refusing);
    await t.service.idle();
    const id = t.service.history({ platform: 'discord', channel: 'locked' })[0]!.id;
    expect(t.service.job(id)?.delivery).toBe('web');
    expect(t.service.owedResults()).toEqual([]);
    expect(refusing.filePosts()).toEqual([]);

    const unreached = (await readFile(path.join(dir, 'web', 'unreached-conversation'), 'utf8')).trim();
    const conversations = new Conversations(path.join(dir, 'web', 'conversations'));
    await conversations.init();
    const messages = await conversations.messages(unreached);
    const palette = messages.find((m) => m.files.length > 0)!;
    expect(palette.text).toContain(`Job ${id} of name-cy (cy) on discord`);
    expect(palette.files.map((f) => f.filename)).toEqual([`palette-${id}.png`]);
    expect(palette.buttons ?? []).toEqual([]);
    expect(messages.some((m) => m.text.includes('Settings:') && m.text.includes(id))).toBe(true);
    // The page shows the image.
    const image = await fetch(new URL(`${palette.files[0]!.url}?c=${unreached}`, web.url));
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/png');
  } finally {
    await web.stop();
    await t.close();
    await rm(dir, { recursive: true, force: true });
  }
}, 300_000);
