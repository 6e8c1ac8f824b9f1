/**
 * Checks the engine on one device against the CPU, times its steps and one default job, and prints
 * one table. Runs from the device bundle (bench/device-check.sh) or in the repository:
 *
 *   npx tsx bench/device-check.ts --device cpu --sizes 64 --reps 1 --no-job
 *
 * Exit status: 0 all checks passed, 1 a check failed (or the device fell back to the CPU), 2 bad usage.
 */
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import type { LossSpec, LossTargets, VggImage } from '../src/engine/backend.js';
import { DEFAULT_OPTIONS, Engine, type LossBackend } from '../src/engine/index.js';
import { createOnnxBackend } from '../src/engine/onnx/backend.js';
import { loadVgg19, type ConvLayer } from '../src/engine/weights.js';
import { compareArrays, describeDifference, relativeError, sci } from './device/compare.js';
import { syntheticImage } from './device/synthetic.js';
import { formatMs, markdownTable } from './device/table.js';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

const USAGE = `usage: device-check [--device webgpu|cpu|cuda:N] [--sizes 256,512,1024] [--reps N] [--parity-size N]
                    [--tolerance 1e-3] [--threads N] [--no-job] [--no-cpu-steps] [--out result.png]
                    [--model-dir DIR] [--fixtures DIR] [--content FILE] [--style FILE]`;

interface Config {
  device: string;
  sizes: number[];
  reps: number;
  paritySize: number;
  tolerance: number;
  threads: number;
  job: boolean;
  /** Also time the CPU at the same sizes: the device's speed-up on this machine, and its loss checked at each size. */
  cpuSteps: boolean;
  out?: string;
  modelDir: string;
  content: string;
  style: string;
}

class UsageError extends Error {}

function positiveInt(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--${name} must be a whole number above 0 (got '${text}').`);
  return n;
}

function parseConfig(argv: string[]): Config | null {
  // biome-ignore lint/suspicious/noImplicitAnyLet: parseArgs's result type follows the options literal below, which a named type would only repeat.
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        device: { type: 'string', default: 'webgpu' },
        sizes: { type: 'string', default: '256,512,1024' },
        reps: { type: 'string', default: '3' },
        'parity-size': { type: 'string', default: '256' },
        tolerance: { type: 'string', default: '1e-3' },
        threads: { type: 'string', default: String(os.cpus().length) },
        'no-job': { type: 'boolean', default: false },
        'no-cpu-steps': { type: 'boolean', default: false },
        out: { type: 'string' },
        'model-dir': { type: 'string', default: process.env.TILESTYLE_MODEL_DIR ?? path.resolve(ROOT, '../shared/models/vgg19') },
        fixtures: { type: 'string', default: process.env.TILESTYLE_FIXTURES ?? path.resolve(ROOT, '../shared/fixtures') },
        content: { type: 'string', default: 'dog.jpg' },
        style: { type: 'string', default: 'scream.jpg' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const v = parsed.values;
  if (v.help) return null;
  const device = v.device!;
  if (!/^(cpu|webgpu|cuda:\d+)$/.test(device)) throw new UsageError(`--device must be cpu, webgpu or cuda:N (got '${device}').`);
  const tolerance = Number(v.tolerance);
  if (!(tolerance > 0)) throw new UsageError(`--tolerance must be a number above 0 (got '${v.tolerance}').`);
  const sizes = v
    .sizes!.split(',')
    .filter(Boolean)
    .map((s) => positiveInt('sizes', s));
  const paritySize = positiveInt('parity-size', v['parity-size']!);
  for (const s of [...sizes, paritySize]) if (s < 16) throw new UsageError(`Image sides must be at least 16 px (got ${s}).`);
  return {
    device,
    sizes,
    reps: positiveInt('reps', v.reps!),
    paritySize,
    tolerance,
    threads: positiveInt('threads', v.threads!),
    job: !v['no-job'],
    cpuSteps: device !== 'cpu' && !v['no-cpu-steps'],
    out: v.out,
    modelDir: v['model-dir']!,
    content: path.resolve(v.fixtures!, v.content!),
    style: path.resolve(v.fixtures!, v.style!),
  };
}

const LAYERS = { content: DEFAULT_OPTIONS.contentLayers, style: DEFAULT_OPTIONS.styleLayers };

/**
 * Weights that give every term a similar share of the loss (each ≈ a relative squared mismatch), so a
 * wrong layer on the device cannot hide behind a dominant one. The TV term is computed in JS, the
 * same on every device, and is left out for the same reason.
 */
function balancedSpec(targets: LossTargets): LossSpec {
  const meanSquare = (a: Float32Array) => a.reduce((s, x) => s + x * x, 0) / a.length;
  const content = targets.content?.[0];
  return {
    contentLayers: LAYERS.content,
    styleLayers: LAYERS.style,
    contentWeight: content ? 1 / Math.max(meanSquare(content), 1e-12) : 0,
    styleLayerWeights: targets.grams.map((g) => 1 / Math.max(meanSquare(g), 1e-30)),
    tvWeight: 0,
  };
}

interface Row {
  check: string;
  device: string;
  result: string;
  wall?: number;
  cpu?: number;
  verdict: string;
}

class DeviceFellBack extends Error {}

/** Records device fallbacks reported by the engine and turns them into a loud failure. */
class FallbackWatch {
  readonly messages: string[] = [];
  readonly warn = (message: string) => {
    // onnxruntime's messages start with a source location and an assertion; the reason follows them.
    this.messages.push(message.replace(/\(\/onnxruntime_src\/.*? was false\. /, '('));
    console.error(`\n!!! ${message}\n`);
  };

  constructor(private readonly device: string) {}

  check(actualDevice: string, where: string): void {
    if (actualDevice === this.device && this.messages.length === 0) return;
    const why = this.messages.join(' ') || `the engine reports device '${actualDevice}'`;
    throw new DeviceFellBack(`${where}: ${this.device} was NOT used: ${why} Results would be the CPU's, so the check fails.`);
  }
}

