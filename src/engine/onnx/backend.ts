/**
 * LossBackend on onnxruntime-node: the VGG19 losses and their gradient w.r.t. the pixels as one
 * hand-built ONNX graph (see graph.ts), one session per set of loss layers, cached.
 *
 * Shape contract shared by both backends: any H, W ≥ 16 are accepted; each 2×2 average pool uses
 * floor (ONNX's default), so odd sides drop their last row/column at that pool, and the gradient of
 * those pixels through that pool is zero. The engine does not pad or crop images to a multiple of 16.
 * Content features are exchanged as [C,h,w] with h = floor(H / 2^block); Grams are divided by C·h·w.
 * The TV term is computed here in JS (cheap and exact), not in the graph.
 *
 * Speed (2-core 2 GHz AVX2 CPU, where a direct convolution already runs near peak): the wide layers
 * use Winograd F(4×4,3×3) convolutions (winograd.ts), ~1.8× faster than ORT's direct Conv here; the
 * ReLU backward reads the fused Conv+ReLU output; no weight gradients are computed; the 1/4 of each
 * average pool's backward is folded into the kernel of the conv above it.
 */
import os from 'node:os';
import * as ort from 'onnxruntime-node';
import type { LossAndGrad, LossBackend, LossSpec, VggImage } from '../backend.js';
import type { LayerName } from '../types.js';
import type { ConvLayer } from '../weights.js';
import { convOf, layerSize } from '../vgg-layers.js';
import { addTv, contentScale, gramNorm, styleGradScale, styleScale } from '../loss.js';
import { buildFeaturesGraph, buildLossGraph } from './graph.js';

export interface OnnxBackendOptions {
  /** 'cpu' (default), 'webgpu' or 'cuda:N'. Falls back to CPU with a warning when the device is unusable. */
  device?: string;
  threads?: number;
  /** Winograd convolutions for the wide layers of the loss graph (default true; false = direct Conv). */
  winograd?: boolean;
  /** Where to report a device fallback (default console.warn). */
  warn?: (message: string) => void;
}

/**
 * Images smaller than this many pixels run a loss graph of direct convolutions only. Winograd's
 * transformed weights are 4× the size of the direct ones and are read whole on every step, however
 * few tiles the image has: measured on a 2-core AVX2 CPU, a full-depth step at 32 px and 64×48 px
 * took half the time direct, at 128×96 px about the same, and at 256×192 px 1.3× longer.
 */
export const WINOGRAD_MIN_PIXELS = 96 * 96;

/** Channels and spatial size of a layer's output for an H×W input. */
export function layerShape(layer: LayerName, height: number, width: number, channels: Map<string, number>) {
  return { c: channels.get(convOf(layer))!, ...layerSize(layer, height, width) };
}

function providersFor(device: string): ort.InferenceSession.SessionOptions['executionProviders'] {
  if (device === 'cpu') return ['cpu'];
  if (device === 'webgpu') return ['webgpu' as never];
  const m = /^cuda:(\d+)$/.exec(device);
  if (m) return [{ name: 'cuda', deviceId: Number(m[1]) }];
  throw new Error(`Unknown device '${device}' (expected cpu, webgpu or cuda:N)`);
}

/** A layer set's sessions: targets, the loss with its gradient, and the loss of small images (WINOGRAD_MIN_PIXELS). */
export type SessionKind = 'features' | 'loss' | 'small-loss';

