/**
 * @jest-environment ./test/onnx-environment.cjs
 */
/**
 * The commands over the real engine at 64 px and a few steps: what a user sees for each command,
 * in order, and what must never happen (a job queued after a refusal, a stack trace in a reply).
 */
import sharp from 'sharp';
import { readFile } from 'node:fs/promises';
import { imageSource, invocation, makeTestCommands, RecordingPort, testEngine, testEngineWith, type TestCommands } from './helpers/commands.js';

let t: TestCommands;

beforeAll(async () => {
  t = await makeTestCommands({ createEngine: testEngine });
});

afterAll(async () => {
  await t?.close();
});

async function decodes(png: Buffer): Promise<{ width: number; height: number }> {
  const meta = await sharp(png).metadata();
  expect(meta.format).toBe('png');
  return { width: meta.width!, height: meta.height! };
}

function statusId(port: RecordingPort): string {
  return port.posts()[0]!.id;
}

describe('stylize', () => {
  it('answers with the queue position, progress, the palette then the result, the settings and rerun reactions', async () => {
    const port = new RecordingPort();
    await t.handler.handle(
      { kind: 'stylize', content: imageSource('dog.jpg'), style: imageSource('guitar.png'), options: { tiles: 2, seed: 7, iterations: 6 } },
      invocation('alice'),
      port,
    );
    await port.waitForSettings();
    expect(port.whispers()).toEqual([]);
    const [status, palette, result, settings] = port.posts();
    expect(status!.text).toContain('Starting now on cpu.');
    expect(port.reactionsOn(status!.id)).toEqual(['cancel']);

    const updates = port.updatesOf(status!.id).map((u) => u.text);
    expect(updates.some((u) => /palette: step \d+\/\d+/.test(u))).toBe(true);
    expect(updates.some((u) => /stylizing: step \d+\/6, about .* left · loss /.test(u))).toBe(true);
    const previews = port.updatesOf(status!.id).flatMap((u) => u.files ?? []);
    expect(previews.length).toBeGreaterThan(0);
    expect(previews[0]!.filename).toBe('preview.png');
    await decodes(previews[0]!.data);
    await port.waitFor((p) => /Done in .* on cpu\./.test(p.textOf(status!.id) ?? ''));

    expect(palette!.text).toContain('Palette of the style');
    expect(palette!.files[0]!.filename).toMatch(/^palette-.*\.png$/);
    expect(result!.text).toContain('Result — tiles 2×2, 64 px');
    expect(result!.files[0]!.filename).toMatch(/^result-.*\.png$/);
    const paletteSize = await decodes(palette!.files[0]!.data);
    const resultSize = await decodes(result!.files[0]!.data);
    expect(Math.max(paletteSize.width, paletteSize.height)).toBe(64);
    expect(Math.max(resultSize.width, resultSize.height)).toBe(64);
    // dog.jpg is landscape: the result keeps the content's aspect ratio.
    expect(resultSize.width).toBeGreaterThan(resultSize.height);

    expect(settings!.text).toMatch(/^Settings: tiles=2 size=64 iterations=6 strength=5 preserve_colors=no seed=7 · took [\d.]+ s on cpu · job \w+$/);
    expect(port.reactionsOn(palette!.id)).toEqual(['rerun']);
    expect(port.reactionsOn(result!.id)).toEqual(['rerun']);

    const jobId = /job (\w+)$/.exec(settings!.text)![1]!;
    const job = t.service.job(jobId)!;
    expect(job.state).toBe('done');
    expect(job.options).toMatchObject({ tiles: 2, seed: 7, size: 64 });
    expect(await readFile(job.files.result!)).toEqual(result!.files[0]!.data);
    const history = t.service.history({ platform: 'web', channel: 'test-channel' });
    expect(history.map((h) => h.id)).toContain(jobId);
  });
});

