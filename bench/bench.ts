/**
 * Measures, in one run on the real weights: the naive step (the yardstick, before and after) and the
 * MatMul rate; the loss+gradient step of both backends and the ONNX graph's arithmetic rate against
 * the MatMul rate; the default job as a user waits for it (palette + result, and the result alone
 * for a style whose palette is cached) in seconds and in naive steps, for dog × 😀 and dog × The Scream, with
 * where the wait goes (per level: steps, time per step, share) and when the first preview comes; an upscale against a full job
 * at its size; peak memory of jobs at 512 and 1024 px (each in a process of its own).
 *
 *   npm run bench            (TILESTYLE_MODEL_DIR, default ../shared/models/vgg19)
 *   BENCH_SKIP_TFJS=1 / BENCH_SKIP_JOB=1 / BENCH_SKIP_MEMORY=1 / BENCH_SKIP_UPSCALE=1 / BENCH_SIZES=256,512 / BENCH_REPS=5
 *   to narrow it down; BENCH_STYLES=face.png,scream.jpg the styles of the default job; BENCH_OUT=dir keeps its pictures.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { LossBackend, LossSpec } from '../src/engine/backend.js';
import { DEFAULT_OPTIONS, Engine, paletteSizeFor, paletteTilesFor, SHARPEN_STYLE_LAYERS, type RunControls, type TransferResult } from '../src/engine/index.js';
import { planLevels, type Level } from '../src/engine/schedule.js';
import { structureKept } from '../src/engine/quality.js';
import { createOnnxBackend } from '../src/engine/onnx/backend.js';
import { convOf, WINOGRAD_MIN_CHANNELS } from '../src/engine/onnx/graph.js';
import { RELEASE_ABOVE_PIXELS } from '../src/engine/session-memory.js';
import { STYLE_LAYER_BALANCE } from '../src/engine/loss.js';
import { seededRandom } from '../src/engine/preprocess.js';
import { loadVgg19, VGG19_BLOCKS, type ConvLayer } from '../src/engine/weights.js';
import { matMulGflops, median, naiveStepMs } from './yardstick.js';

const ROOT = path.resolve(new URL('.', import.meta.url).pathname, '..');
const MODEL_DIR = process.env.TILESTYLE_MODEL_DIR ?? path.resolve(ROOT, '../shared/models/vgg19');
const FIXTURES = process.env.TILESTYLE_FIXTURES ?? path.resolve(ROOT, '../shared/fixtures');
const SIZES = (process.env.BENCH_SIZES ?? '256,512').split(',').map(Number);
const REPS = Number(process.env.BENCH_REPS ?? 5);
const NAIVE_STEP = process.env.BENCH_NAIVE_STEP ?? path.resolve(ROOT, '../shared/bench/naive-step.cjs');
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

interface Layers {
  content: string[];
  style: string[];
}
const FULL: Layers = { content: contentLayers, style: styleLayers };
const SHARPEN: Layers = { content: [], style: styleLayers.filter((l) => SHARPEN_STYLE_LAYERS.includes(l)) };

async function timeSteps(backend: LossBackend, size: number, reps: number, layers: Layers = FULL) {
  const rand = seededRandom(1);
  const n = 3 * size * size;
  const image = { data: Float32Array.from({ length: n }, () => (rand() - 0.5) * 200), width: size, height: size };
  const targets = await backend.features({ data: Float32Array.from({ length: n }, () => (rand() - 0.5) * 200), width: size, height: size }, layers);
  const spec: LossSpec = {
    contentLayers: layers.content,
    styleLayers: layers.style,
    contentWeight: 1,
    styleLayerWeights: layers.style.map((l) => STYLE_LAYER_BALANCE[l]),
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
const maxRssMb = () => process.resourceUsage().maxRSS / 1024;

/** `--rss N`: the steps of a job at N px (full depth at N/2, sharpening at N), then a full-depth step at N. */
async function rssChild(size: number) {
  const layers = await loadVgg19(MODEL_DIR);
  const onnx = await createOnnxBackend(layers, { threads });
  await timeSteps(onnx, size / 2, 1);
  // As the engine does before a level this large (session-memory.ts): the full-depth level's sessions go.
  if (size * size > RELEASE_ABOVE_PIXELS) for (const layers of [FULL, { content: [], style: FULL.style }]) await onnx.release!(layers);
  await timeSteps(onnx, size, 1, SHARPEN);
  const job = maxRssMb();
  await timeSteps(onnx, size, 1);
  console.log(JSON.stringify({ size, jobMb: Math.round(job), fullDepthMb: Math.round(maxRssMb()) }));
  await onnx.dispose();
}

