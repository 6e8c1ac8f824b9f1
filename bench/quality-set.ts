/**
 * `npx tsx bench/quality-set.ts [DIR]` assembles the broad quality set (default DIR: ../quality-set
 * beside the checkout) from Debian and npm packages the project does not otherwise use: content photos
 * of the kinds people post, and object styles (cut-out photos of objects, emoji), with DIR/MANIFEST.md
 * naming each file's package, path and licence. Nothing of it is committed: the packages are fetched
 * with `apt-get download` and `npm pack` (no install, package.json untouched) into DIR/.cache.
 * Photos are scaled to 1024 px on their long side (JPEG); emoji SVGs are drawn at 512 px (PNG).
 * bench/quality-set.md is the manifest it writes, kept in the repository.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';

const ROOT = path.resolve(new URL('.', import.meta.url).pathname, '..');
const OUT = path.resolve(process.argv[2] ?? path.join(ROOT, '../quality-set'));
const CACHE = path.join(OUT, '.cache');

interface Source {
  /** `deb:NAME` (Debian package, bookworm) or `npm:NAME@VERSION`. */
  pkg: string;
  licence: string;
}
const SOURCES: Record<string, Source> = {
  plasma: { pkg: 'deb:plasma-workspace-wallpapers', licence: "LGPL-3 (each wallpaper's metadata.json)" },
  mate: { pkg: 'deb:mate-backgrounds', licence: 'GPL-2+ (debian/copyright)' },
  lomiri: { pkg: 'deb:lomiri-wallpapers-20.04', licence: 'CC-BY-SA-3.0, Lukas Baubkus (debian/copyright)' },
  skimage: { pkg: 'deb:python3-skimage', licence: 'see per file (skimage/data/_fetchers.py)' },
  opencv: {
    pkg: 'deb:opencv-doc',
    licence: "Apache-2.0 / BSD-3 (debian/copyright, data/*: Intel); the photos' own provenance is not stated: for measuring here only",
  },
  tracking: { pkg: 'npm:tracking@1.1.3', licence: "BSD-3 (the package's LICENSE); the photos' own provenance is not stated: for measuring here only" },
  tuxpaint: { pkg: 'deb:tuxpaint-stamps-default', licence: 'GPL-2 (debian/copyright, Bill Kendrick and contributors)' },
  openmoji: { pkg: 'npm:openmoji@17.0.0', licence: 'CC-BY-SA-4.0 (OpenMoji, HfG Schwäbisch Gmünd)' },
};

interface Entry {
  name: string;
  from: keyof typeof SOURCES;
  file: string;
  what: string;
  licence?: string;
}

const PLASMA = 'usr/share/wallpapers';
const MATE = 'usr/share/backgrounds/mate/nature';
const SKIMAGE = 'usr/lib/python3/dist-packages/skimage/data';
const OPENCV = 'usr/share/doc/opencv-doc/examples/data';
const STAMPS = 'usr/share/tuxpaint/stamps';

