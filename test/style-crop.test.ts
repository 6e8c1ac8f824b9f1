/**
 * @jest-environment ./test/onnx-environment.cjs
 */
/**
 * crop=auto and the content-aware tiles: the face detector finds faces where they are, a half-length
 * portrait is cut to its head and shoulders, a picture with no clear subject is left whole (and the
 * reason says so), a crop never goes below 64 px, and copies shrink for a photo of small subjects.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { chooseTiles, COPY_PX } from '../src/engine/auto-tiles.js';
import { Engine } from '../src/engine/index.js';
import { TEST_THREADS } from './helpers/threads.js';
import { detectFaces } from '../src/engine/face-detector.js';
import { chooseCrop, cropImage, MIN_CROP_PX } from '../src/engine/style-crop.js';
import { subjectScale } from '../src/engine/subject-scale.js';

const HERE = new URL('.', import.meta.url).pathname;
const SHARED = path.resolve(HERE, '../../shared/fixtures');
const QUALITY = path.resolve(HERE, 'fixtures/quality');
const MODEL_DIR = process.env.TILESTYLE_MODEL_DIR ?? path.resolve(HERE, '../../shared/models/vgg19');
const shared = (f: string) => readFile(path.join(SHARED, f));
const quality = (f: string) => readFile(path.join(QUALITY, f));

/** The centre of a box, as fractions. */
const centre = (b: { x: number; y: number; width: number; height: number }) => ({ x: b.x + b.width / 2, y: b.y + b.height / 2 });

test('the face detector finds the one face of a portrait where it is, and none in photos of animals', async () => {
  // The head-and-shoulders portrait is the half-length one cut at (135, 5) to 180×200: the same face,
  // so the two detections must be the same face in each picture's own coordinates.
  const [half] = await detectFaces(await quality('style-astronaut.jpg'));
  const close = await detectFaces(await quality('style-portrait.jpg'));
  expect(half).toBeDefined();
  expect(close).toHaveLength(1);
  const inHalf = centre(half!);
  const inClose = centre(close[0]!);
  expect(Math.abs((inClose.x * 180 + 135) / 512 - inHalf.x)).toBeLessThan(0.02);
  expect(Math.abs((inClose.y * 200 + 5) / 512 - inHalf.y)).toBeLessThan(0.02);
  // The face is the head's size in the half-length picture: about a fifth of its width.
  expect(half!.width).toBeGreaterThan(0.15);
  expect(half!.width).toBeLessThan(0.3);
  expect(await detectFaces(await shared('eagle.jpg'))).toEqual([]);
});

test('a half-length portrait is cut to the head and shoulders around its face', async () => {
  for (const file of ['style-astronaut.jpg', 'style-hopper.jpg']) {
    const bytes = await quality(file);
    const [face] = await detectFaces(bytes);
    const choice = await chooseCrop(bytes);
    expect(choice.reason).toMatch(/^cropped to the face \(\d+ % of the picture\)$/);
    const box = choice.box!;
    // The face is inside the crop, and fills a good part of it.
    expect(box.left).toBeLessThanOrEqual(face!.x);
    expect(box.top).toBeLessThanOrEqual(face!.y);
    expect(box.left + box.width).toBeGreaterThanOrEqual(face!.x + face!.width);
    expect(box.top + box.height).toBeGreaterThanOrEqual(face!.y + face!.height);
    expect((face!.width * face!.height) / (box.width * box.height)).toBeGreaterThan(0.2);
    // The cut picture is the box of the upright original, and finds the face again.
    const meta = await sharp(bytes).metadata();
    const cut = await cropImage(bytes, box);
    const cutMeta = await sharp(cut).metadata();
    expect(cutMeta.width).toBe(Math.round(box.width * meta.width!));
    expect(cutMeta.height).toBe(Math.round(box.height * meta.height!));
    expect(await detectFaces(cut)).toHaveLength(1);
  }
});

test('a style with no clear subject, or whose subject already fills it, is left whole and the reason says so', async () => {
  expect(await chooseCrop(await shared('scream.jpg'))).toEqual({
    box: null,
    reason: 'not cropped: no face or object on a plain background stands out',
    found: 'unclear',
  });
  // A head-and-shoulders portrait is cut once more to the face and hair; that cut is not cut again.
  const portrait = await quality('style-portrait.jpg');
  const first = await chooseCrop(portrait);
  expect(first.found).toBe('face');
  expect(await chooseCrop(await cropImage(portrait, first.box!))).toEqual({
    box: null,
    reason: 'not cropped: the face already fills the picture',
    found: 'fills',
  });
  // Things the detector alone takes for a face now and then (a drum's head, a cartoon's eye) are not cut to.
  const labelled = (f: string) => readFile(path.join(HERE, 'fixtures/styles', f));
  expect((await chooseCrop(await labelled('object-scene-drums-on-grass.jpg'))).found).toBe('unclear');
  expect((await chooseCrop(await labelled('icon-cartoon-fish.png'))).found).toBe('fills');
  const guitar = await chooseCrop(await shared('guitar.png'));
  expect(guitar.box).toBeNull();
  expect(guitar.reason).toMatch(/^not cropped: /);
});

