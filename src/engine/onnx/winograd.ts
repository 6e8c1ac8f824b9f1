/**
 * 3×3 'same' convolution as Winograd F(4×4, 3×3) in plain ONNX ops: 36 multiplies per 4×4 output
 * tile per channel pair instead of 144, i.e. 4× fewer than a direct convolution. On a CPU that runs
 * the direct convolution near its peak this is the only way to do the same arithmetic faster; it
 * is used for the wide layers (the narrow first layer and the 3-channel gradient stay direct).
 *
 *   pad (1 before, 1 + to a multiple of 4 after) → input transform Bᵀ d B as a grouped 6×6/stride-4
 *   conv → [36, Cin, T] → batched MatMul with U = G g Gᵀ ([36, Cout, Cin]) → [Cout·36, th, tw] →
 *   output transform Aᵀ m A as a grouped 4×4/stride-4 ConvTranspose (+ bias) → crop to H×W.
 *
 * The error against a direct float32 convolution is ~1e-5 relative.
 */
import type { GraphBuilder } from './proto.js';

const BT = [
  [4, 0, -5, 0, 1, 0],
  [0, -4, -4, 1, 1, 0],
  [0, 4, -4, -1, 1, 0],
  [0, -2, -1, 2, 1, 0],
  [0, 2, -1, -2, 1, 0],
  [0, 4, 0, -5, 0, 1],
];
const G = [
  [1 / 4, 0, 0],
  [-1 / 6, -1 / 6, -1 / 6],
  [-1 / 6, 1 / 6, -1 / 6],
  [1 / 24, 1 / 12, 1 / 6],
  [1 / 24, -1 / 12, 1 / 6],
  [0, 0, 1],
];
const AT = [
  [1, 1, 1, 1, 1, 0],
  [0, 1, -1, 2, -2, 0],
  [0, 1, 1, 4, 4, 0],
  [0, 1, -1, 8, -8, 1],
];
const A = 6;
const M = 4;
const K = A * A;

/** ONNX kernel [O, I, 3, 3] → Winograd weights [36, O, I] (computed in float64). */
export function winogradWeights(w: Float32Array, outC: number, inC: number): Float32Array {
  const u = new Float32Array(K * outC * inC);
  const t = new Float64Array(A * 3);
  for (let o = 0; o < outC; o++) {
    for (let i = 0; i < inC; i++) {
      const base = (o * inC + i) * 9;
      // t = G g  (6×3)
      for (let a = 0; a < A; a++) for (let c = 0; c < 3; c++) t[a * 3 + c] = G[a][0] * w[base + c] + G[a][1] * w[base + 3 + c] + G[a][2] * w[base + 6 + c];
      // u = t Gᵀ (6×6)
      for (let a = 0; a < A; a++)
        for (let b = 0; b < A; b++) {
          const v = t[a * 3] * G[b][0] + t[a * 3 + 1] * G[b][1] + t[a * 3 + 2] * G[b][2];
          u[((a * A + b) * outC + o) * inC + i] = v;
        }
    }
  }
  return u;
}

function inputTransform(channels: number): Float32Array {
  const k = new Float32Array(channels * K * K);
  for (let c = 0; c < channels; c++)
    for (let a = 0; a < A; a++)
      for (let b = 0; b < A; b++) for (let i = 0; i < A; i++) for (let j = 0; j < A; j++) k[((c * K + a * A + b) * A + i) * A + j] = BT[a][i] * BT[b][j];
  return k;
}

function outputTransform(channels: number): Float32Array {
  const k = new Float32Array(channels * K * M * M);
  for (let o = 0; o < channels; o++)
    for (let a = 0; a < A; a++)
      for (let b = 0; b < A; b++) for (let p = 0; p < M; p++) for (let q = 0; q < M; q++) k[((o * K + a * A + b) * M + p) * M + q] = AT[p][a] * AT[q][b];
  return k;
}

