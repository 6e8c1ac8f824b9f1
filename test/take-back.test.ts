/**
 * @jest-environment ./test/onnx-environment.cjs
 */
/**
 * Results users can take back, at the commands (stub engine): ❌ / Delete on a finished job deletes its
 * messages and files for its owner or an admin and refuses anyone else, ❌ on a running job still
 * cancels it, ✉️ / Send to me sends the result privately, and show posts an earlier result again.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile, rm } from 'node:fs/promises';
import type { Attachment, ImageSource, Invocation, MessageRef, ThreadRef } from '../src/commands/port.js';
import { DataFiles, sha256 } from '../src/jobs/data-files.js';
import { fixturePath, imageSource, invocation, makeTestCommands, RecordingPort, type TestCommands } from './helpers/commands.js';
import { StubEngine } from './helpers/stub-engine.js';

/** A port of a platform that can delete messages and write to the user privately. */
class TakeBackPort extends RecordingPort {
  readonly removed: { id: string; where: ThreadRef | undefined }[] = [];
  readonly sentPrivately: { text: string; files: Attachment[] }[] = [];
  /** The user takes no direct messages from the bot. */
  refuseDm = false;

  async remove(ref: MessageRef, where?: ThreadRef): Promise<void> {
    this.removed.push({ id: ref.id, where });
  }

  async sendPrivately(text: string, files: Attachment[] = []): Promise<'sent' | 'refused'> {
    if (this.refuseDm) return 'refused';
    this.sentPrivately.push({ text, files });
    return 'sent';
  }
}

let t: TestCommands;
const stub = new StubEngine();

beforeAll(async () => {
  t = await makeTestCommands({ createEngine: async () => stub });
});

afterAll(async () => {
  await t?.close();
});

/** Runs a stylize job for `who` to the end; its id, the port it posted through, and its result message. */
async function finishedJob(
  who: Invocation = invocation('owner'),
  content: ImageSource = imageSource('dog.jpg'),
): Promise<{ id: string; port: TakeBackPort; result: string }> {
  const port = new TakeBackPort();
  await t.handler.handle({ kind: 'stylize', content, style: imageSource('guitar.png'), options: {} }, who, port);
  await port.waitForSettings(60_000);
  const id = /job (\w+)$/.exec(port.posts().find((p) => p.text.startsWith('Settings:'))!.text)![1]!;
  await t.service.idle(); // final replies out of the outbox
  const result = port.filePosts().find((p) => p.files[0]!.filename.startsWith('result-'))!.id;
  return { id, port, result };
}

const files = () => new DataFiles(t.dataDir);

describe('taking a finished job back', () => {
  it('offers Send to me and Delete under the result', async () => {
    const { port, result } = await finishedJob();
    const actions = port
      .posts()
      .find((p) => p.id === result)!
      .buttons!.map((b) => b.action);
    expect(actions.slice(-2)).toEqual(['send', 'delete']);
  });

  it("deletes the job's messages, results and inputs for its owner (Delete)", async () => {
    // A content image no other job uses (bytes after the JPEG's end are ignored by decoders).
    const bytes = Buffer.concat([await readFile(fixturePath('dog.jpg')), Buffer.from('only this job')]);
    const { id, port } = await finishedJob(invocation('owner'), imageSource({ name: 'dog.jpg', bytes }));
    expect(files().hasInput(sha256(bytes))).toBe(true);
    const record = t.service.job(id)!;
    expect(Object.keys(files().resultsOf(id)).sort()).toEqual(['palette', 'result']);
    const posted = port.posts().map((p) => p.id);
    const asker = new TakeBackPort();
    await t.handler.handle({ kind: 'delete', jobId: id }, invocation('owner'), asker);
    expect(asker.whispers()).toEqual([`Deleted job ${id}: its messages and images are gone.`]);
    expect(asker.removed.map((r) => r.id).sort()).toEqual([...posted].sort());
    // Each message is deleted where it was posted: the job's thread.
    expect(asker.removed.every((r) => r.where?.thread === record.where.thread)).toBe(true);
    expect(files().resultsOf(id)).toEqual({});
    expect(existsSync(path.join(t.dataDir, 'results', id))).toBe(false);
    expect(files().hasInput(sha256(bytes))).toBe(false);
    // The style is used by other jobs: it stays.
    expect(files().hasInput(sha256(await readFile(fixturePath('guitar.png'))))).toBe(true);
    expect(t.service.job(id)).toBeUndefined();
  });

  it('keeps inputs another job still uses', async () => {
    const first = await finishedJob();
    const second = await finishedJob(); // the same two images
    await t.handler.handle({ kind: 'delete', jobId: first.id }, invocation('owner'), new TakeBackPort());
    const store = new DataFiles(t.dataDir);
    expect(t.service.job(first.id)).toBeUndefined();
    expect(Object.keys(store.resultsOf(second.id))).toContain('result');
    // Re-running the second job still finds its images.
    const again = new TakeBackPort();
    await t.handler.handle({ kind: 'rerun', jobId: second.id, change: 'seed' }, invocation('owner'), again);
    await again.waitForSettings(60_000);
    expect(again.whispers()).toEqual([]);
  });

  it('refuses ❌ on a finished result from someone else, and lets an admin', async () => {
    const { id, result } = await finishedJob();
    const other = new TakeBackPort();
    await t.handler.handle({ kind: 'cancel', messageId: result }, invocation('someone-else'), other);
    expect(other.whispers()).toEqual([`Job ${id} belongs to someone else, so I can't delete it for you — only they or an admin can.`]);
    expect(other.removed).toEqual([]);
    expect(files().finalImage(id)).toBe('result');

    const admin = new TakeBackPort();
    await t.handler.handle({ kind: 'cancel', messageId: result }, { ...invocation('an-admin'), admin: true }, admin);
    expect(admin.whispers()).toEqual([`Deleted job ${id}: its messages and images are gone.`]);
    expect(files().finalImage(id)).toBeUndefined();
  });

  it('still cancels a running job on ❌, and Delete on it asks to cancel first', async () => {
    stub.hold();
    const port = new TakeBackPort();
    let id: string;
    try {
      // A style no job used yet: a cached palette would finish at once.
      const before = stub.calls.length;
      await t.handler.handle({ kind: 'palette', style: imageSource('scream.jpg'), options: {} }, invocation('owner'), port);
      await stub.started(before + 1);
      await port.waitFor((p) => p.posts().length > 0);
      const status = port.posts()[0]!;
      id = t.service.history({ platform: 'web', channel: 'test-channel' }).at(-1)!.id;
      await t.handler.handle({ kind: 'delete', jobId: id }, invocation('owner'), port);
      await t.handler.handle({ kind: 'cancel', messageId: status.id }, invocation('owner'), port);
    } finally {
      stub.release();
    }
    await t.service.idle();
    expect(port.whispers()[0]).toMatch(new RegExp(`^Job ${id} is still (waiting|running)\\. Cancel it first`));
    expect(port.whispers()[1]).toMatch(new RegExp(`^(Cancelled your waiting job|Cancelling your running job) ${id}`));
    expect(port.removed).toEqual([]);
  });

  it('answers a job it cannot find', async () => {
    const port = new TakeBackPort();
    await t.handler.handle({ kind: 'delete', jobId: 'nosuchjob0' }, invocation('owner'), port);
    expect(port.whispers()).toEqual(["I can't find a job for that."]);
  });
});