/** Photos of the kinds people post: dusk and night, fog, close-ups on blur, busy scenes, food, pets, people. */
const CONTENTS: Entry[] = [
  {
    name: 'dusk-boats',
    from: 'plasma',
    file: `${PLASMA}/EveningGlow/contents/images/1920x1080.jpg`,
    what: 'rowing boats on a shore at sunset, clouds lit orange',
  },
  {
    name: 'dusk-lake',
    from: 'plasma',
    file: `${PLASMA}/summer_1am/contents/images/1920x1080.jpg`,
    what: 'a lake after sunset, pink horizon, reeds (low contrast)',
  },
  {
    name: 'dusk-dock',
    from: 'plasma',
    file: `${PLASMA}/BytheWater/contents/images/1920x1080.jpg`,
    what: 'wooden deck over a lake, low sun, blurred far shore',
  },
  { name: 'fog-pier', from: 'plasma', file: `${PLASMA}/ColdRipple/contents/images/1920x1080.jpg`, what: 'a pier into fog, grey, nearly monochrome' },
  {
    name: 'fog-night-lake',
    from: 'plasma',
    file: `${PLASMA}/DarkestHour/contents/images/1920x1080.jpg`,
    what: 'a misty lake at blue hour, dark, islands barely visible',
  },
  { name: 'cups', from: 'plasma', file: `${PLASMA}/ColorfulCups/contents/images/2560x1600.jpg`, what: 'stacked paper cups seen from above, close-up' },
  {
    name: 'leaf-closeup',
    from: 'plasma',
    file: `${PLASMA}/FallenLeaf/contents/images/1920x1080.jpg`,
    what: 'an autumn leaf on the ground, blurred background',
  },
  { name: 'facade', from: 'plasma', file: `${PLASMA}/Grey/contents/images/1920x1080.jpg`, what: 'black-and-white wavy facade of a building' },
  {
    name: 'kite-sky',
    from: 'plasma',
    file: `${PLASMA}/Kite/contents/images/1920x1080.jpg`,
    what: 'a small kite in a blue sky, clouds at the edge (small subject)',
  },
  {
    name: 'plants-above',
    from: 'plasma',
    file: `${PLASMA}/OneStandsOut/contents/images/1920x1080.jpg`,
    what: 'green spiky plants from above, one orange (busy texture)',
  },
  { name: 'forest-path', from: 'plasma', file: `${PLASMA}/Path/contents/images/1920x1080.jpg`, what: 'a path through a dark pine forest' },
  { name: 'flower-red', from: 'mate', file: `${MATE}/Garden.jpg`, what: 'a red flower, blurred orange and green background' },
  { name: 'dune-grass', from: 'mate', file: `${MATE}/Dune.jpg`, what: 'dune grass against the sea, shallow focus' },
  { name: 'water-drop', from: 'mate', file: `${MATE}/Aqua.jpg`, what: 'a water drop splash, dark blue, shallow focus' },
  { name: 'dandelion-seed', from: 'mate', file: `${MATE}/TwoWings.jpg`, what: 'dandelion seeds on blurred orange flowers' },
  { name: 'storm-road', from: 'mate', file: `${MATE}/Storm.jpg`, what: 'a road under a dark storm sky (low light)' },
  { name: 'leaf-drops', from: 'mate', file: `${MATE}/RainDrops.jpg`, what: 'rain drops on a green leaf, close-up' },
  { name: 'ladybird', from: 'mate', file: `${MATE}/LadyBird.jpg`, what: 'a ladybird on a stem among small blue flowers, blurred' },
  { name: 'flower-yellow', from: 'mate', file: `${MATE}/YellowFlower.jpg`, what: 'a yellow flower on black, close-up' },
  { name: 'flower-orange', from: 'mate', file: `${MATE}/FreshFlower.jpg`, what: 'petals of an orange flower filling the frame' },
  {
    name: 'nuthatch',
    from: 'lomiri',
    file: 'usr/share/backgrounds/Kleiber_by_Lukas_Baubkus.jpg',
    what: 'a nuthatch on a tree trunk, background blurred to white',
  },
  {
    name: 'cat-indoors',
    from: 'skimage',
    file: `${SKIMAGE}/chelsea.png`,
    what: "a tabby cat's face indoors (pet, close-up)",
    licence: 'CC0, Stefan van der Walt',
  },
  { name: 'coffee', from: 'skimage', file: `${SKIMAGE}/coffee.png`, what: 'an espresso cup on a saucer, wooden table (food)', licence: 'CC0, Rachel Michetti' },
  {
    name: 'rocket-night',
    from: 'skimage',
    file: `${SKIMAGE}/rocket.jpg`,
    what: 'a rocket on its pad at night, lights (low light)',
    licence: 'public domain, SpaceX',
  },
  {
    name: 'motorcycle-garage',
    from: 'skimage',
    file: `${SKIMAGE}/motorcycle_left.png`,
    what: 'a red motorcycle in a cluttered garage (busy, indoors)',
    licence: 'Middlebury stereo data set, no stated restrictions',
  },
  { name: 'footballer', from: 'opencv', file: `${OPENCV}/messi5.jpg`, what: 'a footballer kicking a ball, crowd behind (busy)' },
  { name: 'fruit', from: 'opencv', file: `${OPENCV}/fruits.jpg`, what: 'cut orange, kiwi, lemon, lime (food close-up)' },
  { name: 'butterfly', from: 'opencv', file: `${OPENCV}/butterfly.jpg`, what: 'a black-and-white butterfly on a striped leaf' },
  { name: 'hotel-street', from: 'opencv', file: `${OPENCV}/building.jpg`, what: 'a hotel building, trees and a lawn' },
  { name: 'squirrel', from: 'opencv', file: `${OPENCV}/squirrel_cls.jpg`, what: 'a squirrel eating on a branch, leaves' },
  { name: 'two-people-indoors', from: 'opencv', file: `${OPENCV}/basketball1.png`, what: 'two men passing a ball in a corridor (greyscale)' },
  { name: 'aerial-town', from: 'opencv', file: `${OPENCV}/aero1.jpg`, what: 'a town and river from the air (busy, small detail)' },
  { name: 'old-street', from: 'opencv', file: `${OPENCV}/leuvenA.jpg`, what: 'a cobbled street between brick houses, overcast' },
  { name: 'baboon', from: 'opencv', file: `${OPENCV}/baboon.jpg`, what: "a mandrill's face filling the frame" },
  { name: 'group-three', from: 'tracking', file: 'package/examples/assets/faces.jpg', what: 'three men posing indoors, head and shoulders (a group)' },
  { name: 'piazza', from: 'tracking', file: 'package/examples/assets/fish_tank/px.png', what: 'an empty town square, low sun on the houses (a cube-map face)' },
];