export async function createOnnxBackend(layers: ConvLayer[], opts: OnnxBackendOptions = {}): Promise<LossBackend> {
  const warn = opts.warn ?? ((m: string) => console.warn(m));
  const threads = opts.threads && opts.threads > 0 ? opts.threads : os.cpus().length;
  let device = opts.device ?? 'cpu';
  providersFor(device); // refuses unknown device names up front
  const channels = new Map(layers.map((l) => [l.name, l.outChannels]));
  const sessions = new Map<string, Promise<ort.InferenceSession>>();
  let disposed = false;

  const baseOptions: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
    // The arena reuses freed blocks within a run; a memory pattern would add one block for the whole
    // run on top of it (measured: a 1024-px sharpening step peaks at 3.2 GB with one, 1.8 GB without,
    // at the same speed; a 512-px full-depth step 1.9 GB against 1.5 GB).
    enableMemPattern: false,
  };

  async function createSession(model: Uint8Array): Promise<ort.InferenceSession> {
    if (device !== 'cpu') {
      try {
        return await ort.InferenceSession.create(model, { ...baseOptions, executionProviders: providersFor(device) });
      } catch (err) {
        warn(`Device ${device} is not usable (${(err as Error).message.split('\n')[0]}); falling back to CPU.`);
        device = 'cpu';
      }
    }
    return ort.InferenceSession.create(model, { ...baseOptions, executionProviders: ['cpu'] });
  }

  const sessionKey = (kind: SessionKind, content: LayerName[], style: LayerName[]) => `${kind}|${content.join(',')}|${style.join(',')}`;

  function session(kind: SessionKind, content: LayerName[], style: LayerName[]): Promise<ort.InferenceSession> {
    const key = sessionKey(kind, content, style);
    let s = sessions.get(key);
    if (!s) {
      // Targets are computed a few times per level: direct convolutions, without Winograd's transformed
      // copies of every activation (measured at 1024 px: 1.0 GB instead of 2.8 GB).
      const model =
        kind === 'features'
          ? buildFeaturesGraph(layers, content, style)
          : buildLossGraph(layers, content, style, { winograd: kind === 'small-loss' ? false : opts.winograd });
      s = createSession(model);
      sessions.set(key, s);
      s.catch(() => sessions.delete(key));
    }
    return s;
  }

  function checkAlive() {
    if (disposed) throw new Error('The onnx backend has been disposed');
  }

  function checkImage(image: VggImage) {
    if (image.data.length !== 3 * image.height * image.width) {
      throw new Error(`VggImage has ${image.data.length} values, expected 3×${image.height}×${image.width}`);
    }
    if (image.height < 16 || image.width < 16) throw new Error(`VggImage ${image.width}×${image.height} is smaller than 16 px`);
  }

  let zeroBuffer = new Float32Array(0);
  const zeros = (n: number) => {
    if (zeroBuffer.length < n) zeroBuffer = new Float32Array(n);
    return zeroBuffer.subarray(0, n);
  };
  let oneBuffer = new Float32Array(0);
  const ones = (n: number) => {
    if (oneBuffer.length < n) oneBuffer = new Float32Array(n).fill(1);
    return oneBuffer.subarray(0, n);
  };
  const scalar = (v: number) => new ort.Tensor('float32', new Float32Array([v]), []);

  const backend: LossBackend & { warm(content: LayerName[], style: LayerName[], kinds?: SessionKind[]): Promise<void> } = {
    name: 'onnx',
    get device() {
      return device;
    },

    async warm(content, style, kinds = ['features', 'loss']) {
      // By default the two sessions of one layer set: targets (content and style together) and loss with gradient.
      for (const kind of kinds) await session(kind, content, style);
    },

    async features(image, wanted) {
      checkAlive();
      checkImage(image);
      const s = await session('features', wanted.content, wanted.style);
      const x = new ort.Tensor('float32', image.data, [1, 3, image.height, image.width]);
      const out = await s.run({ x });
      const content = wanted.content.map((_, i) => out[`content_${i}`].data as Float32Array);
      const grams = wanted.style.map((name, j) => {
        const { h, w } = layerShape(name, image.height, image.width, channels);
        const gram = out[`gram_${j}`].data as Float32Array;
        const c = Math.round(Math.sqrt(gram.length));
        const k = gramNorm(c, h * w);
        for (let i = 0; i < gram.length; i++) gram[i] *= k;
        return gram;
      });
      return { content, grams };
    },

    async lossAndGrad(image, targets, spec: LossSpec): Promise<LossAndGrad> {
      checkAlive();
      checkImage(image);
      if (spec.styleLayers.length !== targets.grams.length || spec.styleLayers.length !== spec.styleLayerWeights.length) {
        throw new Error('styleLayers, styleLayerWeights and target grams must have the same length');
      }
      // Without content targets (a palette) the same session runs with zero targets and a zero weight,
      // so one loss session per layer set serves every job.
      const contentLayers = spec.contentLayers;
      const useContent = spec.contentWeight !== 0 && !!targets.content;
      const { height: H, width: W } = image;
      const s = await session(H * W < WINOGRAD_MIN_PIXELS && opts.winograd !== false ? 'small-loss' : 'loss', contentLayers, spec.styleLayers);
      const feeds: Record<string, ort.Tensor> = { x: new ort.Tensor('float32', image.data, [1, 3, H, W]) };
      contentLayers.forEach((name, i) => {
        const { c, h, w } = layerShape(name, H, W, channels);
        const t = useContent ? targets.content![i] : zeros(c * h * w);
        if (t.length !== c * h * w) throw new Error(`Content target for ${name} has ${t.length} values, expected ${c}×${h}×${w}`);
        feeds[`content_target_${i}`] = new ort.Tensor('float32', t, [1, c, h, w]);
        const m = targets.contentMask?.[i] ?? ones(h * w);
        if (m.length !== h * w) throw new Error(`Content mask for ${name} has ${m.length} values, expected ${h}×${w}`);
        feeds[`content_mask_${i}`] = new ort.Tensor('float32', m, [1, 1, h, w]);
        feeds[`content_scale_${i}`] = scalar(useContent ? contentScale(spec.contentWeight, c, h * w) : 0);
      });
      spec.styleLayers.forEach((name, j) => {
        const { c, h, w } = layerShape(name, H, W, channels);
        const t = targets.grams[j];
        if (t.length !== c * c) throw new Error(`Gram target for ${name} has ${t.length} values, expected ${c}×${c}`);
        const n = h * w;
        const wj = spec.styleLayerWeights[j];
        feeds[`gram_target_${j}`] = new ort.Tensor('float32', t, [c, c]);
        feeds[`gram_norm_${j}`] = scalar(gramNorm(c, n));
        feeds[`style_scale_${j}`] = scalar(styleScale(wj, c));
        feeds[`style_grad_scale_${j}`] = scalar(styleGradScale(wj, c, n));
      });
      const out = await s.run(feeds);
      const grad = out.grad.data as Float32Array;
      const content = (out.content_loss.data as Float32Array)[0];
      const style = (out.style_loss.data as Float32Array)[0];
      const tv = addTv(image.data, H, W, spec.tvWeight, grad);
      return { losses: { total: content + style + tv, content, style, tv }, grad };
    },

    async release(layers) {
      // Each session's memory arena keeps the largest run it has served until the session is released.
      for (const kind of ['features', 'loss', 'small-loss'] as const) {
        const key = sessionKey(kind, layers.content, layers.style);
        const s = sessions.get(key);
        if (!s) continue;
        sessions.delete(key);
        try {
          await (await s).release();
        } catch {
          // a session that failed to build has nothing to release
        }
      }
    },

    async dispose() {
      if (disposed) return;
      disposed = true;
      const all = [...sessions.values()];
      sessions.clear();
      for (const s of all) {
        try {
          await (await s).release();
        } catch {
          // a session that failed to build has nothing to release
        }
      }
    },
  };
  return backend;
}
