/**
 * Reference LossBackend on TensorFlow.js autodiff: slow on CPU but simple, so the ONNX backend can be
 * checked against it. The loss and its coefficients come from loss.ts, differentiated by tf.grad
 * (the TV term, computed on pixels, is loss.ts's own for both backends). VGG19 convs (3×3, pad 1) + bias + ReLU, 2×2 average pooling (stride 2, floor, as ONNX's default
 * AveragePool) after each block, only as deep as the deepest layer used.
 *
 * Internally tensors are NHWC (TensorFlow's layout, and the stored kernels are already [3,3,in,out]);
 * the interface speaks NCHW, and content features are exchanged as [C,H,W].
 */
import type { LossAndGrad, LossBackend, LossSpec, LossTargets, VggImage } from '../backend.js';
import type { LayerName, Losses } from '../types.js';
import { addTv, contentScale, gramNorm, styleScale } from '../loss.js';
import { VGG19_BLOCKS, type ConvLayer } from '../weights.js';
import { convOf } from '../vgg-layers.js';
import { initTf, tf } from './runtime.js';

interface TfLayer {
  name: string;
  kernel: tf.Tensor4D;
  /** Kernel for the input gradient: spatially flipped, in/out swapped. */
  kernelT: tf.Tensor4D;
  bias: tf.Tensor1D;
}

/**
 * relu(conv3x3_same(x) + bias) as one fused op with a hand-written input gradient:
 * dx = conv(dy · [y > 0], flipped and transposed kernel). Conv2DBackpropInput, which autodiff would
 * use, is several times slower on the WebAssembly backend, and no kernel or bias gradient is needed.
 */
function convRelu(x: tf.Tensor4D, layer: TfLayer): tf.Tensor4D {
  const f = tf.customGrad((...args) => {
    const save = args[1] as tf.GradSaveFunc;
    const y = tf.fused.conv2d({
      x: args[0] as tf.Tensor4D,
      filter: layer.kernel,
      strides: 1,
      pad: 'same',
      bias: layer.bias,
      activation: 'relu',
    });
    save([y]);
    return {
      value: y as tf.Tensor,
      gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) => [tf.conv2d(tf.mul(dy, tf.step(saved)) as tf.Tensor4D, layer.kernelT, 1, 'same')],
    };
  });
  return f(x) as tf.Tensor4D;
}