async function peakRss(size: number): Promise<{ jobMb: number; fullDepthMb: number }> {
  const { stdout } = await new Promise<{ stdout: string }>((resolve, reject) =>
    execFile(process.execPath, [...process.execArgv, new URL(import.meta.url).pathname, '--rss', String(size)], { maxBuffer: 1 << 20 }, (err, stdout) =>
      err ? reject(err) : resolve({ stdout }),
    ),
  );
  return JSON.parse(stdout.split('\n').find((l) => l.startsWith('{'))!);
}

type Naive = ((ms: number) => string) & { steps(ms: number): number | null };

/** Milliseconds → naive steps, in the mean of the naive steps measured before and after. */
function naiveIn(before: number | null, after: number | null): Naive {
  const naive = before && after ? (before + after) / 2 : null;
  const steps = (ms: number) => (naive ? ms / naive : null);
  return Object.assign((ms: number) => (naive ? `${fmt(ms / naive, 1)} naive steps` : 'naive step missing'), { steps });
}

/** Chat's preview cadence (src/jobs/engine-job.ts): a preview every quarter of the job's steps. */
const CHAT_PREVIEW_EVERY = Math.max(1, Math.round(DEFAULT_OPTIONS.iterations / 4));

interface TimedRun {
  result: TransferResult;
  ms: number;
  /** Wall time at the end of each step, from the run's start, and its level. */
  steps: { atMs: number; level: number }[];
  firstPreviewMs: number | null;
}

/** Runs a job with chat's preview cadence, noting when each step ends and when the first preview came. */
async function timedRun(
  levels: (r: TransferResult) => Level[],
  go: (controls: RunControls) => Promise<TransferResult>,
): Promise<TimedRun & { levels: Level[] }> {
  const progress: { atMs: number; step: number }[] = [];
  let firstPreviewMs: number | null = null;
  const t0 = performance.now();
  const result = await go({
    onProgress: (p) => {
      const atMs = performance.now() - t0;
      progress.push({ atMs, step: p.step });
      if (p.preview && firstPreviewMs === null) firstPreviewMs = atMs;
    },
  });
  const ms = performance.now() - t0;
  const plan = levels(result);
  // Progress counts a level's steps from the sum of the earlier levels' budgets.
  const starts = plan.map((_, i) => plan.slice(0, i).reduce((a, l) => a + l.maxSteps, 0));
  const steps = progress.map((p) => ({ atMs: p.atMs, level: starts.filter((s) => p.step > s).length - 1 }));
  return { result, ms, steps, firstPreviewMs, levels: plan };
}

/**
 * Where a run's wait goes, per level: its steps, its time from the end of the level before (targets,
 * the first step's warm-up and the steering measurements included) and per step, the median step
 * alone, and its share of the run; then the time after the last step (final measures, PNG encode).
 */