describe('send to me', () => {
  it("sends the job's result privately", async () => {
    const { id } = await finishedJob();
    const port = new TakeBackPort();
    await t.handler.handle({ kind: 'send', jobId: id }, invocation('a-reader'), port);
    expect(port.sentPrivately).toHaveLength(1);
    expect(port.sentPrivately[0]!.text).toMatch(new RegExp(`^Job ${id}: Result — `));
    expect(port.sentPrivately[0]!.files.map((f) => f.filename)).toEqual([`result-${id}.png`]);
    expect(port.sentPrivately[0]!.files[0]!.data.subarray(1, 4).toString()).toBe('PNG');
    expect(port.whispers()).toEqual([]);
  });

  it('says so when the user takes no direct messages, or the platform has none', async () => {
    const { id } = await finishedJob();
    const refused = new TakeBackPort();
    refused.refuseDm = true;
    await t.handler.handle({ kind: 'send', jobId: id }, invocation('a-reader'), refused);
    expect(refused.whispers()[0]).toMatch(/^I can't send you a direct message: your privacy settings don't let me\./);
    const web = new RecordingPort(); // no sendPrivately
    await t.handler.handle({ kind: 'send', jobId: id }, invocation('a-reader'), web);
    expect(web.whispers()).toEqual(["I can't send direct messages from here."]);
  });
});

describe('show <job>', () => {
  it('posts an earlier result again where it is asked, and ❌ on that copy finds the job', async () => {
    const { id } = await finishedJob();
    const elsewhere = new TakeBackPort({ channel: 'another-channel' });
    await t.handler.handle({ kind: 'show', jobId: ` ${id} ` }, invocation('a-reader', { channel: 'another-channel' }), elsewhere);
    const copy = elsewhere.filePosts()[0]!;
    expect(copy.text).toMatch(new RegExp(`^Job ${id} again — Result — `));
    expect(copy.files.map((f) => f.filename)).toEqual([`result-${id}.png`]);
    expect(copy.buttons!.map((b) => b.action)).toContain('delete');

    // The owner takes the job back from the copy: the copy goes too, where it was posted.
    const owner = new TakeBackPort({ channel: 'another-channel' });
    await t.handler.handle({ kind: 'cancel', messageId: copy.id }, invocation('owner', { channel: 'another-channel' }), owner);
    expect(owner.removed.find((r) => r.id === copy.id)?.where?.channel).toBe('another-channel');

    const after = new TakeBackPort();
    await t.handler.handle({ kind: 'show', jobId: id }, invocation('a-reader'), after);
    expect(after.whispers()).toEqual([`I don't know a job "${id}" here (or it was deleted). Its id ends the job's Settings line ("… · job 1a2b3c4d5e").`]);
  });

  it('says when the files are no longer kept, and when a job is unknown', async () => {
    const { id } = await finishedJob();
    await rm(path.join(t.dataDir, 'results', id), { recursive: true }); // as retention does
    const port = new TakeBackPort();
    await t.handler.handle({ kind: 'show', jobId: id }, invocation('a-reader'), port);
    await t.handler.handle({ kind: 'show', jobId: '../../etc' }, invocation('a-reader'), port);
    await t.handler.handle({ kind: 'show', jobId: '' }, invocation('a-reader'), port);
    expect(port.whispers()).toEqual([
      `I no longer keep the images of job ${id} (old images are removed after a while), so I can't show it again.`,
      `I don't know a job "../../etc" here (or it was deleted). Its id ends the job's Settings line ("… · job 1a2b3c4d5e").`,
      'Which job? Say show followed by its id — the id ends the job\'s Settings line ("… · job 1a2b3c4d5e").',
    ]);
    expect(port.filePosts()).toEqual([]);
  });

  it("shows another platform's job to no one", async () => {
    const { id } = await finishedJob();
    const port = new TakeBackPort();
    await t.handler.handle({ kind: 'show', jobId: id }, invocation('a-reader', { channel: 'C1' }, 'slack'), port);
    expect(port.whispers()[0]).toMatch(/^I don't know a job/);
  });
});