test('an object on a wide plain margin is cut to the object, with a little of the margin', async () => {
  const object = await sharp(await shared('game-controller.png'))
    .resize(120, 120)
    .png()
    .toBuffer();
  const padded = await sharp(object)
    .extend({ top: 100, bottom: 140, left: 60, right: 180, background: '#ffffff' })
    .flatten({ background: '#ffffff' })
    .png()
    .toBuffer();
  const choice = await chooseCrop(padded);
  expect(choice.reason).toMatch(/^cropped to the object/);
  const box = choice.box!;
  // 360×360 picture; the controller lies within (60..180, 100..220) and fills most of the crop.
  expect(box.left * 360).toBeLessThanOrEqual(62);
  expect((box.left + box.width) * 360).toBeGreaterThanOrEqual(178);
  expect(box.width * 360).toBeLessThan(150);
  expect(box.height * 360).toBeLessThan(150);
});

test('a crop never makes a side shorter than 64 px', async () => {
  // A small picture whose face box is under 64 px: the crop grows around it to the minimum.
  const small = await sharp(await quality('style-astronaut.jpg'))
    .resize(200, 200)
    .jpeg()
    .toBuffer();
  const choice = await chooseCrop(small);
  expect(choice.box).not.toBeNull();
  expect(Math.round(choice.box!.width * 200)).toBeGreaterThanOrEqual(MIN_CROP_PX);
  expect(Math.round(choice.box!.height * 200)).toBeGreaterThanOrEqual(MIN_CROP_PX);
});

test("copies shrink below the style-only size where the content photo's subjects are smaller, never where they are large", async () => {
  // At 384 px the people on the beach are about 65 px, smaller than a copy of about 85 px.
  const style = await quality('style-astronaut.jpg');
  const alone = await chooseTiles(style, 384);
  expect(alone.tiles).toBe(Math.round(384 / COPY_PX));
  const kites = await quality('content-kites.jpg');
  const dog = await shared('dog.jpg');
  const [small, large] = await Promise.all([subjectScale(kites), subjectScale(dog)]);
  expect(small.share).toBeLessThan(large.share);
  const withKites = await chooseTiles(style, 384, small);
  expect(withKites.tiles).toBeGreaterThan(alone.tiles);
  expect(withKites.reason).toMatch(/no larger than the photo's subjects$/);
  expect(await chooseTiles(style, 384, large)).toEqual(alone);
});

describe('the engine with a cropped style', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await Engine.create({ modelDir: MODEL_DIR, threads: TEST_THREADS });
  });
  afterAll(() => engine.dispose());

  test('a tiled half-length portrait is drawn from its head and shoulders; crop=none and an untiled style keep it whole', async () => {
    const style = await quality('style-astronaut.jpg');
    const expected = await chooseCrop(style);
    const opts = { size: 64, iterations: 4, tiles: 2, seed: 1 };
    const palette = await engine.palette([{ image: style }], opts);
    expect(palette.crop).toEqual({ box: expected.box, reason: expected.reason });
    expect(palette.options.crop).toEqual(expected.box);
    // The palette takes the aspect of what it repeats: the crop's (taller than wide), not the square original.
    const meta = await sharp(palette.image).metadata();
    const aspect = (expected.box!.width * 512) / (expected.box!.height * 512);
    expect(meta.width! / meta.height!).toBeCloseTo(aspect, 1);
    expect(meta.height).toBe(64);

    const whole = await engine.palette([{ image: style }], { ...opts, crop: 'none' });
    expect(whole.crop).toBeUndefined();
    expect(await sharp(whole.image).metadata()).toMatchObject({ width: 64, height: 64 });
    // Different targets: the pictures differ.
    expect(
      (await sharp(whole.image).raw().toBuffer()).equals(
        await sharp(await sharp(palette.image).resize(64, 64, { fit: 'fill' }).png().toBuffer())
          .raw()
          .toBuffer(),
      ),
    ).toBe(false);

    const untiled = await engine.palette([{ image: style }], { ...opts, tiles: 1 });
    expect(untiled.crop).toBeUndefined();
    expect(untiled.options.crop).toBe('none');

    // A stylize job reports the crop too, and a given box is used as it is.
    const result = await engine.stylize(await shared('dog.jpg'), [{ image: style }], { ...opts, crop: expected.box! });
    expect(result.crop).toEqual({ box: expected.box, reason: 'cropped as asked' });
  });

  test('a crop outside the picture is refused with a clear message', async () => {
    await expect(
      engine.palette([{ image: await quality('style-astronaut.jpg') }], {
        size: 64,
        iterations: 2,
        tiles: 2,
        crop: { left: 0.5, top: 0, width: 0.8, height: 1 },
      }),
    ).rejects.toThrow(/crop must be auto, none, or a box/);
  });
});
