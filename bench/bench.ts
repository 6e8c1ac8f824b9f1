/**
 * Measures the loss+gradient step of both backends on the real weights, the arithmetic rate of the
 * ONNX graph, peak memory, and the wall time of the default job (palette + result, as the user
 * waits for it) with the quick schedule and the classic one.
 *
 *   npm run bench            (TILESTYLE_MODEL_DIR, default ../shared/models/vgg19)
 *   BENCH_SKIP_TFJS=1 / BENCH_SKIP_JOB=1 / BENCH_SIZES=256,512 / BENCH_REPS=5 to narrow it down;
 *   BENCH_OUT=file.png keeps the default job's result.
 */
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { LossBackend, LossSpec } from '../src/engine/backend.js';
import { DEFAULT_OPTIONS, Engine } from '../src/engine/index.js';
import { createOnnxBackend } from '../src/engine/onnx/backend.js';
import { convOf, WINOGRAD_MIN_CHANNELS } from '../src/engine/onnx/graph.js';
import { STYLE_LAYER_BALANCE } from '../src/engine/loss.js';
import { seededRandom } from '../src/engine/preprocess.js';
import { loadVgg19, VGG19_BLOCKS, type ConvLayer } from '../src/engine/weights.js';

const ROOT = path.resolve(new URL('.', import.meta.url).pathname, '..');
const MODEL_DIR = process.env.TILESTYLE_MODEL_DIR ?? path.resolve(ROOT, '../shared/models/vgg19');
const FIXTURES = process.env.TILESTYLE_FIXTURES ?? path.resolve(ROOT, '../shared/fixtures');
const SIZES = (process.env.BENCH_SIZES ?? '256,512').split(',').map(Number);
const REPS = Number(process.env.BENCH_REPS ?? 5);
const threads = Number(process.env.BENCH_THREADS ?? os.cpus().length);

const contentLayers = DEFAULT_OPTIONS.contentLayers;
const styleLayers = DEFAULT_OPTIONS.styleLayers;

/**
 * Multiply-accumulates of one loss+gradient evaluation: `direct` as plain 3×3 convolutions would need
 * them (forward + input-gradient backward + Grams), `executed` as the ONNX graph really does them
 * (Winograd F(4×4,3×3) for the wide layers: 36 products per 4×4 tile plus its transforms).
 */