/** Object styles: cut-out photos (alpha) and emoji, wide and tall among them. */
const STYLES: Entry[] = [
  { name: 'tiger', from: 'tuxpaint', file: `${STAMPS}/animals/mammals/cats/tiger_sumatran.png`, what: 'photo: a tiger walking, side view (wide, 453×198)' },
  { name: 'capybara', from: 'tuxpaint', file: `${STAMPS}/animals/mammals/rodents/capybara.png`, what: 'photo: a capybara lying down (wide, 366×169)' },
  { name: 'hedgehog', from: 'tuxpaint', file: `${STAMPS}/animals/mammals/hedgehog.png`, what: 'drawing: a hedgehog carrying an apple (wide, 463×288)' },
  { name: 'strawberry', from: 'tuxpaint', file: `${STAMPS}/food/fruit/Strawberry2.png`, what: 'photo: a strawberry (tall, 272×500)' },
  { name: 'pizza', from: 'tuxpaint', file: `${STAMPS}/food/pizza.png`, what: 'drawing: a slice of pizza (500×500)' },
  { name: 'lightbulb', from: 'tuxpaint', file: `${STAMPS}/household/Lightbulb.png`, what: 'photo: a light bulb (tall, 301×500)' },
  { name: 'candle', from: 'tuxpaint', file: `${STAMPS}/seasonal/candle.png`, what: 'photo: a lit candle (very tall, 192×648)' },
  { name: 'key', from: 'openmoji', file: 'package/color/svg/1F511.svg', what: 'emoji 🔑 key (diagonal, long)' },
  { name: 'banana', from: 'openmoji', file: 'package/color/svg/1F34C.svg', what: 'emoji 🍌 banana' },
  { name: 'car', from: 'openmoji', file: 'package/color/svg/1F697.svg', what: 'emoji 🚗 car (wide)' },
  { name: 'crocodile', from: 'openmoji', file: 'package/color/svg/1F40A.svg', what: 'emoji 🐊 crocodile, lying (very wide)' },
  { name: 'cat', from: 'openmoji', file: 'package/color/svg/1F408.svg', what: 'emoji 🐈 cat, side view (wide)' },
];

