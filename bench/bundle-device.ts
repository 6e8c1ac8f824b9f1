/**
 * Packs what a bare Linux x86-64 GPU machine (no Node, no network) needs to run bench/device-check.sh:
 * this Node binary, the check and the engine bundled into one JS file, onnxruntime-node's and sharp's
 * native parts, the VGG19 weights, two fixture images and the Vulkan loader's Debian packages.
 *
 *   npm run bundle:device [-- --out dist/device] [--level 0-9] [--node /usr/bin/node] [--max-mib 60]
 *     [--model-dir DIR] [--fixtures DIR --content dog.jpg --style scream.jpg]
 *     [--debs dist/cache/debs] [--allow-missing-debs]
 *
 * Output: <out>/tilestyle-device.tar.xz and <out>/device-check.sh (which unpacks and runs it).
 */
import { execFile, spawn } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, open, readdir, readFile, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import * as esbuild from 'esbuild';
import { ensureDebs, GPU_DEBS } from './device/debs.js';
import { copyPackages } from './device/packages.js';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const NAME = 'tilestyle-device';
/** Packages with native parts: kept as packages next to the bundle rather than inlined into it. */
const NATIVE_PACKAGES = ['onnxruntime-node', 'sharp'];
const MIB = 2 ** 20;
const run = promisify(execFile);
const log = (m: string) => console.error(m);

interface Options {
  out: string;
  level: number;
  node: string;
  modelDir: string;
  fixtures: string;
  content: string;
  style: string;
  debs: string;
  maxMib: number;
  allowMissingDebs: boolean;
}

function options(): Options {
  const { values: v } = parseArgs({
    options: {
      out: { type: 'string', default: path.join(ROOT, 'dist/device') },
      level: { type: 'string', default: '9' },
      node: { type: 'string', default: process.execPath },
      'model-dir': { type: 'string', default: process.env.TILESTYLE_MODEL_DIR ?? path.resolve(ROOT, '../shared/models/vgg19') },
      fixtures: { type: 'string', default: process.env.TILESTYLE_FIXTURES ?? path.resolve(ROOT, '../shared/fixtures') },
      content: { type: 'string', default: 'dog.jpg' },
      style: { type: 'string', default: 'scream.jpg' },
      debs: { type: 'string', default: path.join(ROOT, 'dist/cache/debs') },
      'max-mib': { type: 'string', default: '60' },
      'allow-missing-debs': { type: 'boolean', default: false },
    },
  });
  const level = Number(v.level);
  if (!Number.isInteger(level) || level < 0 || level > 9) throw new Error(`--level must be an xz preset from 0 to 9 (got '${v.level}').`);
  return {
    out: path.resolve(v.out!),
    level,
    node: v.node!,
    modelDir: path.resolve(v['model-dir']!),
    fixtures: path.resolve(v.fixtures!),
    content: v.content!,
    style: v.style!,
    debs: path.resolve(v.debs!),
    maxMib: Number(v['max-mib']),
    allowMissingDebs: v['allow-missing-debs']!,
  };
}

/** The bundle only makes sense for the GPU machine's platform: Linux on x86-64. */
async function checkNodeBinary(file: string): Promise<void> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `The device bundle carries this machine's native libraries, so it must be built on Linux x86-64 (this is ${process.platform} ${process.arch}).`,
    );
  }
  const fh = await open(file, 'r');
  try {
    const head = Buffer.alloc(20);
    await fh.read(head, 0, 20, 0);
    const elf = head.subarray(0, 4).toString('latin1') === '\x7fELF';
    if (!elf || head.readUInt16LE(18) !== 0x3e) throw new Error(`${file} is not an x86-64 Linux executable; pass --node with one.`);
  } finally {
    await fh.close();
  }
}

/**
 * The check and the engine as one ES module. The tfjs backend is left out (the check uses onnx
 * only; tfjs would add megabytes): importing it fails with a clear message instead.
 */
