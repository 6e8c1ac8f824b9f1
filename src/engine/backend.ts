/**
 * What the optimizer needs from a compute backend: the loss of an image and its gradient with
 * respect to the pixels. Both backends (onnx, tfjs) implement it, so they can be compared.
 *
 * Images are NCHW float32 [1, 3, H, W] in VGG input space: BGR order, 0..255 minus the Caffe means.
 */
import type { LayerName, Losses } from './types.js';

export interface VggImage {
  data: Float32Array;
  height: number;
  width: number;
}

/** Targets of the loss, fixed for a run. */
export interface LossTargets {
  /** Content features per content layer, [C, H, W] flattened, at the result's size. Absent: no content loss. */
  content?: Float32Array[];
  /**
   * Weight of each position of the content loss per content layer, [H, W] at that layer's size (see
   * loss.ts: the content's subjects weigh more). Absent: every position weighs 1.
   */
  contentMask?: Float32Array[];
  /** Target Gram matrices per style layer, [C, C] flattened (already blended over styles and tiled). */
  grams: Float32Array[];
}

export interface LossSpec {
  contentLayers: LayerName[];
  styleLayers: LayerName[];
  contentWeight: number;
  /** One weight per style layer (already multiplied by the style weight). */
  styleLayerWeights: number[];
  tvWeight: number;
}

export interface LossAndGrad {
  losses: Losses;
  /** d(total loss)/d(image), same layout as the image. */
  grad: Float32Array;
}

export interface LossBackend {
  readonly name: string;
  readonly device: string;
  /** Content features and Gram matrices of an image at the requested layers. */
  features(image: VggImage, layers: { content: LayerName[]; style: LayerName[] }): Promise<{ content: Float32Array[]; grams: Float32Array[] }>;
  lossAndGrad(image: VggImage, targets: LossTargets, spec: LossSpec): Promise<LossAndGrad>;
  /**
   * Frees what was built for one layer set (its sessions and their memory) until it is next used, when
   * it is built again. Optional: a backend without per-layer-set state has nothing to free.
   */
  release?(layers: { content: LayerName[]; style: LayerName[] }): Promise<void>;
  /** Releases sessions and memory. */
  dispose(): Promise<void>;
}
