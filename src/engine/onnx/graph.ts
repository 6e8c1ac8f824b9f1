/**
 * ONNX graphs of the VGG19 losses, written by hand with their backward pass (onnxruntime-node has no
 * training API), so one inference session returns the losses and the gradient w.r.t. the pixels.
 *
 * Shapes: batch 1, H and W dynamic. Average pooling is 2×2 stride 2 with floor (ONNX's default), so a
 * side that is not a multiple of 2^k loses its last row/column at that pool; the pool's backward pads
 * the upsampled gradient with zeros back to the pre-pool shape, which is exactly the derivative.
 */
import type { ConvLayer } from '../weights.js';
import { blockOfConv, convOf } from '../vgg-layers.js';
import type { LayerName } from '../types.js';
import { GraphBuilder } from './proto.js';
import { WinogradConv, winogradWeights } from './winograd.js';

/**
 * Convolutions with at least this many input and output channels use Winograd F(4×4, 3×3): blocks 3
 * and 4. Measured on AVX-512 and AVX2: the 64- and 128-channel layers, which run at the highest
 * resolutions, are as fast direct (Winograd's transforms there cost what it saves in the MatMul) and
 * Winograd's transformed copies of their activations cost 2–3 GB more at 1024 px.
 */
export const WINOGRAD_MIN_CHANNELS = 256;

export interface GraphOptions {
  /**
   * Winograd convolutions for the wide layers: true (default) in every block, false in none, or the
   * VGG19 blocks (0-based) that use it.
   */
  winograd?: boolean | readonly number[];
}

const useWinograd = (opts: GraphOptions, inC: number, outC: number, block: number) =>
  (opts.winograd === undefined || opts.winograd === true || (Array.isArray(opts.winograd) && opts.winograd.includes(block))) &&
  inC >= WINOGRAD_MIN_CHANNELS &&
  outC >= WINOGRAD_MIN_CHANNELS;

export { convOf };

/** Stored [3,3,in,out] → ONNX [out,in,3,3]. */
export function forwardKernel(l: ConvLayer): Float32Array {
  const { inChannels: ci, outChannels: co, kernel } = l;
  const w = new Float32Array(kernel.length);
  for (let y = 0; y < 3; y++)
    for (let x = 0; x < 3; x++)
      for (let i = 0; i < ci; i++) for (let o = 0; o < co; o++) w[((o * ci + i) * 3 + y) * 3 + x] = kernel[((y * 3 + x) * ci + i) * co + o];
  return w;
}

/**
 * Kernel of the input gradient of a 3×3 'same' conv: rotated 180°, in/out swapped → ONNX [in,out,3,3],
 * times `scale` (the 1/4 of the average pool below it folds in here for free).
 */
export function backwardKernel(l: ConvLayer, scale = 1): Float32Array {
  const { inChannels: ci, outChannels: co, kernel } = l;
  const w = new Float32Array(kernel.length);
  for (let y = 0; y < 3; y++)
    for (let x = 0; x < 3; x++)
      for (let i = 0; i < ci; i++) for (let o = 0; o < co; o++) w[((i * co + o) * 3 + (2 - y)) * 3 + (2 - x)] = kernel[((y * 3 + x) * ci + i) * co + o] * scale;
  return w;
}

interface ForwardNet {
  g: GraphBuilder;
  /** ReLU output name per conv layer computed. */
  relu: Map<string, string>;
  /** Conv layers in order, as computed. */
  order: { layer: ConvLayer; input: string; block: number; afterPool: boolean }[];
}

function buildForward(g: GraphBuilder, layers: ConvLayer[], deepest: string, wino?: WinogradConv, opts: GraphOptions = {}): ForwardNet {
  const relu = new Map<string, string>();
  const order: ForwardNet['order'] = [];
  let h = 'x';
  let block = 0;
  for (const layer of layers) {
    const b = blockOfConv(layer.name);
    const afterPool = b !== block;
    if (afterPool) {
      h = g.op('AveragePool', [h], { kernel_shape: [2, 2], strides: [2, 2] }, `pool${block + 1}`);
      block = b;
    }
    const bias = g.floatInit(`${layer.name}_b`, [layer.outChannels], layer.bias);
    order.push({ layer, input: h, block: b, afterPool });
    const { inChannels: ci, outChannels: co } = layer;
    let conv: string;
    if (wino && useWinograd(opts, ci, co, b)) {
      const u = g.floatInit(`${layer.name}_u`, [36, co, ci], winogradWeights(forwardKernel(layer), co, ci));
      conv = wino.conv(h, `b${b}`, u, ci, co, bias, layer.name);
    } else {
      const w = g.floatInit(`${layer.name}_w`, [co, ci, 3, 3], forwardKernel(layer));
      conv = g.op('Conv', [h, w, bias], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, `${layer.name}`);
    }
    h = g.op('Relu', [conv], {}, `relu${layer.name.slice(4)}`);
    relu.set(layer.name, h);
    if (layer.name === deepest) break;
  }
  return { g, relu, order };
}

