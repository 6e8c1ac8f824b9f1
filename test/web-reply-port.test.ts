/** The web reply port on its own: what a crash between a post and the job store's note of it leaves. */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Conversations, newId } from '../src/bots/web/conversations.js';
import { FileStore } from '../src/bots/web/files.js';
import { WebReplyPort } from '../src/bots/web/reply-port.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tilestyle-webport-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

test('an image posted again in the same thread (a job resumed after a crash) is shown once; other threads and files are not merged', async () => {
  const conversations = new Conversations(path.join(dir, 'conversations'));
  await conversations.init();
  await mkdir(path.join(dir, 'files'));
  const files = new FileStore(path.join(dir, 'files'));
  const png = Buffer.from('89504e470d0a1a0a', 'hex');
  const c1 = newId('c');
  const result = [{ filename: 'result-abc.png', data: png, description: 'result' }];
  const port = new WebReplyPort(conversations, files, c1, 't1');
  const first = await port.post('Result', result);
  const again = await new WebReplyPort(conversations, files, c1, 't1').post('Result', result);
  expect(again).toEqual(first);
  const other = await new WebReplyPort(conversations, files, c1, 't2').post('Result', result);
  expect(other.id).not.toBe(first.id);
  const palette = await port.post('Palette', [{ filename: 'palette-abc.png', data: png, description: 'palette' }]);
  expect(palette.id).not.toBe(first.id);
  await port.post('Text only');
  await port.post('Text only');
  const t1 = (await conversations.messages(c1)).filter((m) => m.thread === 't1');
  expect(t1.map((m) => m.text)).toEqual(['Result', 'Palette', 'Text only', 'Text only']);
  await conversations.flush();
});