function breakdown(run: TimedRun & { levels: Level[] }, jobMs: number, naive: Naive): string[] {
  const lines: string[] = [];
  let prev = 0;
  run.levels.forEach((lv, i) => {
    const own = run.steps.filter((s) => s.level === i);
    if (own.length === 0) return;
    const end = own.at(-1)!.atMs;
    const gaps = own.slice(1).map((s, k) => s.atMs - own[k].atMs);
    const median = gaps.length > 0 ? [...gaps].sort((a, b) => a - b)[gaps.length >> 1] : end - prev;
    const ms = end - prev;
    lines.push(
      `    ${lv.sharpen ? 'sharpen' : 'level'} ${lv.longest} px: ${own.length} steps, ${fmt(ms / 1000, 1)} s = ${naive(ms)}, ${fmt(ms / own.length)} ms/step ` +
        `(a step alone ${fmt(median)} ms; ${fmt((ms - median * own.length) / 1000, 1)} s beside the steps), ${fmt((100 * ms) / jobMs)} % of the wait`,
    );
    prev = end;
  });
  const tail = run.ms - prev;
  lines.push(`    after the last step (final measures, PNG): ${fmt(tail / 1000, 1)} s, ${fmt((100 * tail) / jobMs)} % of the wait`);
  return lines;
}

/**
 * The default job as a user waits for it in chat: the style's palette (at the size a stylize job shows
 * it), then the result, everything at the defaults; and the result alone (a style whose palette is
 * cached). `more`: also an upscale of a half-size result against the result.
 */
async function defaultJob(engine: Engine, content: Buffer, style: Buffer, label: string, more: boolean): Promise<string[]> {
  const size = DEFAULT_OPTIONS.size;
  const naiveBefore = await naiveStepMs(ROOT, NAIVE_STEP, threads);
  // The result first, for its tiles (chosen at intake in chat); the palette is drawn as chat draws it.
  const r = await timedRun(
    (res) => planLevels(res.options, Math.max(res.stats.width, res.stats.height), false),
    (controls) => engine.stylize(content, [{ image: style }], { seed: 7, previewEvery: CHAT_PREVIEW_EVERY }, controls),
  );
  const naiveBetween = await naiveStepMs(ROOT, NAIVE_STEP, threads);
  const p = await timedRun(
    (res) => planLevels(res.options, Math.max(res.stats.width, res.stats.height), true),
    (controls) =>
      engine.palette(
        [{ image: style }],
        { size: paletteSizeFor(size), tiles: paletteTilesFor(r.result.options.tiles, size), seed: 0, previewEvery: CHAT_PREVIEW_EVERY },
        controls,
      ),
  );
  const naiveAfter = await naiveStepMs(ROOT, NAIVE_STEP, threads);
  const wait = p.ms + r.ms;
  const rs = r.result.stats;
  const ps = p.result.stats;
  // Each part in the naive step measured around it: the machine's load may change between them.
  const inR = naiveIn(naiveBefore, naiveBetween);
  const inP = naiveIn(naiveBetween, naiveAfter);
  const waitNaive = inR.steps(r.ms) !== null && inP.steps(p.ms) !== null ? `${fmt(inR.steps(r.ms)! + inP.steps(p.ms)!, 1)} naive steps` : 'naive step missing';
  const lines = [
    `default job, ${label} (${rs.width}×${rs.height}, tiles ${r.result.options.tiles}; palette ${ps.width}×${ps.height}, tiles ${p.result.options.tiles}):`,
    `  palette ${fmt(p.ms / 1000, 1)} s in ${ps.levelSteps.join('+')} steps, result ${fmt(r.ms / 1000, 1)} s in ${rs.levelSteps.join('+')} steps`,
    `  as the user waits: ${fmt(wait / 1000, 1)} s = ${waitNaive}; with the palette cached: ${fmt(r.ms / 1000, 1)} s = ${inR(r.ms)}`,
    `  first preview (every ${CHAT_PREVIEW_EVERY} steps): ${p.firstPreviewMs === null ? 'none' : `${fmt(p.firstPreviewMs / 1000, 1)} s = ${inP(p.firstPreviewMs)}`} after the palette starts; ` +
      `${r.firstPreviewMs === null ? 'none' : `${fmt(r.firstPreviewMs / 1000, 1)} s = ${inR(r.firstPreviewMs)}`} after the result starts (palette cached)`,
    `  palette, ${fmt(p.ms / 1000, 1)} s:`,
    ...breakdown(p, wait, inP),
    `  result, ${fmt(r.ms / 1000, 1)} s:`,
    ...breakdown(r, wait, inR),
    `  naive step around the result ${naiveBefore === null ? '-' : fmt(naiveBefore)} / ${naiveBetween === null ? '-' : fmt(naiveBetween)} ms, around the palette ` +
      `${naiveBetween === null ? '-' : fmt(naiveBetween)} / ${naiveAfter === null ? '-' : fmt(naiveAfter)} ms (each part is stated in the mean of its two)` +
      (naiveBefore && naiveBetween && naiveAfter && Math.max(naiveBefore, naiveBetween, naiveAfter) > 1.3 * Math.min(naiveBefore, naiveBetween, naiveAfter)
        ? '; they differ by over 30 %: the machine was busier at times, repeat the run'
        : ''),
  ];
  const tag = label.replace(/[^a-z0-9]+/gi, '-');
  if (process.env.BENCH_OUT) {
    await mkdir(process.env.BENCH_OUT, { recursive: true });
    await writeFile(path.join(process.env.BENCH_OUT, `${tag}-palette.png`), p.result.image);
    await writeFile(path.join(process.env.BENCH_OUT, `${tag}-result.png`), r.result.image);
  }
  if (!more || process.env.BENCH_SKIP_UPSCALE) return lines;
  // An upscale of a result half the default size, against the default job's result at that size.
  const small = await engine.stylize(content, [{ image: style }], { seed: 7, size: size / 2, tiles: r.result.options.tiles });
  const t3 = performance.now();
  const up = await engine.upscale(content, [{ image: style }], small.image, { ...small.options, size });
  const upscaleMs = performance.now() - t3;
  const kept = await structureKept(small.image, up.image);
  lines.push(
    `upscale ${small.stats.width}×${small.stats.height} → ${up.stats.width}×${up.stats.height}: ${fmt(upscaleMs / 1000, 1)} s in ${up.stats.levelSteps.join('+')} steps = ` +
      `${fmt((100 * upscaleMs) / r.ms)} % of the default job's result at that size; structure against the smaller result ${kept.toFixed(3)}`,
  );
  return lines;
}

