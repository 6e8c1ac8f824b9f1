/**
 * @jest-environment ./test/onnx-environment.cjs
 */
/**
 * The buttons under a job's messages and what each asks of the commands, over the real engine at
 * small sizes: which buttons a message gets, the variations (finer, coarser, stronger, weaker, new
 * seed), Upscale (a new job kind: the result redrawn at twice its size), and the refusals.
 */
import sharp from 'sharp';
import { buttonId, parseButtonId, resultButtons } from '../src/commands/buttons.js';
import { imageSource, invocation, makeTestCommands, RecordingPort, type TestCommands } from './helpers/commands.js';

let t: TestCommands;

beforeAll(async () => {
  t = await makeTestCommands({ limits: { maxSize: 96 } });
});

afterAll(async () => {
  await t?.close();
});

function jobIdOf(port: RecordingPort): string {
  return /job (\w+)$/.exec(port.posts().at(-1)!.text)![1]!;
}

async function side(png: Buffer): Promise<number> {
  const meta = await sharp(png).metadata();
  return Math.max(meta.width!, meta.height!);
}

describe('button ids', () => {
  it('carry the action and the job, and refuse anything else', () => {
    const id = buttonId({ action: 'upscale', jobId: 'a1b2c3d4e5' });
    expect(id.length).toBeLessThanOrEqual(100);
    expect(parseButtonId(id)).toEqual({ action: 'upscale', jobId: 'a1b2c3d4e5' });
    expect(parseButtonId('tilestyle:explode:a1b2')).toBeNull();
    expect(parseButtonId('tilestyle:cancel:../../x')).toBeNull();
    expect(parseButtonId('other:cancel:a1b2')).toBeNull();
  });

  it('are offered only where they would do something', () => {
    const limits = { maxSize: 96, maxTiles: 16 };
    const base = {
      id: 'j',
      kind: 'stylize' as const,
      options: { tiles: 1, size: 64, iterations: 4, strength: 10, balance: 'auto' as const, styleWeight: 1, contentWeight: 1, preserveColors: false, seed: 1 },
    };
    expect(resultButtons(base, 'result', limits).map((b) => b.action)).toEqual(['finer', 'weaker', 'seed', 'upscale']);
    expect(resultButtons(base, 'palette', limits).map((b) => b.action)).toEqual(['finer', 'weaker', 'seed']);
    const finest = { ...base, options: { ...base.options, tiles: 16, size: 96, strength: 1 } };
    expect(resultButtons(finest, 'result', limits).map((b) => b.action)).toEqual(['coarser', 'stronger', 'seed']);
    const manual = { ...base, options: { ...base.options, balance: 'manual' as const } };
    expect(resultButtons(manual, 'result', limits).map((b) => b.action)).toEqual(['finer', 'seed', 'upscale']);
    expect(resultButtons({ ...base, kind: 'palette' }, 'palette', limits).map((b) => b.action)).toEqual(['finer', 'seed']);
  });
});