describe('palette', () => {
  it('posts the palette and the settings; the same style again comes from the cache in under a second', async () => {
    const port = new RecordingPort();
    await t.handler.handle({ kind: 'palette', style: imageSource('game-controller.png'), options: { tiles: 3, iterations: 5 } }, invocation('bob'), port);
    await port.waitForSettings();
    const files = port.filePosts();
    expect(files).toHaveLength(1);
    expect(files[0]!.files[0]!.filename).toMatch(/^palette-/);
    await decodes(files[0]!.files[0]!.data);
    expect(port.posts().at(-1)!.text).toMatch(/^Settings: tiles=3 size=64 iterations=5 seed=0 · took .* on cpu · job \w+$/);

    // Keep the queue busy so a cache hit must bypass it.
    const busy = new RecordingPort();
    await t.handler.handle(
      { kind: 'stylize', content: imageSource('eagle.jpg'), style: imageSource('face.png'), options: { iterations: 300 } },
      invocation('carol'),
      busy,
    );
    const again = new RecordingPort();
    await t.handler.handle({ kind: 'palette', style: imageSource('game-controller.png'), options: { tiles: '3', iterations: '5' } }, invocation('bob'), again);
    await again.waitForSettings(5000);
    // Answered while the busy job still runs: the cached palette did not wait in the queue.
    expect(busy.filePosts().length).toBeLessThan(2);
    expect(again.filePosts()[0]!.files[0]!.data).toEqual(files[0]!.files[0]!.data);
    expect(again.posts().at(-1)!.text).toContain('on the cache');
    await t.handler.handle({ kind: 'cancel' }, invocation('carol'), busy);
    await busy.waitFor((p) => (p.textOf(statusId(p)) ?? '').includes('Cancelled'));
    await t.service.idle();
  });
});

describe('tiles=auto', () => {
  it('chooses the tiles from the style before queueing, says why, caches the palette under that number and goes finer from it', async () => {
    const port = new RecordingPort({ channel: 'auto' });
    await t.handler.handle({ kind: 'palette', style: imageSource('face.png'), options: { iterations: 2 } }, invocation('auto', { channel: 'auto' }), port);
    await port.waitForSettings();
    const caption = port.filePosts()[0]!.text;
    // At 64 px one copy of about 85 px would fill the picture: the fewest tiles, 2, copies of 32 px.
    const match = /\(tiles (\d+): the style is a single object on a plain background; each copy ≈ 32 px, 64 px\)/.exec(caption);
    expect(match).not.toBeNull();
    const chosen = Number(match![1]);
    expect(chosen).toBe(2);
    const settings = port.posts().at(-1)!.text;
    expect(settings).toMatch(new RegExp(`^Settings: tiles=${chosen} size=64 iterations=2 seed=0 · `));
    const jobId = /job (\w+)$/.exec(settings)![1]!;
    expect(t.service.job(jobId)!.options.tiles).toBe(chosen);

    // The settings line typed back in names the number: the palette cache has it under that number.
    const typed = new RecordingPort({ channel: 'auto' });
    await t.handler.handle(
      { kind: 'palette', style: imageSource('face.png'), options: { tiles: String(chosen), iterations: 2 } },
      invocation('auto', { channel: 'auto' }),
      typed,
    );
    await typed.waitForSettings();
    expect(typed.posts().at(-1)!.text).toContain('on the cache');
    expect(typed.filePosts()[0]!.text).toContain(`tiles ${chosen}×${chosen}, 64 px`);
    expect(typed.filePosts()[0]!.files[0]!.data).toEqual(port.filePosts()[0]!.files[0]!.data);

    // 🔁 doubles from the chosen number.
    const rerun = new RecordingPort(port.where());
    await t.handler.handle({ kind: 'rerun', jobId }, invocation('auto', { channel: 'auto' }), rerun);
    await rerun.waitForSettings();
    const finer = Math.min(chosen * 2, 16);
    expect(rerun.posts()[0]!.text).toMatch(new RegExp(`^Re-run of job ${jobId} with finer tiles: ${chosen} → ${finer}\\.`));
    expect(rerun.filePosts()[0]!.text).toContain(`tiles ${finer}×${finer}`);
    expect(rerun.posts().at(-1)!.text).toMatch(new RegExp(`^Settings: tiles=${finer} `));
  });

  it('leaves a painting untiled and says so; an explicit tiles=N is obeyed', async () => {
    const port = new RecordingPort({ channel: 'auto-painting' });
    await t.handler.handle(
      { kind: 'palette', style: imageSource('scream.jpg'), options: { tiles: 'auto', iterations: 1, size: 32 } },
      invocation('auto'),
      port,
    );
    await port.waitForSettings();
    expect(port.filePosts()[0]!.text).toContain('(tiles 1: the style looks alike all over, like a painting, texture or landscape, 32 px)');
    expect(port.posts().at(-1)!.text).toMatch(/^Settings: tiles=1 size=32 /);

    const forced = new RecordingPort({ channel: 'auto-painting' });
    await t.handler.handle({ kind: 'palette', style: imageSource('scream.jpg'), options: { tiles: 5, iterations: 1, size: 32 } }, invocation('auto'), forced);
    await forced.waitForSettings();
    // Forced onto a painting, the automatic crop finds nothing to cut to, and says so.
    expect(forced.filePosts()[0]!.text).toContain('(tiles 5×5; not cropped: no face or object on a plain background stands out, 32 px)');
  });
});

