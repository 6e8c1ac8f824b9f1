/** The status message of a job: progress edits thinned to one per interval, the first preview at once. */
import { StatusLine } from '../src/commands/status-line.js';
import type { Attachment, ReplyPort } from '../src/commands/port.js';

function recordingPort() {
  const updates: { text: string; files?: Attachment[] }[] = [];
  const port: ReplyPort = {
    post: async () => ({ id: 'm1' }),
    update: async (_ref, text, files) => void updates.push({ text, files }),
    react: async () => undefined,
    whisper: async () => undefined,
    where: () => ({ channel: 'c' }),
  };
  return { port, updates };
}

const png = (n: number) => Buffer.from([n]);

test("a job's first preview goes at once; later progress waits for the interval, keeping its preview", async () => {
  const { port, updates } = recordingPort();
  // An interval no test run outlasts: only the first-preview rule can let an edit through.
  const line = new StatusLine(port, { id: 'm1' }, 3_600_000, console);
  await line.set('Running — palette: starting…');
  line.progress('step 1/20', undefined);
  line.progress('step 10/20', png(10));
  await line.settled();
  expect(updates.map((u) => u.text)).toEqual(['Running — palette: starting…', 'step 10/20']);
  expect(updates[1].files?.map((f) => f.data)).toEqual([png(10)]);

  line.progress('step 20/20', png(20));
  await line.settled();
  expect(updates).toHaveLength(2);
});

test('a state change that fails for now is tried again until it lands; a refusal is not', async () => {
  const { port, updates } = recordingPort();
  const busy = Object.assign(new Error('A rate limit was exceeded'), { code: 'rate_limited' });
  let refusals = 2;
  const flaky: ReplyPort = {
    ...port,
    update: async (ref, text, files) => {
      if (text.startsWith('Done') && refusals-- > 0) throw busy;
      return port.update(ref, text, files);
    },
    transient: (err) => err === busy,
  };
  const errors: unknown[] = [];
  const line = new StatusLine(flaky, { id: 'm1' }, 0, { error: (...args: unknown[]) => errors.push(args) });
  await line.set('Done in 3 s.');
  expect(updates.map((u) => u.text)).toEqual(['Done in 3 s.']);
  expect(errors).toEqual([]);

  const refused = new StatusLine({ ...port, update: async () => Promise.reject(new Error('Missing Access')), transient: () => false }, { id: 'm1' }, 0, {
    error: (...args: unknown[]) => errors.push(args),
  });
  await refused.set('Done in 3 s.');
  expect(errors).toHaveLength(1);
});