function deepestOf(layers: ConvLayer[], names: LayerName[]): string {
  const convs = new Set(names.map(convOf));
  const loaded = layers.map((l) => l.name);
  for (const c of convs) if (!loaded.includes(c)) throw new Error(`Layer ${c} was not loaded (loaded up to ${loaded.at(-1)})`);
  return loaded.filter((n) => convs.has(n)).at(-1)!;
}

/** [1,C,h,w] → [C, h·w]. */
function flat(g: GraphBuilder, f: string, channels: number): string {
  return g.op('Reshape', [f, g.int64Init(`${f}_flatshape`, [channels, -1])]);
}

/**
 * Features graph: input x; outputs `content_i` ([1,C,h,w]) per content layer and `gram_i` ([C,C],
 * NOT yet divided by C·N — the caller does it, knowing the shape) per style layer.
 */
export function buildFeaturesGraph(layers: ConvLayer[], content: LayerName[], style: LayerName[]): Uint8Array {
  const g = new GraphBuilder();
  g.input('x', [1, 3, 'H', 'W']);
  const net = buildForward(g, layers, deepestOf(layers, [...content, ...style]));
  const channels = new Map(layers.map((l) => [l.name, l.outChannels]));
  content.forEach((name, i) => {
    const out = g.op('Identity', [net.relu.get(convOf(name))!], {}, `content_${i}`);
    g.output(out, null);
  });
  style.forEach((name, i) => {
    const c = channels.get(convOf(name))!;
    const fm = flat(g, net.relu.get(convOf(name))!, c);
    const out = g.op('Gemm', [fm, fm], { transB: 1 }, `gram_${i}`);
    g.output(out, [c, c]);
  });
  return g.encode('vgg19_features');
}

/**
 * Loss graph. Inputs:
 *  - x [1,3,H,W]
 *  - per content layer i: `content_target_i` [1,C,h,w], `content_mask_i` [1,1,h,w] (each position's
 *    weight), `content_scale_i` [] = contentWeight/(C·N)
 *  - per style layer j: `gram_target_j` [C,C], `gram_norm_j` [] = 1/(C·N),
 *    `style_scale_j` [] = weight_j/C², `style_grad_scale_j` [] = 4·weight_j/(C³·N)
 * Outputs: `content_loss` [], `style_loss` [], `grad` [1,3,H,W] (without TV, which is done in JS).
 * A content weight of 0 is served by a zero scale (the target may then be any tensor of the right shape).
 */