async function bundleJs(outfile: string): Promise<number> {
  const tfjsDir = path.join(ROOT, 'src/engine/tfjs');
  const result = await esbuild.build({
    entryPoints: [path.join(ROOT, 'bench/device-check.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: NATIVE_PACKAGES,
    metafile: true,
    logLevel: 'warning',
    legalComments: 'none',
    // CommonJS dependencies inlined into an ES module still call require() for Node's built-ins.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    plugins: [
      {
        name: 'leave-out-tfjs',
        setup(build) {
          build.onResolve({ filter: /tfjs/ }, (args) => {
            const target = path.resolve(args.resolveDir, args.path);
            if (!target.startsWith(tfjsDir + path.sep)) return undefined;
            return { path: target, namespace: 'left-out' };
          });
          build.onLoad({ filter: /.*/, namespace: 'left-out' }, () => ({
            contents: "throw new Error('The tfjs backend is not part of the device bundle; use the onnx backend.');",
            loader: 'js',
          }));
        },
      },
    ],
  });
  const allowed = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`), ...NATIVE_PACKAGES]);
  const externals = Object.values(result.metafile.outputs).flatMap((o) => o.imports.filter((i) => i.external).map((i) => i.path));
  const stray = [...new Set(externals.filter((p) => !allowed.has(p)))];
  if (stray.length > 0) throw new Error(`The bundled check imports packages that are not packed: ${stray.join(', ')}.`);
  return (await stat(outfile)).size;
}

async function copyDir(from: string, to: string): Promise<number> {
  await mkdir(to, { recursive: true });
  let bytes = 0;
  for (const entry of await readdir(from, { withFileTypes: true })) {
    if (!entry.isFile()) continue;
    await copyFile(path.join(from, entry.name), path.join(to, entry.name));
    bytes += (await stat(path.join(from, entry.name))).size;
  }
  return bytes;
}

async function gitDescription(): Promise<string> {
  try {
    const { stdout: commit } = await run('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT });
    const { stdout: status } = await run('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT });
    return `${commit.trim()}${status.trim() ? ' (with uncommitted changes)' : ''}`;
  } catch {
    return 'unknown';
  }
}

/** tar | xz into `file`, written under a temporary name so a half-written archive is never left. */
async function packTarXz(parent: string, dir: string, file: string, level: number): Promise<void> {
  const partial = `${file}.partial`;
  const fh = await open(partial, 'w');
  try {
    await new Promise<void>((resolve, reject) => {
      const tar = spawn('tar', ['-C', parent, '--sort=name', '--owner=0', '--group=0', '--numeric-owner', '-cf', '-', dir], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const xz = spawn('xz', [`-${level}`, '-T1', '-c'], { stdio: ['pipe', fh.fd, 'inherit'] });
      tar.stdout.pipe(xz.stdin!);
      let pending = 2;
      const done = (what: string) => (code: number | null) => {
        if (code !== 0) reject(new Error(`${what} exited with status ${code}.`));
        else if (--pending === 0) resolve();
      };
      tar.on('error', reject).on('close', done('tar'));
      xz.on('error', reject).on('close', done('xz'));
    });
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  } finally {
    await fh.close();
  }
  await rename(partial, file);
}

const mib = (bytes: number) => `${(bytes / MIB).toFixed(1)} MiB`;

async function main(): Promise<void> {
  const o = options();
  const node = await realpath(o.node);
  await checkNodeBinary(node);
  const staging = await mkdtemp(path.join(os.tmpdir(), 'tilestyle-bundle-'));
  const top = path.join(staging, NAME);
  const parts: [string, number][] = [];
  try {
    await mkdir(path.join(top, 'bin'), { recursive: true });
    await copyFile(node, path.join(top, 'bin/node'));
    await chmod(path.join(top, 'bin/node'), 0o755);
    parts.push([`node ${process.version} (${node})`, (await stat(node)).size]);

    parts.push(['check + engine (one ES module)', await bundleJs(path.join(top, 'app/device-check.mjs'))]);
    const packages = await copyPackages(NATIVE_PACKAGES, ROOT, path.join(top, 'app'));
    for (const p of packages) parts.push([p.rel.replace(/^node_modules\//, ''), p.bytes]);

    const manifest = JSON.parse(
      await readFile(path.join(o.modelDir, 'manifest.json'), 'utf8').catch(() => {
        throw new Error(`No VGG19 weights at ${o.modelDir} (manifest.json missing): set TILESTYLE_MODEL_DIR or pass --model-dir.`);
      }),
    ) as { weights?: Record<string, { filename: string }> };
    if (!manifest.weights) throw new Error(`${o.modelDir}/manifest.json lists no weights.`);
    parts.push([`VGG19 weights (${o.modelDir})`, await copyDir(o.modelDir, path.join(top, 'models/vgg19'))]);

    await mkdir(path.join(top, 'fixtures'), { recursive: true });
    let fixtureBytes = 0;
    for (const f of [o.content, o.style]) {
      await copyFile(path.join(o.fixtures, f), path.join(top, 'fixtures', f));
      fixtureBytes += (await stat(path.join(o.fixtures, f))).size;
    }
    parts.push([`fixtures ${o.content}, ${o.style}`, fixtureBytes]);

    await mkdir(path.join(top, 'debs'), { recursive: true });
    let debs: string[] = [];
    try {
      debs = await ensureDebs(GPU_DEBS, o.debs, log);
    } catch (err) {
      if (!o.allowMissingDebs) throw err;
      log(`warning: ${(err as Error).message} The bundle has no Vulkan loader: webgpu will work only where the system has one.`);
    }
    for (const deb of debs) {
      await copyFile(deb, path.join(top, 'debs', path.basename(deb)));
      parts.push([path.basename(deb), (await stat(deb)).size]);
    }

    await writeFile(
      path.join(top, 'BUILD.txt'),
      `tilestyle device bundle\ncommit ${await gitDescription()}\nbuilt ${new Date().toISOString()}\nnode ${process.version}\n` +
        `check defaults: --content ${o.content} --style ${o.style}\n`,
    );

    // The bundle must start on its own: load the check (and its native packages) once before packing.
    await run(path.join(top, 'bin/node'), [path.join(top, 'app/device-check.mjs'), '--help'], { cwd: staging, env: {} }).catch((err: Error) => {
      throw new Error(`The bundled check does not start: ${err.message}`);
    });

    await mkdir(o.out, { recursive: true });
    const archive = path.join(o.out, `${NAME}.tar.xz`);
    log(`compressing with xz -${o.level} (a minute or two at -9)…`);
    const t0 = performance.now();
    await packTarXz(staging, NAME, archive, o.level);
    const script = path.join(o.out, 'device-check.sh');
    await copyFile(path.join(ROOT, 'bench/device-check.sh'), script);
    await chmod(script, 0o755);

    const raw = parts.reduce((s, [, b]) => s + b, 0);
    const packed = (await stat(archive)).size + (await stat(script)).size;
    console.log(parts.map(([what, b]) => `  ${mib(b).padStart(9)}  ${what}`).join('\n'));
    console.log(`  ${mib(raw).padStart(9)}  in all, unpacked`);
    console.log(`\n${o.out}: ${mib(packed)} (${packed} bytes; xz -${o.level} in ${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    if (packed > o.maxMib * MIB) throw new Error(`The bundle is ${mib(packed)}, over the ${o.maxMib} MiB it must fit in.`);
    console.log(`run it on the target with: bash ${path.relative(process.cwd(), script) || script} --device webgpu`);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

main().catch((err: Error) => {
  console.error(`bundle:device failed: ${err.message}`);
  process.exit(1);
});