/** Builds Winograd convolutions into one graph, sharing transforms and shape arithmetic. */
export class WinogradConv {
  private readonly transforms = new Map<string, string>();
  private readonly levels = new Map<string, { pads: string; hw: string; tiles: string }>();
  private readonly tileShapes = new Map<string, string>();
  private readonly axes: string;
  private readonly starts: string;

  constructor(private readonly g: GraphBuilder) {
    this.axes = g.int64Init('wino_crop_axes', [2, 3]);
    this.starts = g.int64Init('wino_crop_starts', [0, 0]);
  }

  private transform(kind: 'in' | 'out', channels: number): string {
    const key = `${kind}${channels}`;
    let name = this.transforms.get(key);
    if (!name) {
      name =
        kind === 'in'
          ? this.g.floatInit(`wino_bt_${channels}`, [channels * K, 1, A, A], inputTransform(channels))
          : this.g.floatInit(`wino_at_${channels}`, [channels * K, 1, M, M], outputTransform(channels));
      this.transforms.set(key, name);
    }
    return name;
  }

  /** Shape arithmetic for one spatial size, computed once from any tensor `ref` of that size. */
  private level(levelKey: string, ref: string) {
    let l = this.levels.get(levelKey);
    if (!l) {
      const g = this.g;
      const hw = g.op('Slice', [g.op('Shape', [ref]), g.int64Init(`wl_${levelKey}_s`, [2]), g.int64Init(`wl_${levelKey}_e`, [4])]);
      const four = g.int64Init(`wl_${levelKey}_4`, [4]);
      const extra = g.op('Mod', [g.op('Sub', [four, g.op('Mod', [hw, four])]), four]);
      const one = g.int64Init(`wl_${levelKey}_1`, [1]);
      const pads = g.op('Concat', [g.int64Init(`wl_${levelKey}_head`, [0, 0, 1, 1, 0, 0]), g.op('Add', [extra, one])], { axis: 0 });
      const tiles = g.op('Div', [g.op('Add', [hw, extra]), four]);
      l = { pads, hw, tiles };
      this.levels.set(levelKey, l);
    }
    return l;
  }

  /**
   * y = conv3x3_same(x, w) (+ bias). `levelKey` names the spatial size of x (tensors with the same key
   * must have the same H, W), `weights` is the [36, outC, inC] initializer from winogradWeights.
   */
  conv(x: string, levelKey: string, weights: string, inC: number, outC: number, bias?: string, outName?: string): string {
    const g = this.g;
    const { pads, hw, tiles } = this.level(levelKey, x);
    const padded = g.op('Pad', [x, pads]);
    const v = g.op('Conv', [padded, this.transform('in', inC)], { kernel_shape: [A, A], strides: [M, M], group: inC });
    let vShape = this.tileShapes.get(`v${inC}`);
    if (!vShape) {
      vShape = g.int64Init(`wino_vshape_${inC}`, [inC, K, -1]);
      this.tileShapes.set(`v${inC}`, vShape);
    }
    const vt = g.op('Transpose', [g.op('Reshape', [v, vShape])], { perm: [1, 0, 2] });
    const m = g.op('MatMul', [weights, vt]); // [36, Cout, T]
    // Output transform as a grouped ConvTranspose: measured faster than a GEMM followed by the 5-D
    // transpose it needs to put the 4×4 tiles back in place.
    const shapeKey = `${levelKey}_${outC}`;
    let mShape = this.tileShapes.get(shapeKey);
    if (!mShape) {
      mShape = g.op('Concat', [g.int64Init(`wt_${shapeKey}_head`, [1, outC * K]), tiles], { axis: 0 });
      this.tileShapes.set(shapeKey, mShape);
    }
    const mt = g.op('Reshape', [g.op('Transpose', [m], { perm: [1, 0, 2] }), mShape]);
    const y = g.op('ConvTranspose', bias ? [mt, this.transform('out', outC), bias] : [mt, this.transform('out', outC)], {
      kernel_shape: [M, M],
      strides: [M, M],
      group: outC,
    });
    return g.op('Slice', [y, this.starts, hw, this.axes], {}, outName);
  }
}