describe('buttons on a job', () => {
  let first: RecordingPort;
  let jobId: string;

  beforeAll(async () => {
    first = new RecordingPort();
    await t.handler.handle(
      { kind: 'stylize', content: imageSource('dog.jpg'), style: imageSource('guitar.png'), options: { tiles: 2, seed: 7, iterations: 3, size: 48 } },
      invocation('ann'),
      first,
    );
    await first.waitForSettings();
    jobId = jobIdOf(first);
  });

  it('puts Cancel on the status while the job runs, and takes it away when the job is done', async () => {
    const status = first.posts()[0]!;
    expect(status.buttons).toEqual([{ action: 'cancel', jobId, label: 'Cancel' }]);
    await first.waitFor((p) => /Done in/.test(p.textOf(status.id) ?? ''));
    expect(first.buttonsOf(status.id)).toEqual([]);
  });

  it('puts the variations under the palette and the result, Upscale under the result only', () => {
    const [palette, result] = first.filePosts();
    expect(palette!.buttons!.map((b) => b.action)).toEqual(['finer', 'coarser', 'stronger', 'weaker', 'seed']);
    expect(result!.buttons!.map((b) => b.action)).toEqual(['finer', 'coarser', 'stronger', 'weaker', 'seed', 'upscale', 'send', 'delete']);
    expect(result!.buttons!.every((b) => b.jobId === jobId)).toBe(true);
  });

  it.each([
    ['coarser', /with coarser tiles: 2 → 1\./, /^Settings: tiles=1 size=48 iterations=3 strength=5 preserve_colors=no seed=7 /],
    ['stronger', /with more strength: 5 → 7\./, /^Settings: tiles=2 size=48 iterations=3 strength=7 preserve_colors=no seed=7 /],
    ['weaker', /with less strength: 5 → 3\./, /^Settings: tiles=2 size=48 iterations=3 strength=3 preserve_colors=no seed=7 /],
  ] as const)('%s runs the job again with that one change', async (change, intro, settings) => {
    const port = new RecordingPort(first.where());
    await t.handler.handle({ kind: 'rerun', jobId, change }, invocation('bob'), port);
    await port.waitForSettings();
    expect(port.posts()[0]!.text).toMatch(intro);
    expect(port.posts().at(-1)!.text).toMatch(settings);
    expect(t.service.job(jobIdOf(port))).toMatchObject({ parentId: jobId, kind: 'stylize', user: { id: 'bob' } });
  });

  it('New seed draws another seed and keeps the rest', async () => {
    const port = new RecordingPort(first.where());
    await t.handler.handle({ kind: 'rerun', jobId, change: 'seed' }, invocation('ann'), port);
    await port.waitForSettings();
    const seed = Number(/seed=(\d+)/.exec(port.posts().at(-1)!.text)![1]);
    expect(seed).not.toBe(7);
    expect(port.posts()[0]!.text).toContain(`with a new seed: 7 → ${seed}.`);
  });

  it('Upscale redraws the result at twice its size from itself, capped at the size limit, and no further', async () => {
    const port = new RecordingPort(first.where());
    await t.handler.handle({ kind: 'rerun', jobId, change: 'upscale' }, invocation('ann'), port);
    await port.waitForSettings();
    expect(port.whispers()).toEqual([]);
    expect(port.posts()[0]!.text).toMatch(new RegExp(`^Upscale of job ${jobId}: 48 → 96 px\\.`));
    // No palette again: the upscale shows its result alone.
    expect(port.filePosts()).toHaveLength(1);
    const result = port.filePosts()[0]!;
    expect(await side(result.files[0]!.data)).toBe(96);
    expect(result.buttons!.map((b) => b.action)).not.toContain('upscale');
    const upscaled = jobIdOf(port);
    expect(t.service.job(upscaled)).toMatchObject({ kind: 'upscale', parentId: jobId, state: 'done', options: { size: 96, tiles: 2, seed: 7 } });
    expect(port.posts().at(-1)!.text).toMatch(/^Settings: tiles=2 size=96 iterations=3 strength=5 preserve_colors=no seed=7 /);

    await t.handler.handle({ kind: 'rerun', jobId: upscaled, change: 'upscale' }, invocation('ann'), port);
    expect(port.whispers().at(-1)).toBe(`Job ${upscaled} is already 96 px, the largest size here, so it can't be upscaled.`);
    // A variation of an upscale is a stylize job at its size.
    const finer = new RecordingPort(first.where());
    await t.handler.handle({ kind: 'rerun', jobId: upscaled, change: 'finer' }, invocation('ann'), finer);
    await finer.waitForSettings();
    expect(t.service.job(jobIdOf(finer))).toMatchObject({ kind: 'stylize', options: { size: 96, tiles: 4 } });
  });
});

describe('refusals of a button', () => {
  it('says why, privately, and queues nothing', async () => {
    const port = new RecordingPort();
    await t.handler.handle({ kind: 'palette', style: imageSource('face.png'), options: { tiles: 1, iterations: 1, size: 32 } }, invocation('cy'), port);
    await port.waitForSettings();
    const paletteId = jobIdOf(port);
    const asks = new RecordingPort(port.where());
    for (const change of ['coarser', 'stronger', 'upscale'] as const) {
      await t.handler.handle({ kind: 'rerun', jobId: paletteId, change }, invocation('cy'), asks);
    }
    expect(asks.whispers()).toEqual([
      `Job ${paletteId} used no tiling, so there is nothing coarser to run.`,
      `Job ${paletteId} is a palette: it has no strength to change.`,
      `Job ${paletteId} is a palette; Upscale works on a result.`,
    ]);
    expect(asks.posts()).toEqual([]);
    // A job of another platform is not found from here.
    await t.handler.handle({ kind: 'rerun', jobId: paletteId, change: 'seed' }, { ...invocation('cy'), platform: 'slack' }, asks);
    expect(asks.whispers().at(-1)).toBe("I can't find a job for that here.");
  });
});