describe('tiles=auto on photos of a subject', () => {
  it('tiles a portrait and an animal in their scenes, says why, and what the style was cut to', async () => {
    const cut = {
      'portrait-astronaut.jpg': /; cropped to the face \(\d+ % of the picture\), 64 px\)/,
      'animal-lemurs.jpg': /; not cropped: no face or object on a plain background stands out, 64 px\)/,
    };
    for (const [file, crop] of Object.entries(cut)) {
      const port = new RecordingPort({ channel: `subject-${file}` });
      const bytes = await readFile(new URL(`./fixtures/styles/${file}`, import.meta.url));
      await t.handler.handle({ kind: 'palette', style: imageSource({ name: file, bytes }), options: { iterations: 1 } }, invocation('subject'), port);
      await port.waitForSettings();
      const caption = port.filePosts()[0]!.text;
      expect(caption).toContain('(tiles 2: the style is a photo of a subject; each copy ≈ 32 px;');
      expect(caption).toMatch(crop);
      expect(port.posts().at(-1)!.text).toMatch(/^Settings: tiles=2 size=64 /);
    }
  });

  it('crop=none keeps the whole picture and says nothing of a crop; a crop that is not auto or none is refused', async () => {
    const bytes = await readFile(new URL('./fixtures/styles/portrait-astronaut.jpg', import.meta.url));
    const port = new RecordingPort({ channel: 'subject-uncut' });
    await t.handler.handle(
      { kind: 'palette', style: imageSource({ name: 'portrait.jpg', bytes }), options: { iterations: 1, crop: 'none' } },
      invocation('subject'),
      port,
    );
    await port.waitForSettings();
    expect(port.filePosts()[0]!.text).toContain('(tiles 2: the style is a photo of a subject; each copy ≈ 32 px, 64 px)');
    // The settings line names it, so that typing it back reproduces the palette.
    expect(port.posts().at(-1)!.text).toMatch(/^Settings: tiles=2 crop=none size=64 /);
    const bad = new RecordingPort({ channel: 'subject-uncut' });
    await t.handler.handle({ kind: 'palette', style: imageSource({ name: 'portrait.jpg', bytes }), options: { crop: 'face' } }, invocation('subject'), bad);
    expect(bad.whispers()).toEqual(['crop must be auto (cut a tiled style to its subject) or none (keep the whole picture), not "face".']);
  });
});