export function buildLossGraph(layers: ConvLayer[], content: LayerName[], style: LayerName[], opts: GraphOptions = {}): Uint8Array {
  const g = new GraphBuilder();
  g.input('x', [1, 3, 'H', 'W']);
  const deepest = deepestOf(layers, [...content, ...style]);
  const wino = opts.winograd === false ? undefined : new WinogradConv(g);
  const net = buildForward(g, layers, deepest, wino, opts);
  const channels = new Map(layers.map((l) => [l.name, l.outChannels]));

  /** Gradient contributions of the losses, per conv layer (at its ReLU output). */
  const lossGrads = new Map<string, string[]>();
  const add = (conv: string, grad: string) => lossGrads.set(conv, [...(lossGrads.get(conv) ?? []), grad]);
  const contentLosses: string[] = [];
  const styleLosses: string[] = [];

  content.forEach((name, i) => {
    const conv = convOf(name);
    const c = channels.get(conv)!;
    const target = g.input(`content_target_${i}`, [1, c, `ch${i}`, `cw${i}`]);
    const mask = g.input(`content_mask_${i}`, [1, 1, `ch${i}`, `cw${i}`]);
    const scale = g.input(`content_scale_${i}`, []);
    const d = g.op('Sub', [net.relu.get(conv)!, target]);
    // Σ m·(F − P)², m broadcast over channels; its gradient at F is 2·m·(F − P).
    const dm = g.op('Mul', [d, mask]);
    contentLosses.push(g.op('Mul', [g.op('ReduceSum', [g.op('Mul', [d, dm])], { keepdims: 0 }), scale]));
    add(conv, g.op('Mul', [dm, g.op('Add', [scale, scale])]));
  });

  style.forEach((name, j) => {
    const conv = convOf(name);
    const c = channels.get(conv)!;
    const target = g.input(`gram_target_${j}`, [c, c]);
    const norm = g.input(`gram_norm_${j}`, []);
    const scale = g.input(`style_scale_${j}`, []);
    const gradScale = g.input(`style_grad_scale_${j}`, []);
    const f = net.relu.get(conv)!;
    const fm = flat(g, f, c);
    const gram = g.op('Mul', [g.op('Gemm', [fm, fm], { transB: 1 }), norm]);
    const d = g.op('Sub', [gram, target]);
    styleLosses.push(g.op('Mul', [g.op('ReduceSumSquare', [d], { keepdims: 0 }), scale]));
    const gradFlat = g.op('MatMul', [g.op('Mul', [d, gradScale]), fm]);
    add(conv, g.op('Reshape', [gradFlat, g.op('Shape', [f])]));
  });

  const zero = g.scalarInit('zero', 0);
  const sumOrZero = (xs: string[], out: string) => (xs.length === 0 ? g.op('Identity', [zero], {}, out) : g.op('Sum', xs, {}, out));
  g.output(sumOrZero(contentLosses, 'content_loss'), []);
  g.output(sumOrZero(styleLosses, 'style_loss'), []);

  // Backward, from the deepest layer down to the pixels.
  const upScales = g.floatInit('up_scales', [4], new Float32Array([1, 1, 2, 2]));
  const padHead = g.int64Init('pad_head', [0, 0, 0, 0, 0, 0]);
  const hw = { starts: g.int64Init('hw_start', [2]), ends: g.int64Init('hw_end', [4]) };
  let upstream: string | null = null;
  for (let k = net.order.length - 1; k >= 0; k--) {
    const { layer, input, afterPool, block } = net.order[k];
    const parts = [...(upstream ? [upstream] : []), ...(lossGrads.get(layer.name) ?? [])];
    const gOut = parts.length === 1 ? parts[0] : g.op('Sum', parts);
    const y = net.relu.get(layer.name)!;
    const gPre = g.op('Where', [g.op('Greater', [y, zero]), gOut, zero]);
    // The 1/4 of the average pool's backward is folded into this kernel.
    const isFirst = k === 0;
    const kernel = backwardKernel(layer, afterPool ? 0.25 : 1);
    const { inChannels: ci, outChannels: co } = layer;
    let gIn: string;
    if (wino && useWinograd(opts, co, ci, block)) {
      const u = g.floatInit(`${layer.name}_ut`, [36, ci, co], winogradWeights(kernel, ci, co));
      gIn = wino.conv(gPre, `b${block}`, u, co, ci, undefined, isFirst ? 'grad' : undefined);
    } else {
      const wt = g.floatInit(`${layer.name}_wt`, [ci, co, 3, 3], kernel);
      gIn = g.op('Conv', [gPre, wt], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, isFirst ? 'grad' : undefined);
    }
    if (afterPool) {
      // Nearest upsampling ×2, then zero-pad to the pre-pool shape (floor pooling dropped a row/col).
      const up = g.op('Resize', [gIn, '', upScales], {
        mode: 'nearest',
        coordinate_transformation_mode: 'asymmetric',
        nearest_mode: 'floor',
      });
      const prePool = net.order[k - 1] ? net.relu.get(net.order[k - 1].layer.name)! : input;
      const diff = g.op('Sub', [g.op('Shape', [prePool]), g.op('Shape', [up])]);
      const pads = g.op('Concat', [padHead, g.op('Slice', [diff, hw.starts, hw.ends])], { axis: 0 });
      gIn = g.op('Pad', [up, pads]);
    }
    upstream = gIn;
  }
  g.output('grad', [1, 3, 'H', 'W']);
  return g.encode('vgg19_loss_grad');
}