async function parity(cfg: Config, cpu: LossBackend, dev: LossBackend, watch: FallbackWatch, rows: Row[]): Promise<void> {
  const s = cfg.paritySize;
  const label = cfg.device === 'cpu' ? 'cpu vs cpu' : `${cfg.device} vs cpu`;
  const tol = cfg.tolerance;
  const add = (check: string, err: number, detail: string) => {
    const pass = err <= tol;
    rows.push({
      check: `parity ${s} px: ${check}`,
      device: label,
      result: `rel. error ${sci(err)}${pass ? '' : `; ${detail}`}`,
      verdict: pass ? 'PASS' : `FAIL (> ${sci(tol, 0)})`,
    });
  };

  const targetImage = syntheticImage(s, s, 2);
  const ref = await cpu.features(targetImage, LAYERS);
  const got = await dev.features(targetImage, LAYERS);
  watch.check(dev.device, 'features');
  LAYERS.content.forEach((layer, i) => {
    const d = compareArrays(ref.content[i], got.content[i]);
    add(`${layer} features`, d.relError, describeDifference(d));
  });
  LAYERS.style.forEach((layer, j) => {
    const d = compareArrays(ref.grams[j], got.grams[j]);
    const c = Math.round(Math.sqrt(d.length));
    add(
      `${layer} Gram`,
      d.relError,
      describeDifference(d, (i) => `row ${Math.floor(i / c)}, column ${i % c}`),
    );
  });

  // Same image, same (CPU) targets on both: only the loss+gradient step itself is compared.
  const image = syntheticImage(s, s, 1);
  const spec = balancedSpec(ref);
  const a = await cpu.lossAndGrad(image, ref, spec);
  const cpuGrad = a.grad.slice();
  const b = await dev.lossAndGrad(image, ref, spec);
  watch.check(dev.device, 'loss+gradient');
  for (const term of ['total', 'content', 'style'] as const) {
    const err = relativeError(a.losses[term], b.losses[term]);
    add(`${term} loss`, err, `cpu ${sci(a.losses[term], 6)}, device ${sci(b.losses[term], 6)}`);
  }
  const d = compareArrays(cpuGrad, b.grad);
  const plane = s * s;
  const where = (i: number) => `channel ${Math.floor(i / plane)}, y ${Math.floor((i % plane) / s)}, x ${i % s}`;
  add('gradient (L2)', d.relError, describeDifference(d, where));
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((p, q) => p - q);
  return sorted[sorted.length >> 1];
}