describe('tiles=sweep', () => {
  it('answers a palette with one picture of the palettes at 1, 2, 4 and 8 tiles, says how to get each, and caches it apart', async () => {
    const port = new RecordingPort({ channel: 'sweep' });
    await t.handler.handle(
      { kind: 'palette', style: imageSource('face.png'), options: { tiles: 'sweep', iterations: 2 } },
      invocation('sweeper', { channel: 'sweep' }),
      port,
    );
    await port.waitForSettings();
    const [image] = port.filePosts();
    expect(port.filePosts()).toHaveLength(1);
    expect(image!.text).toBe(
      'Palette sweep — the style alone at 1, 2, 4, 8 tiles, each 32 px. For one of them at full size: palette tiles=2, palette tiles=4, palette tiles=8 (or tiles=1 for none).',
    );
    // Four palettes at half the size (32 px), side by side under their labels.
    expect(await decodes(image!.files[0]!.data)).toEqual({ width: 4 * 32 + 3 * 4, height: 24 + 32 });
    // Its left and right ends differ: not one palette stretched, but four made with different tiles.
    const cell = (i: number) =>
      sharp(image!.files[0]!.data)
        .extract({ left: i * 36, top: 24, width: 32, height: 32 })
        .raw()
        .toBuffer();
    expect((await cell(0)).equals(await cell(3))).toBe(false);
    // A sweep shows the finer tilings already: no 🔁, and the settings line reproduces it.
    expect(port.reactionsOn(image!.id)).toEqual([]);
    const settings = port.posts().at(-1)!.text;
    expect(settings).toMatch(/^Settings: tiles=sweep size=64 iterations=2 seed=0 · /);

    // Asked again, it comes from the cache; a plain palette of the same style is not confused with it.
    const again = new RecordingPort({ channel: 'sweep' });
    await t.handler.handle(
      { kind: 'palette', style: imageSource('face.png'), options: { tiles: 'SWEEP', iterations: 2 } },
      invocation('sweeper', { channel: 'sweep' }),
      again,
    );
    await again.waitForSettings();
    expect(again.posts().at(-1)!.text).toContain('on the cache');
    expect(again.filePosts()[0]!.files[0]!.data).toEqual(image!.files[0]!.data);
    const single = new RecordingPort({ channel: 'sweep' });
    await t.handler.handle(
      { kind: 'palette', style: imageSource('face.png'), options: { tiles: 1, iterations: 2 } },
      invocation('sweeper', { channel: 'sweep' }),
      single,
    );
    await single.waitForSettings();
    expect(await decodes(single.filePosts()[0]!.files[0]!.data)).toEqual({ width: 64, height: 64 });

    // 🔁 on a sweep says how to get one count instead.
    const jobId = /job (\w+)$/.exec(settings)![1]!;
    const rerun = new RecordingPort({ channel: 'sweep' });
    await t.handler.handle({ kind: 'rerun', jobId }, invocation('sweeper', { channel: 'sweep' }), rerun);
    expect(rerun.whispers()[0]).toBe(
      `Job ${jobId} is a palette sweep: it already shows 1, 2, 4 and 8 tiles. For one at full size, ask palette tiles=4 (or the count you like).`,
    );
    expect(rerun.filePosts()).toHaveLength(0);
  });

  it('is for palettes only: stylize with tiles=sweep gets a clear answer and nothing is queued', async () => {
    const port = new RecordingPort();
    await t.handler.handle(
      { kind: 'stylize', content: imageSource('dog.jpg'), style: imageSource('face.png'), options: { tiles: 'sweep' } },
      invocation('sweeper'),
      port,
    );
    expect(port.whispers()).toEqual([
      "tiles=sweep is for palette: it shows the style's palettes at 1, 2, 4 and 8 tiles side by side. For /stylize, give tiles=auto or a number.",
    ]);
    expect(port.posts()).toHaveLength(0);
  });
});

describe('strength and balance', () => {
  it('runs with the automatic balance from strength, and with the raw weights when one is given', async () => {
    const seen: Record<string, unknown>[] = [];
    const spy = await makeTestCommands({
      createEngine: (device, index) =>
        testEngineWith(device, index, (engine) => ({
          stylize: (content, styles, options, controls) => {
            seen.push({ ...options });
            return engine.stylize(content, styles, options, controls);
          },
        })),
    });
    try {
      const run = async (options: Record<string, string | number>) => {
        const port = new RecordingPort();
        await spy.handler.handle(
          { kind: 'stylize', content: imageSource('dog.jpg'), style: imageSource('scream.jpg'), options: { iterations: 1, size: 32, ...options } },
          invocation(),
          port,
        );
        await port.waitForSettings();
        return port.posts().at(-1)!.text;
      };
      expect(await run({ strength: 8 })).toMatch(/^Settings: tiles=1 size=32 iterations=1 strength=8 preserve_colors=no seed=\d+ · /);
      expect(seen[0]).toMatchObject({ strength: 8, balance: 'auto', tiles: 1 });
      expect(await run({ content_weight: 3 })).toMatch(
        /^Settings: tiles=1 size=32 iterations=1 style_weight=1 content_weight=3 preserve_colors=no seed=\d+ · /,
      );
      expect(seen[1]).toMatchObject({ balance: 'manual', contentWeight: 3, styleWeight: 1 });
      expect(await run({})).toContain(' strength=5 ');
      expect(seen[2]).toMatchObject({ strength: 5, balance: 'auto' });
    } finally {
      await spy.close();
    }
  });

  it('never offers more than the engine runs, whatever the service is given', async () => {
    const wide = await makeTestCommands({ limits: { maxIterations: 5000, maxSize: 8192 } });
    try {
      expect(wide.service.limits.maxIterations).toBe(2000);
      expect(wide.service.limits.maxSize).toBeLessThanOrEqual(2048);
      const port = new RecordingPort();
      await wide.handler.handle({ kind: 'palette', style: imageSource('scream.jpg'), options: { iterations: 2001 } }, invocation(), port);
      expect(port.whispers()).toEqual(['iterations must be from 1 to 2000 (got 2001).']);
    } finally {
      await wide.close();
    }
  });
});