export async function createTfjsBackend(layers: ConvLayer[], _opts: { threads?: number } = {}): Promise<LossBackend> {
  const runtime = await initTf();
  const net: TfLayer[] = layers.map((l) =>
    tf.tidy(() => {
      const kernel = tf.tensor4d(l.kernel, [3, 3, l.inChannels, l.outChannels]);
      return {
        name: l.name,
        kernel: tf.keep(kernel),
        kernelT: tf.keep(tf.reverse(kernel, [0, 1]).transpose([0, 1, 3, 2]) as tf.Tensor4D),
        bias: tf.keep(tf.tensor1d(l.bias)),
      };
    }),
  );
  const byName = new Map(net.map((l) => [l.name, l]));
  const blockOf = new Map(VGG19_BLOCKS.flatMap((convs, b) => convs.map((c) => [c, b] as const)));
  let disposed = false;

  /** Outputs of the requested ReLU layers, NHWC, computed as deep as the deepest of them. */
  function forward(x: tf.Tensor4D, wanted: LayerName[]): Map<LayerName, tf.Tensor4D> {
    const convs = new Set(wanted.map(convOf));
    for (const c of convs) {
      if (!byName.has(c)) throw new Error(`Layer ${c} was not loaded (loaded up to ${net[net.length - 1]?.name})`);
    }
    const out = new Map<LayerName, tf.Tensor4D>();
    let h = x;
    let block = 0;
    for (const layer of net) {
      if (out.size === convs.size) break;
      const b = blockOf.get(layer.name)!;
      if (b !== block) {
        h = tf.avgPool(h, 2, 2, 'valid');
        block = b;
      }
      h = convRelu(h, layer);
      if (convs.has(layer.name)) out.set(`relu${layer.name.slice(4)}`, h);
    }
    return out;
  }

  function gram(f: tf.Tensor4D): tf.Tensor2D {
    const [, hh, ww, c] = f.shape;
    const n = hh * ww;
    const m = f.reshape([n, c]);
    return tf.matMul(m, m, true, false).mul(gramNorm(c, n));
  }

  function toNhwc(image: VggImage): tf.Tensor4D {
    if (image.data.length !== 3 * image.height * image.width) {
      throw new Error(`VggImage has ${image.data.length} values, expected 3×${image.height}×${image.width}`);
    }
    return tf.tensor4d(image.data, [1, 3, image.height, image.width]).transpose([0, 2, 3, 1]);
  }

  function lossParts(x: tf.Tensor4D, targets: LossTargets, spec: LossSpec) {
    const useContent = spec.contentWeight !== 0 && !!targets.content && spec.contentLayers.length > 0;
    const feats = forward(x, [...(useContent ? spec.contentLayers : []), ...spec.styleLayers]);
    let content: tf.Scalar = tf.scalar(0);
    if (useContent) {
      spec.contentLayers.forEach((name, i) => {
        const f = feats.get(name)!;
        const [, hh, ww, c] = f.shape;
        const target = targets.content![i];
        if (target.length !== c * hh * ww) {
          throw new Error(`Content target for ${name} has ${target.length} values, expected ${c}×${hh}×${ww}`);
        }
        const p = tf.tensor4d(target, [1, c, hh, ww]).transpose([0, 2, 3, 1]);
        const mask = targets.contentMask?.[i];
        const sq = tf.squaredDifference(f, p);
        const weighted = mask ? sq.mul(tf.tensor4d(mask, [1, hh, ww, 1])) : sq;
        content = content.add(weighted.sum().mul(contentScale(spec.contentWeight, c, hh * ww)));
      });
    }
    let style: tf.Scalar = tf.scalar(0);
    spec.styleLayers.forEach((name, i) => {
      const g = gram(feats.get(name)!);
      const c = g.shape[0];
      const target = targets.grams[i];
      if (target.length !== c * c) throw new Error(`Gram target for ${name} has ${target.length} values, expected ${c}×${c}`);
      style = style.add(
        tf
          .squaredDifference(g, tf.tensor2d(target, [c, c]))
          .sum()
          .mul(styleScale(spec.styleLayerWeights[i], c)),
      );
    });
    return { content, style };
  }

  function checkAlive() {
    if (disposed) throw new Error('The tfjs backend has been disposed');
  }

  return {
    name: 'tfjs',
    device: runtime,

    async features(image, layers) {
      checkAlive();
      const { content, grams } = tf.tidy(() => {
        const feats = forward(toNhwc(image), [...layers.content, ...layers.style]);
        return {
          content: layers.content.map((n) => feats.get(n)!.transpose([0, 3, 1, 2])), // → [1,C,H,W]
          grams: layers.style.map((n) => gram(feats.get(n)!)),
        };
      });
      try {
        return {
          content: await Promise.all(content.map(async (t) => (await t.data()) as Float32Array)),
          grams: await Promise.all(grams.map(async (t) => (await t.data()) as Float32Array)),
        };
      } finally {
        tf.dispose([...content, ...grams]);
      }
    },

    async lossAndGrad(image, targets, spec): Promise<LossAndGrad> {
      checkAlive();
      if (spec.styleLayers.length !== targets.grams.length || spec.styleLayers.length !== spec.styleLayerWeights.length) {
        throw new Error('styleLayers, styleLayerWeights and target grams must have the same length');
      }
      const result = tf.tidy(() => {
        let parts: tf.Scalar[] = [];
        const total = (x: tf.Tensor) => {
          const { content, style } = lossParts(x as tf.Tensor4D, targets, spec);
          parts = [tf.keep(content), tf.keep(style)];
          return content.add(style) as tf.Scalar;
        };
        const { value, grad } = tf.valueAndGrad(total)(toNhwc(image));
        return { value, grad: grad.transpose([0, 3, 1, 2]), parts };
      });
      try {
        const [content, style] = await Promise.all(result.parts.map((t) => t.data()));
        const grad = (await result.grad.data()) as Float32Array;
        const tv = addTv(image.data, image.height, image.width, spec.tvWeight, grad);
        const losses: Losses = { total: content[0] + style[0] + tv, content: content[0], style: style[0], tv };
        return { losses, grad };
      } finally {
        tf.dispose([result.value, result.grad, ...result.parts]);
      }
    },

    async dispose() {
      if (disposed) return;
      disposed = true;
      for (const l of net) tf.dispose([l.kernel, l.kernelT, l.bias]);
    },
  };
}