const run = (cmd: string, args: string[], cwd: string) => execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'] }).toString();

/** Unpacks a source's package into CACHE/<key> once (no install), returns that folder. */
async function unpacked(key: string): Promise<string> {
  const dir = path.join(CACHE, key);
  if (existsSync(path.join(dir, '.done'))) return dir;
  await mkdir(dir, { recursive: true });
  const pkg = SOURCES[key].pkg;
  const [kind, name] = [pkg.slice(0, pkg.indexOf(':')), pkg.slice(pkg.indexOf(':') + 1)];
  if (kind === 'deb') {
    run('apt-get', ['download', name], CACHE);
    const deb = (await readdir(CACHE)).find((f) => f.startsWith(`${name}_`) && f.endsWith('.deb'))!;
    run('dpkg', ['-x', path.join(CACHE, deb), dir], CACHE);
  } else {
    const tgz = run('npm', ['pack', name, '--silent'], CACHE).trim().split('\n').pop()!;
    run('tar', ['xzf', path.join(CACHE, tgz), '-C', dir], CACHE);
  }
  await writeFile(path.join(dir, '.done'), '');
  return dir;
}

async function place(e: Entry, folder: 'content' | 'style'): Promise<string> {
  const src = path.join(await unpacked(e.from), e.file);
  if (e.file.endsWith('.svg')) {
    const out = path.join(OUT, folder, `${e.name}.png`);
    await sharp(src, { density: 600 }).resize(512, 512, { fit: 'inside' }).png().toFile(out);
    return out;
  }
  if (folder === 'style') {
    // Cut-outs keep their alpha: the engine's crop finds the object on it.
    const out = path.join(OUT, folder, `${e.name}.png`);
    await sharp(src).png().toFile(out);
    return out;
  }
  const out = path.join(OUT, folder, `${e.name}.jpg`);
  await sharp(src)
    .rotate()
    .flatten({ background: '#ffffff' })
    .resize(1024, 1024, { fit: 'inside', withoutEnlargement: true })
    .jpeg({ quality: 90 })
    .toFile(out);
  return out;
}

await mkdir(path.join(OUT, 'content'), { recursive: true });
await mkdir(path.join(OUT, 'style'), { recursive: true });
const lines = [
  '# Broad quality set',
  '',
  'Assembled by `bench/quality-set.ts` from packages the project does not otherwise use. Photos scaled to',
  '1024 px on the long side (JPEG q90); cut-out photos kept as they are (PNG with alpha); emoji SVGs drawn',
  'at 512 px.',
  '',
  '| file | what | package | path in the package | licence |',
  '|---|---|---|---|---|',
];
for (const [folder, entries] of [
  ['content', CONTENTS],
  ['style', STYLES],
] as const)
  for (const e of entries) {
    const out = await place(e, folder);
    const { width, height } = await sharp(out).metadata();
    const src = SOURCES[e.from];
    lines.push(
      `| ${folder}/${path.basename(out)} | ${e.what} (${width}×${height}) | ${src.pkg.replace(/^deb:/, 'Debian ')} | ${e.file} | ${e.licence ?? src.licence} |`,
    );
    console.log(`${folder}/${path.basename(out)}`);
  }
lines.push(
  '',
  'Not found in any package reachable here: snow, a selfie, a night street, a market. The group is one',
  "photo of three; `npm run quality` adds the face detector's group photos (group1, group5).",
);
await writeFile(path.join(OUT, 'MANIFEST.md'), `${lines.join('\n')}\n`);
console.log(`${CONTENTS.length} photos, ${STYLES.length} styles in ${OUT}`);