describe('rerun', () => {
  it('runs the job again with the next finer tiling and says so, from a reaction on any of its results', async () => {
    const port = new RecordingPort();
    await t.handler.handle({ kind: 'palette', style: imageSource('guitar.png'), options: { tiles: 2, iterations: 4 } }, invocation('dave'), port);
    await port.waitForSettings();
    const paletteMessage = port.filePosts()[0]!;

    const rerun = new RecordingPort(port.where());
    await t.handler.handle({ kind: 'rerun', messageId: paletteMessage.id }, invocation('erin'), rerun);
    await rerun.waitForSettings();
    expect(rerun.posts()[0]!.text).toMatch(/^Re-run of job \w+ with finer tiles: 2 → 4\.\n(Starting now|Queued)/);
    expect(rerun.posts().at(-1)!.text).toMatch(/^Settings: tiles=4 size=64 iterations=4 seed=0/);
    expect(rerun.filePosts()[0]!.files[0]!.data).not.toEqual(paletteMessage.files[0]!.data);
  });

  it('says so at the finest tiling, and when it cannot find the job', async () => {
    const port = new RecordingPort();
    await t.handler.handle({ kind: 'palette', style: imageSource('face.png'), options: { tiles: 16, iterations: 1, size: 32 } }, invocation('dave'), port);
    await port.waitForSettings();
    const jobId = /job (\w+)$/.exec(port.posts().at(-1)!.text)![1]!;
    await t.handler.handle({ kind: 'rerun', jobId }, invocation('dave'), port);
    expect(port.whispers().at(-1)).toBe(`Job ${jobId} already used the finest tiling (16×16), so there is nothing finer to run.`);
    await t.handler.handle({ kind: 'rerun', messageId: 'no-such-message' }, invocation('dave'), port);
    expect(port.whispers().at(-1)).toContain("I can't find a job for that.");
  });
});

describe('cancel', () => {
  it('removes a waiting job, stops a running one, and refuses politely for someone else', async () => {
    const first = new RecordingPort();
    const second = new RecordingPort();
    const user = invocation('frank');
    await t.handler.handle({ kind: 'palette', style: imageSource('eagle.jpg'), options: { iterations: 400 } }, user, first);
    await t.handler.handle({ kind: 'palette', style: imageSource('person.jpg'), options: { iterations: 400 } }, user, second);
    expect(first.posts()[0]!.text).toContain('Starting now on cpu.');
    expect(second.posts()[0]!.text).toContain('Queued — position 1 on cpu.');

    const other = new RecordingPort();
    await t.handler.handle({ kind: 'cancel', messageId: statusId(second) }, invocation('grace'), other);
    expect(other.whispers()).toEqual([expect.stringContaining("belongs to someone else, so I can't cancel it for you")]);

    const canceller = new RecordingPort();
    await t.handler.handle({ kind: 'cancel', messageId: statusId(second) }, user, canceller);
    expect(canceller.whispers().at(-1)).toMatch(/^Cancelled your waiting job \w+\.$/);
    expect(second.textOf(statusId(second))).toBe('Cancelled before it started.');

    await first.waitFor((p) => p.updatesOf(statusId(p)).some((u) => u.text.includes('step')));
    await t.handler.handle({ kind: 'cancel' }, user, canceller);
    expect(canceller.whispers().at(-1)).toMatch(/^Cancelling your running job \w+ — it stops within a step\.$/);
    await first.waitFor((p) => p.textOf(statusId(p)) === 'Cancelled.' && /^Job \w+ was cancelled\.$/.test(p.posts().at(-1)!.text));
    expect(first.filePosts()).toEqual([]);
    expect(second.filePosts()).toEqual([]);

    await t.handler.handle({ kind: 'cancel' }, user, canceller);
    expect(canceller.whispers().at(-1)).toBe('You have no job waiting or running.');
    await t.service.idle();
  });
});

