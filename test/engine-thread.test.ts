/**
 * @jest-environment ./test/onnx-environment.cjs
 *
 * The engine in its own thread answers as the engine in this thread does: the same picture for the
 * same inputs, the same error classes and words for bad input and options, cancellation within a
 * step, and a thread that died is started again for the next call. Real weights, 48 px, few steps.
 */
import { readFile } from 'node:fs/promises';
import type { Worker } from 'node:worker_threads';
import { ImageInputError, JobCancelledError, ModelError, OptionError } from '../src/engine/types.js';
import { ThreadEngine } from '../src/jobs/engine-thread.js';
import { fixturePath, MODEL_DIR, testEngine } from './helpers/commands.js';

let engine: ThreadEngine;
let style: Buffer;

beforeAll(async () => {
  engine = await ThreadEngine.start({ modelDir: MODEL_DIR, threads: 1 }, false);
  style = await readFile(fixturePath('scream.jpg'));
});

afterAll(async () => {
  await engine?.dispose();
});

/** What a call rejected with (the test fails if it resolved). */
async function rejection(call: Promise<unknown>): Promise<Error> {
  try {
    await call;
  } catch (err) {
    return err as Error;
  }
  throw new Error('the call resolved');
}

it('makes the same palette as the engine in this thread, with its progress and preview', async () => {
  const options = { size: 48, iterations: 6, seed: 3, tiles: 1, previewEvery: 1 };
  const previews: Buffer[] = [];
  const there = await engine.palette([{ image: style }], options, { onProgress: (p) => p.preview && previews.push(p.preview) });
  const here = await (await testEngine()).palette([{ image: style }], options);
  expect(Buffer.isBuffer(there.image)).toBe(true);
  expect(there.image.equals(here.image)).toBe(true);
  expect(there.options).toEqual(here.options);
  expect(previews.length).toBeGreaterThan(0);
  expect(previews.every((p) => Buffer.isBuffer(p) && p.subarray(1, 4).toString() === 'PNG')).toBe(true);
});

it('keeps the engine’s error classes and words for bad input and options', async () => {
  const local = await testEngine();
  const notImage = Buffer.from('this is not an image');
  const there = await rejection(engine.stylize(notImage, [{ image: style }], { size: 48, iterations: 1 }));
  const here = await rejection(local.stylize(notImage, [{ image: style }], { size: 48, iterations: 1 }));
  expect(there).toBeInstanceOf(ImageInputError);
  expect((there as ImageInputError).code).toBe((here as ImageInputError).code);
  expect(there.message).toBe(here.message);

  const tooLarge = { size: engine.maxSize + 1, iterations: 1 };
  const badThere = await rejection(engine.palette([{ image: style }], tooLarge));
  const badHere = await rejection(local.palette([{ image: style }], tooLarge));
  expect(badThere).toBeInstanceOf(OptionError);
  expect((badThere as OptionError).option).toBe((badHere as OptionError).option);
  expect(badThere.message).toBe(badHere.message);
});

it('a cancelled call stops with JobCancelledError, and the engine takes the next one', async () => {
  const abort = new AbortController();
  const call = engine.palette([{ image: style }], { size: 48, iterations: 1000 }, { signal: abort.signal, onProgress: () => abort.abort() });
  expect(await rejection(call)).toBeInstanceOf(JobCancelledError);
  const next = await engine.palette([{ image: style }], { size: 48, iterations: 1 });
  expect(next.image.length).toBeGreaterThan(0);
});

it('a thread that dies fails the call in flight; the next call starts a new thread', async () => {
  const call = engine.palette([{ image: style }], { size: 48, iterations: 1000 });
  // As a crash would: the thread ends under the call it was just handed (before onnxruntime runs it:
  // a thread ended inside onnxruntime's native run takes the whole process down, crash or not).
  await (engine as unknown as { worker: Worker }).worker.terminate();
  expect((await rejection(call)).message).toMatch(/engine thread stopped/);
  const next = await engine.palette([{ image: style }], { size: 48, iterations: 1 });
  expect(next.image.length).toBeGreaterThan(0);
});

it('a start that fails rejects with the engine’s own error', async () => {
  const err = await rejection(ThreadEngine.start({ modelDir: '/nonexistent/weights', threads: 1 }, false));
  expect(err).toBeInstanceOf(ModelError);
});