function stepMacs(layers: ConvLayer[], size: number): { forward: number; direct: number; executed: number } {
  const used = new Set([...contentLayers, ...styleLayers].map(convOf));
  const order = VGG19_BLOCKS.flat();
  const deepest = Math.max(...[...used].map((c) => order.indexOf(c)));
  let forward = 0;
  let gram = 0;
  let executed = 0;
  const conv = (h: number, w: number, ci: number, co: number) => {
    if (ci < WINOGRAD_MIN_CHANNELS || co < WINOGRAD_MIN_CHANNELS) return h * w * ci * co * 9;
    const tiles = Math.ceil(h / 4) * Math.ceil(w / 4);
    return tiles * (36 * ci * co + 36 * 36 * ci + 16 * 36 * co);
  };
  for (const l of layers) {
    const i = order.indexOf(l.name);
    if (i > deepest) break;
    const block = VGG19_BLOCKS.findIndex((b) => b.includes(l.name));
    const side = Math.floor(size / 2 ** block);
    const n = side * side;
    forward += n * l.inChannels * l.outChannels * 9;
    executed += conv(side, side, l.inChannels, l.outChannels) + conv(side, side, l.outChannels, l.inChannels);
    if (styleLayers.map(convOf).includes(l.name)) gram += 2 * l.outChannels * l.outChannels * n; // Gram + its backward
  }
  // The backward of every conv (input gradient only) costs what its forward costs.
  return { forward, direct: 2 * forward + gram, executed: executed + gram };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

async function timeSteps(backend: LossBackend, size: number, reps: number) {
  const rand = seededRandom(1);
  const n = 3 * size * size;
  const image = { data: Float32Array.from({ length: n }, () => (rand() - 0.5) * 200), width: size, height: size };
  const targets = await backend.features(
    { data: Float32Array.from({ length: n }, () => (rand() - 0.5) * 200), width: size, height: size },
    { content: contentLayers, style: styleLayers },
  );
  const spec: LossSpec = {
    contentLayers,
    styleLayers,
    contentWeight: 1,
    styleLayerWeights: styleLayers.map((l) => STYLE_LAYER_BALANCE[l]),
    tvWeight: 1e-3,
  };
  await backend.lossAndGrad(image, targets, spec); // warm-up (allocations, kernel selection)
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < reps; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await backend.lossAndGrad(image, targets, spec);
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { wallMs: median(wall), minMs: Math.min(...wall), cpuMs: median(cpu) };
}

const fmt = (x: number, d = 0) => x.toFixed(d);

async function main() {
  const load = os.loadavg()[0];
  console.log(`tilestyle bench — ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${threads} threads, load average ${load.toFixed(2)}`);
  if (load > 0.5) console.log('note: other processes are using the CPU; wall times are inflated (CPU time per step is shown too)');
  const layers = await loadVgg19(MODEL_DIR);
  const results: Record<string, Record<number, { wallMs: number; minMs: number; cpuMs: number } | null>> = { onnx: {}, tfjs: {} };

  const onnx = await createOnnxBackend(layers, { threads });
  for (const size of SIZES) {
    const r = await timeSteps(onnx, size, size >= 512 ? Math.max(2, Math.ceil(REPS / 2)) : REPS);
    results.onnx[size] = r;
    const { forward, direct, executed } = stepMacs(layers, size);
    const gflop = (macs: number, ms: number) => fmt((2 * macs) / 1e6 / ms, 1);
    console.log(
      `onnx  ${size} px: ${fmt(r.wallMs)} ms/step (median, min ${fmt(r.minMs)}), CPU ${fmt(r.cpuMs)} ms/step\n` +
        `      ${fmt(forward / 1e9, 1)} GMAC forward; ${fmt((2 * direct) / 1e9, 1)} GFLOP/step as direct convolutions → ` +
        `${gflop(direct, r.wallMs)} GFLOP/s direct-equivalent; ${fmt((2 * executed) / 1e9, 1)} GFLOP executed (Winograd) → ` +
        `${gflop(executed, r.wallMs)} GFLOP/s wall, ${gflop(executed, r.cpuMs)} GFLOP/s per busy core`,
    );
  }
  await onnx.dispose();

  if (!process.env.BENCH_SKIP_TFJS) {
    let tfjs: LossBackend | null = null;
    try {
      const mod = await import('../src/engine/tfjs/backend.js');
      tfjs = await mod.createTfjsBackend(layers, { threads });
    } catch (err) {
      console.log(`tfjs: unavailable (${(err as Error).message})`);
    }
    if (tfjs) {
      for (const size of SIZES) {
        const r = await timeSteps(tfjs, size, size >= 512 ? 1 : 2);
        results.tfjs[size] = r;
        const o = results.onnx[size];
        console.log(
          `tfjs  ${size} px: ${fmt(r.wallMs)} ms/step, CPU ${fmt(r.cpuMs)} ms/step` +
            (o ? `; onnx is ${fmt(r.wallMs / o.wallMs, 1)}× faster (wall), ${fmt(r.cpuMs / o.cpuMs, 1)}× (CPU)` : ''),
        );
      }
      await tfjs.dispose();
    }
  }

  if (!process.env.BENCH_SKIP_JOB) {
    // The default job as a user waits for it: the style's palette, then the result (dog × 😀, tiles auto).
    const [content, style] = await Promise.all([readFile(path.join(FIXTURES, 'dog.jpg')), readFile(path.join(FIXTURES, 'face.png'))]);
    const jobs: Record<string, number> = {};
    for (const schedule of ['quick', 'classic'] as const) {
      // A fresh engine each, so neither schedule finds the other's style targets cached.
      const engine = await Engine.create({ modelDir: MODEL_DIR, threads });
      const t0 = performance.now();
      await engine.warm();
      const warmMs = performance.now() - t0;
      const t1 = performance.now();
      const p = await engine.palette([{ image: style }], { schedule, seed: 0 });
      const paletteMs = performance.now() - t1;
      const r = await engine.stylize(content, [{ image: style }], { schedule, seed: 7 });
      const jobMs = performance.now() - t1;
      jobs[schedule] = jobMs;
      if (process.env.BENCH_OUT) await writeFile(process.env.BENCH_OUT.replace(/(\.png)?$/, `-${schedule}.png`), r.image);
      console.log(
        `default job, ${schedule} schedule (${r.stats.width}×${r.stats.height}, tiles ${r.options.tiles}): ${fmt(jobMs / 1000, 1)} s as the user waits ` +
          `(palette ${fmt(paletteMs / 1000, 1)} s in ${p.stats.levelSteps.join('+')} steps, result ${fmt((jobMs - paletteMs) / 1000, 1)} s in ` +
          `${r.stats.levelSteps.join('+')} steps; session build ${fmt(warmMs / 1000, 1)} s before it); style match ${r.stats.styleMatch?.toFixed(3)}`,
      );
      await engine.dispose();
    }
    console.log(`default job: quick is ${fmt(jobs.classic / jobs.quick, 2)}× faster than classic`);
  }
  console.log(`peak RSS ${fmt(process.resourceUsage().maxRSS / 1024)} MB`);
}

// `npm run bench -- --cluster`: the Redis mode's figures instead (bench/cluster.ts).
if (process.argv.includes('--cluster')) await import('./cluster.js');
else await main();