describe('refusals', () => {
  const garbage = Buffer.from('this is not an image at all, just some text pretending to be a png');
  it.each([
    ['an unknown option', { options: { colour: 'red' } }, 'I don\'t know the option "colour".'],
    ['a bad value', { options: { tiles: 40 } }, 'tiles must be auto or from 1 to 16 (got 40).'],
    ['a strength over 10', { options: { strength: '11' } }, 'strength must be from 1 (keep the photo) to 10 (the style takes over) (got 11).'],
    ['strength with a raw weight', { options: { strength: 3, style_weight: 10 } }, 'give strength, or the weights, not both.'],
    ['a size over the cap', { options: { size: 4096 } }, 'size must be from 32 to 1024 pixels here (got 4096).'],
    [
      'a declared non-image',
      { style: imageSource('guitar.png', { contentType: 'application/pdf' }) },
      'The style image "guitar.png" is application/pdf, not an image.',
    ],
    [
      'a declared size over the limit',
      { content: imageSource('dog.jpg', { size: 50 * 2 ** 20 }) },
      'The content image "dog.jpg" is 50 MB; the limit is 10 MB.',
    ],
    [
      'a download that fails',
      { style: { name: 'x.png', load: () => Promise.reject(new Error('timed out')) } },
      'I couldn\'t download the style image "x.png" (timed out).',
    ],
    [
      'a file that is no image',
      { style: imageSource({ name: 'fake.png', bytes: garbage }) },
      'The style image "fake.png": That file isn\'t an image I can read (text).',
    ],
  ])('%s gets one clear message and nothing is queued', async (_what, change, message) => {
    const port = new RecordingPort({ channel: 'refusals' });
    const request = { kind: 'stylize' as const, content: imageSource('dog.jpg'), style: imageSource('scream.jpg'), options: {}, ...change };
    await t.handler.handle(request, invocation('henry', { channel: 'refusals' }), port);
    expect(port.whispers()).toHaveLength(1);
    expect(port.whispers()[0]).toContain(message);
    expect(port.whispers()[0]).not.toMatch(/\bat .*\.(ts|js):\d+/);
    expect(port.posts()).toEqual([]);
    expect(t.service.history({ platform: 'web', channel: 'refusals' })).toEqual([]);
  });
});