interface StepTiming {
  wallMs: number;
  minMs: number;
  cpuMs: number;
  firstMs: number;
  /** Total loss of the first step, to check the device's result at every size. */
  loss: number;
}

/** Times loss+gradient steps; `checkDevice` throws if the backend left its device. */
async function timeSteps(cfg: Config, backend: LossBackend, image: VggImage, targets: LossTargets, checkDevice: () => void): Promise<StepTiming> {
  const spec = balancedSpec(targets);
  const t0 = performance.now();
  const first = await backend.lossAndGrad(image, targets, spec); // first step at a size: allocations, kernel selection
  const firstMs = performance.now() - t0;
  checkDevice();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < cfg.reps; i++) {
    const c0 = process.cpuUsage();
    const w0 = performance.now();
    await backend.lossAndGrad(image, targets, spec);
    wall.push(performance.now() - w0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { wallMs: median(wall), minMs: Math.min(...wall), cpuMs: median(cpu), firstMs, loss: first.losses.total };
}

/**
 * Step times at one size on the device (and on the CPU for comparison), with the same image and
 * CPU-made targets, so the device's loss can be checked against the CPU's at every size: a size
 * beyond a GPU's buffer limits may give garbage rather than an error.
 */
async function stepsAtSize(cfg: Config, cpu: LossBackend, dev: LossBackend, size: number, watch: FallbackWatch, rows: Row[]): Promise<void> {
  const image = syntheticImage(size, size, 3);
  const targets = await cpu.features(syntheticImage(size, size, 4), LAYERS);
  const row = (backend: LossBackend, t: StepTiming, check: string, verdict: string): Row => ({
    check: `step ${size} px (loss+gradient)`,
    device: backend.device,
    result: `median of ${cfg.reps}, min ${formatMs(t.minMs)}; first ${formatMs(t.firstMs)}${check}`,
    wall: t.wallMs,
    cpu: t.cpuMs,
    verdict,
  });
  const fail = (backend: LossBackend, err: unknown) => {
    if (err instanceof DeviceFellBack) throw err;
    // A size too large for the device's memory should not hide the other results.
    console.error(err);
    rows.push({ check: `step ${size} px (loss+gradient)`, device: backend.device, result: (err as Error).message.split('\n')[0], verdict: 'FAIL' });
  };

  console.error(`timing steps at ${size} px on ${cfg.device}`);
  let onDevice: StepTiming | null = null;
  try {
    onDevice = await timeSteps(cfg, dev, image, targets, () => watch.check(dev.device, `step at ${size} px`));
  } catch (err) {
    fail(dev, err);
  }
  let onCpu: StepTiming | null = null;
  if (cfg.cpuSteps) {
    console.error(`timing steps at ${size} px on cpu`);
    try {
      onCpu = await timeSteps(cfg, cpu, image, targets, () => undefined);
    } catch (err) {
      fail(cpu, err);
    }
  }
  if (onDevice) {
    if (onCpu) {
      const err = relativeError(onCpu.loss, onDevice.loss);
      const pass = err <= cfg.tolerance;
      const speedup = `; speed-up over the cpu ${(onCpu.wallMs / onDevice.wallMs).toFixed(1)}× (wall)`;
      rows.push(
        row(
          dev,
          onDevice,
          `; loss vs cpu rel. error ${sci(err)}${pass ? speedup : ` (cpu ${sci(onCpu.loss, 6)}, device ${sci(onDevice.loss, 6)})`}`,
          pass ? 'done' : `FAIL (> ${sci(cfg.tolerance, 0)})`,
        ),
      );
    } else {
      const finite = Number.isFinite(onDevice.loss);
      rows.push(row(dev, onDevice, finite ? '' : `; loss is ${onDevice.loss}`, finite ? 'done' : 'FAIL'));
    }
  }
  if (onCpu) rows.push(row(cpu, onCpu, '', 'done'));
}

async function defaultJob(cfg: Config, watch: FallbackWatch, rows: Row[]): Promise<void> {
  const [content, style] = await Promise.all([readFile(cfg.content), readFile(cfg.style)]);
  const w0 = performance.now();
  const engine = await Engine.create({ modelDir: cfg.modelDir, device: cfg.device, threads: cfg.threads, warn: watch.warn });
  try {
    watch.check(engine.device, 'default job');
    await engine.warm();
    const readyMs = performance.now() - w0;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const r = await engine.stylize(content, [{ image: style }]); // the engine's own defaults
    const wallMs = performance.now() - t0;
    const c = process.cpuUsage(c0);
    watch.check(engine.device, 'default job');
    if (cfg.out) await writeFile(cfg.out, r.image);
    const { stats } = r;
    rows.push({
      check: `default job ${stats.width}×${stats.height}, ${stats.steps} steps`,
      device: engine.device,
      result: `${path.basename(cfg.content)} + ${path.basename(cfg.style)}; ${formatMs(stats.msPerStep)}/step; engine ready (weights, sessions) in ${formatMs(readyMs)} before it; style loss ${sci(stats.initialLosses.style, 2)} → ${sci(stats.finalLosses.style, 2)}`,
      wall: wallMs,
      cpu: (c.user + c.system) / 1000,
      verdict: 'done',
    });
  } finally {
    await engine.dispose();
  }
}

function printReport(cfg: Config, rows: Row[], layers: ConvLayer[] | null): void {
  const versions = (ort.env as { versions?: Record<string, string> }).versions ?? {};
  console.log(
    `\ntilestyle device check — ${new Date().toISOString()}\n` +
      `host: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${cfg.threads} threads; ` +
      `node ${process.version}; onnxruntime-node ${versions.node ?? '?'}; VGG19 ${layers ? `${layers.length} conv layers` : 'not loaded'}; ` +
      `device ${cfg.device}; tolerance ${sci(cfg.tolerance, 0)}\n`,
  );
  const table = markdownTable(
    ['check', 'device', 'result', 'wall', 'CPU', 'verdict'],
    rows.map((r) => [r.check, r.device, r.result, r.wall === undefined ? '' : formatMs(r.wall), r.cpu === undefined ? '' : formatMs(r.cpu), r.verdict]),
  );
  console.log(table);
  console.log(`\npeak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`);
}

async function main(): Promise<number> {
  let cfg: Config | null;
  try {
    cfg = parseConfig(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`${err.message}\n${USAGE}`);
    return 2;
  }
  if (!cfg) {
    console.log(USAGE);
    return 0;
  }

  const rows: Row[] = [];
  const watch = new FallbackWatch(cfg.device);
  let layers: ConvLayer[] | null = null;
  const backends: LossBackend[] = [];
  try {
    console.error(`loading VGG19 from ${cfg.modelDir}`);
    layers = await loadVgg19(cfg.modelDir);
    const cpu = await createOnnxBackend(layers, { device: 'cpu', threads: cfg.threads });
    backends.push(cpu);
    const dev = await createOnnxBackend(layers, { device: cfg.device, threads: cfg.threads, warn: watch.warn });
    backends.push(dev);

    console.error(`parity at ${cfg.paritySize} px (${cfg.device} against cpu)`);
    await parity(cfg, cpu, dev, watch, rows);

    for (const size of cfg.sizes) await stepsAtSize(cfg, cpu, dev, size, watch, rows);
    await cpu.dispose();
    await dev.dispose();

    if (cfg.job) {
      console.error(`default job on ${cfg.device}`);
      await defaultJob(cfg, watch, rows);
    }
  } catch (err) {
    const fellBack = err instanceof DeviceFellBack;
    rows.push({ check: fellBack ? 'DEVICE FELL BACK TO CPU' : 'error', device: cfg.device, result: (err as Error).message.split('\n')[0], verdict: 'FAIL' });
    if (!fellBack) console.error(err);
  } finally {
    for (const b of backends) await b.dispose().catch(() => undefined);
  }

  printReport(cfg, rows, layers);
  const failed = rows.filter((r) => r.verdict !== 'PASS' && r.verdict !== 'done');
  console.log(
    failed.length === 0 ? `\nDEVICE CHECK PASSED on ${cfg.device}` : `\nDEVICE CHECK FAILED on ${cfg.device}: ${failed.map((r) => r.check).join('; ')}`,
  );
  return failed.length === 0 ? 0 : 1;
}

// Exits explicitly: a GPU runtime may keep threads alive after its sessions are released.
process.exit(await main());