/**
 * The widest vector instructions the CPU offers (Linux's /proc/cpuinfo flags): onnxruntime's kernels
 * pick theirs from these, and the engine's lead over the yardstick may differ between them.
 */
async function vectorWidth(): Promise<string> {
  const flags = await readFile('/proc/cpuinfo', 'utf8').then(
    (t) => /^flags\s*:(.*)$/m.exec(t)?.[1]?.split(/\s+/) ?? [],
    () => [] as string[],
  );
  return flags.includes('avx512f') ? 'AVX-512' : flags.includes('avx2') ? 'AVX2' : flags.length ? 'no AVX2' : 'unknown';
}

async function main() {
  const load = os.loadavg()[0];
  console.log(
    `tilestyle bench — ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'} (${await vectorWidth()}), ${threads} threads, load average ${load.toFixed(2)}`,
  );
  if (load > 0.5) console.log('note: other processes are using the CPU; wall times are inflated (CPU time per step is shown too)');
  const naiveBefore = await naiveStepMs(ROOT, NAIVE_STEP, threads);
  const matmul = await matMulGflops(threads);
  console.log(
    `yardsticks: naive step (256 px, ${path.relative(ROOT, NAIVE_STEP)}) ${naiveBefore === null ? 'missing' : `${fmt(naiveBefore)} ms`}; ` +
      `2048² fp32 MatMul through onnxruntime ${fmt(matmul, 1)} GFLOP/s on ${threads} threads`,
  );
  const layers = await loadVgg19(MODEL_DIR);
  const results: Record<string, Record<number, { wallMs: number; minMs: number; cpuMs: number } | null>> = { onnx: {}, tfjs: {} };

  const onnx = await createOnnxBackend(layers, { threads });
  for (const size of SIZES) {
    const r = await timeSteps(onnx, size, size >= 512 ? Math.max(2, Math.ceil(REPS / 2)) : REPS);
    results.onnx[size] = r;
    const { forward, direct, executed } = stepMacs(layers, size);
    const gflop = (macs: number, ms: number) => (2 * macs) / 1e6 / ms;
    console.log(
      `onnx  ${size} px: ${fmt(r.wallMs)} ms/step (median, min ${fmt(r.minMs)}), CPU ${fmt(r.cpuMs)} ms/step` +
        (naiveBefore ? ` = ${fmt(r.wallMs / naiveBefore, 2)} naive steps` : '') +
        `\n      ${fmt(forward / 1e9, 1)} GMAC forward; ${fmt((2 * direct) / 1e9, 1)} GFLOP/step as direct convolutions → ` +
        `${fmt(gflop(direct, r.wallMs), 1)} GFLOP/s direct-equivalent; ${fmt((2 * executed) / 1e9, 1)} GFLOP executed (Winograd) → ` +
        `${fmt(gflop(executed, r.wallMs), 1)} GFLOP/s = ${fmt((100 * gflop(executed, r.wallMs)) / matmul)} % of the MatMul rate`,
    );
    if (size >= 384) {
      const sh = await timeSteps(onnx, size, Math.max(2, Math.ceil(REPS / 2)), SHARPEN);
      console.log(
        `onnx  ${size} px, sharpening step (${SHARPEN.style.join(', ')}; no content layer): ${fmt(sh.wallMs)} ms/step, CPU ${fmt(sh.cpuMs)} ms/step` +
          (naiveBefore ? ` = ${fmt(sh.wallMs / naiveBefore, 2)} naive steps` : ''),
      );
    }
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

  const jobLines: string[] = [];
  if (!process.env.BENCH_SKIP_JOB) {
    const engine = await Engine.create({ modelDir: MODEL_DIR, threads });
    const t0 = performance.now();
    await engine.warm();
    const warmMs = performance.now() - t0;
    jobLines.push(`session build (Engine.warm, at start-up, before any job): ${fmt(warmMs / 1000, 1)} s = NAIVE(${warmMs})`);
    const styles = (process.env.BENCH_STYLES ?? 'face.png,scream.jpg').split(',');
    const content = await readFile(path.join(FIXTURES, 'dog.jpg'));
    for (const [i, name] of styles.entries()) {
      const style = await readFile(path.join(FIXTURES, name));
      jobLines.push(...(await defaultJob(engine, content, style, `dog.jpg × ${name}`, i === 0)));
    }
    await engine.dispose();
  }
  const naiveAfter = await naiveStepMs(ROOT, NAIVE_STEP, threads);
  const naive = naiveBefore && naiveAfter ? (naiveBefore + naiveAfter) / 2 : null;
  for (const line of jobLines) {
    console.log(line.replace(/NAIVE\(([\d.]+)\)/g, (_, ms: string) => (naive ? `${fmt(Number(ms) / naive, 1)} naive steps` : 'naive step missing')));
  }
  if (naive) console.log(`naive step: ${fmt(naiveBefore!)} ms before, ${fmt(naiveAfter!)} ms after; job times above use their mean, ${fmt(naive)} ms`);
  console.log(`peak RSS of this process ${fmt(maxRssMb())} MB`);
  if (!process.env.BENCH_SKIP_MEMORY) {
    for (const size of [512, 1024]) {
      const m = await peakRss(size);
      console.log(
        `peak RSS, ${size}-px job (its full-depth level at ${size / 2}, sharpening at ${size}): ${m.jobMb} MB; a full-depth step at ${size}: ${m.fullDepthMb} MB`,
      );
    }
  }
}

// `npm run bench -- --cluster`: the Redis mode's figures instead (bench/cluster.ts).
const rssAt = process.argv.indexOf('--rss');
if (process.argv.includes('--cluster')) await import('./cluster.js');
else if (rssAt > 0) await rssChild(Number(process.argv[rssAt + 1]));
else await main();