describe('progress and failures', () => {
  it('updates the status message at most once per interval', async () => {
    // A 32-px palette of 28 steps against an interval of 250 ms: steps come several times faster than updates may.
    const interval = 250;
    const slow = await makeTestCommands({ limits: { progressIntervalMs: interval } });
    try {
      const port = new RecordingPort();
      await slow.handler.handle({ kind: 'palette', style: imageSource('scream.jpg'), options: { iterations: 40, size: 32, seed: 11 } }, invocation(), port);
      await port.waitForSettings();
      const status = port.posts()[0]!;
      const duration = port.posts().at(-1)!.at - status.at;
      const progress = port.updatesOf(status.id).filter((u) => u.text.includes(' step '));
      // However fast the machine, a rate limit means no more updates than intervals (plus the first).
      expect(progress.length).toBeGreaterThan(0);
      expect(progress.length).toBeLessThanOrEqual(Math.floor(duration / interval) + 1);
      // The job's first preview goes at once (the picture starting to show is the first answer); every
      // other update waits out the interval.
      const firstPreview = progress.findIndex((u) => (u.files ?? []).length > 0);
      for (let i = 1; i < progress.length; i++) {
        if (i !== firstPreview) expect(progress[i]!.at - progress[i - 1]!.at).toBeGreaterThanOrEqual(interval - 10);
      }
    } finally {
      await slow.close();
    }
  });

  it('answers an unexpected engine failure with a friendly message, and survives a port that fails', async () => {
    const errors: unknown[][] = [];
    const log = { error: (...args: unknown[]) => void errors.push(args), warn: () => undefined, info: () => undefined };
    const broken = await makeTestCommands({
      log,
      createEngine: (device, index) =>
        testEngineWith(device, index, () => ({ palette: () => Promise.reject(new Error('native tensor exploded at kernel.cc:42')) })),
    });
    try {
      const port = new RecordingPort();
      await broken.handler.handle({ kind: 'palette', style: imageSource('scream.jpg'), options: {} }, invocation(), port);
      await port.waitFor((p) => p.posts().length >= 2);
      const last = port.posts().at(-1)!.text;
      expect(last).toMatch(/^Sorry, job \w+ failed: Something went wrong on my side/);
      expect(last).not.toContain('exploded');
      expect(port.textOf(statusId(port))).toBe('Failed.');
      expect(errors.some((args) => String(args[1]).includes('exploded'))).toBe(true);

      const failing: RecordingPort = Object.assign(new RecordingPort(), {
        post: () => Promise.reject(new Error('platform down')),
        whisper: () => Promise.reject(new Error('platform down')),
      });
      const logged = errors.length;
      await expect(broken.handler.handle({ kind: 'help' }, invocation(), failing)).resolves.toBeUndefined();
      await expect(
        broken.handler.handle({ kind: 'palette', style: imageSource('guitar.png'), options: { size: 'x' } }, invocation(), failing),
      ).resolves.toBeUndefined();
      // Each failed reply reached the operator's log, and the service answers the next request as usual.
      expect(errors.slice(logged).filter((args) => args.some((a) => String(a).includes('platform down')))).toHaveLength(2);
      const healthy = new RecordingPort();
      await broken.handler.handle({ kind: 'help' }, invocation(), healthy);
      expect(healthy.whispers()[0]).toContain('Commands:');
    } finally {
      await broken.close();
    }
  });
});

describe('help, status and unknown commands', () => {
  it('help lists the commands and every option with its range and default', async () => {
    const port = new RecordingPort();
    await t.handler.handle({ kind: 'help' }, invocation(), port);
    const text = port.whispers()[0]!;
    for (const word of ['stylize', 'palette', 'status', 'cancel', '🔁']) expect(text).toContain(word);
    expect(text).toContain(
      '• tiles — repeat the style image N×N so an object becomes the stroke; auto chooses; sweep shows 1, 2, 4, 8. Range auto, sweep (palette) or 1–16, default auto.',
    );
    expect(text).toContain(
      '• crop — auto cuts a tiled style to its subject (a face, an object) before repeating it; none keeps it whole. Range auto or none, default auto.',
    );
    expect(text).toContain(
      "• strength — how far the style takes over: low keeps the photo, high lets the style's objects take over (stylize only). Range 1–10, default 5.",
    );
    expect(text).toMatch(/Giving style_weight or content_weight turns that off and uses the raw weights/);
    expect(text).toContain('• size — longest side of the result in pixels. Range 32–1024 px, default 64.');
    expect(text).toContain('• iterations — optimizer steps; more is slower and finer. Range 1–1000, default 6.');
    for (const option of ['style_weight', 'content_weight', 'preserve_colors', 'seed']) expect(text).toContain(`• ${option} — `);
  });

  it("status shows the queues and the user's jobs", async () => {
    const port = new RecordingPort();
    await t.handler.handle({ kind: 'status' }, invocation('ivan'), port);
    expect(port.whispers()[0]).toBe('Queues:\n• cpu: idle\nYou have no jobs waiting or running.');
    await t.handler.handle({ kind: 'palette', style: imageSource('scream.jpg'), options: { iterations: 300 } }, invocation('ivan'), port);
    await t.handler.handle({ kind: 'status' }, invocation('ivan'), port);
    expect(port.whispers()[1]).toMatch(/^Queues:\n• cpu: 1 running, 0 waiting\nYour jobs:\n• palette \w+ — running on cpu$/);
    await t.handler.handle({ kind: 'cancel' }, invocation('ivan'), port);
    await t.service.idle();
  });

  it('an unknown command points to help', async () => {
    const port = new RecordingPort();
    await t.handler.handle({ kind: 'unknown', name: 'paint' }, invocation(), port);
    expect(port.whispers()).toEqual(['I don\'t know the command "paint". Try help to see what I can do.']);
    expect(port.posts()).toEqual([]);
  });
});
