/**
 * Faces in a picture, for the style crop and the quality measure: the Tiny Face Detector of
 * face-api (a Tiny YOLOv2 with depthwise-separable convolutions, 190 kB, MIT), its weights read from
 * the @vladmandic/face-api package and its network built here as an ONNX graph, so it runs on the
 * onnxruntime the engine already uses (about 20 ms on one core) instead of bringing TensorFlow.js in.
 *
 * The graph, the input preparation and the box decoding follow face-api's TinyYolov2 (runMobilenet,
 * forwardInput, extractBoxes): the picture padded to a square at its bottom or right, resized to
 * INPUT_SIZE, the mean colour taken off and divided by 255; a 3×3 convolution then five separable
 * ones with leaky ReLUs and max-pools; a 1×1 convolution to 5 anchors × (x, y, w, h, score) per cell.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { rgbThumbnail } from './image.js';
import { GraphBuilder } from './onnx/proto.js';

/** Side of the square the network sees; 416 is face-api's default, 13×13 cells. */
const INPUT_SIZE = 416;
const MEAN_RGB = [117.001, 114.697, 97.404];
const ANCHORS: ReadonlyArray<readonly [number, number]> = [
  [1.603231, 2.094468],
  [6.041143, 7.080126],
  [2.882459, 3.518061],
  [4.266906, 5.178857],
  [9.041765, 10.66308],
];
const IOU_THRESHOLD = 0.4;
/** Boxes scoring below this are not faces (face-api's default for this detector). */
export const FACE_SCORE_MIN = 0.5;
const LEAK = 0.1;

/** A face, in fractions of the picture's width and height (0..1), with the detector's score. */
export interface Face {
  x: number;
  y: number;
  width: number;
  height: number;
  score: number;
}

interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: 'uint8'; scale: number; min: number };
}

const MODEL = 'tiny_face_detector_model';

function modelDir(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
}

/** face-api's weights manifest and its one binary file, de-quantized, by name. */
async function readWeights(dir: string): Promise<Map<string, { shape: number[]; data: Float32Array }>> {
  const manifest = JSON.parse(await readFile(path.join(dir, `${MODEL}-weights_manifest.json`), 'utf8')) as { paths: string[]; weights: WeightSpec[] }[];
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const group of manifest) {
    const bin = Buffer.concat(await Promise.all(group.paths.map((p) => readFile(path.join(dir, p)))));
    let offset = 0;
    for (const w of group.weights) {
      const n = w.shape.reduce((a, b) => a * b, 1);
      const data = new Float32Array(n);
      if (w.quantization) {
        const { scale, min } = w.quantization;
        for (let i = 0; i < n; i++) data[i] = bin[offset + i]! * scale + min;
        offset += n;
      } else {
        data.set(new Float32Array(bin.buffer.slice(bin.byteOffset + offset, bin.byteOffset + offset + 4 * n)));
        offset += 4 * n;
      }
      out.set(w.name, { shape: w.shape, data });
    }
  }
  return out;
}

/** TensorFlow's [kh, kw, in, out] (or [kh, kw, in, 1] depthwise) as ONNX's [out, in, kh, kw] (or [in, 1, kh, kw]). */
function toOnnxKernel(data: Float32Array, [kh, kw, cin, cout]: number[], depthwise: boolean): { dims: number[]; data: Float32Array } {
  const out = new Float32Array(data.length);
  if (depthwise) {
    for (let y = 0; y < kh!; y++) for (let x = 0; x < kw!; x++) for (let c = 0; c < cin!; c++) out[(c * kh! + y) * kw! + x] = data[(y * kw! + x) * cin! + c]!;
    return { dims: [cin!, 1, kh!, kw!], data: out };
  }
  for (let y = 0; y < kh!; y++)
    for (let x = 0; x < kw!; x++)
      for (let i = 0; i < cin!; i++) for (let o = 0; o < cout!; o++) out[((o * cin! + i) * kh! + y) * kw! + x] = data[((y * kw! + x) * cin! + i) * cout! + o]!;
  return { dims: [cout!, cin!, kh!, kw!], data: out };
}

function buildGraph(weights: Map<string, { shape: number[]; data: Float32Array }>): Uint8Array {
  const g = new GraphBuilder();
  const get = (name: string) => {
    const w = weights.get(name);
    if (!w) throw new Error(`The face detector's weights lack ${name}.`);
    return w;
  };
  const conv = (x: string, name: string, depthwise: boolean, pads: number[], group = 1): string => {
    const w = get(name);
    const k = toOnnxKernel(w.data, w.shape, depthwise);
    return g.op('Conv', [x, g.floatInit(name, k.dims, k.data)], { pads, group });
  };
  const leaky = (x: string) => g.op('LeakyRelu', [x], { alpha: LEAK });
  const bias = (x: string, name: string) => {
    const b = get(name);
    return g.op('Add', [x, g.floatInit(name, [1, b.data.length, 1, 1], b.data)]);
  };
  const pool = (x: string, stride: number) => g.op('MaxPool', [x], { kernel_shape: [2, 2], strides: [stride, stride], auto_pad: 'SAME_UPPER' });
  const separable = (x: string, layer: string) => {
    const channels = get(`${layer}/depthwise_filter`).shape[2]!;
    const d = conv(x, `${layer}/depthwise_filter`, true, [1, 1, 1, 1], channels);
    return leaky(bias(conv(d, `${layer}/pointwise_filter`, false, [0, 0, 0, 0]), `${layer}/bias`));
  };
  let x = g.input('image', [1, 3, INPUT_SIZE, INPUT_SIZE]);
  x = leaky(bias(conv(x, 'conv0/filters', false, [0, 0, 0, 0]), 'conv0/bias'));
  x = pool(x, 2);
  for (const layer of ['conv1', 'conv2', 'conv3', 'conv4']) x = pool(separable(x, layer), 2);
  x = pool(separable(x, 'conv5'), 1);
  g.op('Identity', [bias(conv(x, 'conv8/filters', false, [0, 0, 0, 0]), 'conv8/bias')], {}, 'cells');
  g.output('cells', null);
  return g.encode('tiny_face_detector');
}

let session: Promise<ort.InferenceSession> | null = null;

function detectorSession(): Promise<ort.InferenceSession> {
  session ??= (async () => {
    const model = buildGraph(await readWeights(modelDir()));
    // One thread: a few milliseconds of work, taken on the intake side beside the chat connections.
    return ort.InferenceSession.create(model, { intraOpNumThreads: 1, interOpNumThreads: 1, executionProviders: ['cpu'] });
  })().catch((err: unknown) => {
    session = null;
    throw err;
  });
  return session;
}

/** The network's input: RGB bytes padded to a square (bottom or right, black), resized, normalized, CHW. */
async function networkInput(rgb: Buffer, width: number, height: number): Promise<{ tensor: ort.Tensor; scaled: { width: number; height: number } }> {
  const side = Math.max(width, height);
  const square = await sharp(rgb, { raw: { width, height, channels: 3 } })
    .extend({ right: side - width, bottom: side - height, background: { r: 0, g: 0, b: 0 } })
    .raw()
    .toBuffer();
  const resized = await sharp(square, { raw: { width: side, height: side, channels: 3 } })
    .resize(INPUT_SIZE, INPUT_SIZE, { kernel: 'linear', fit: 'fill' })
    .raw()
    .toBuffer();
  const plane = INPUT_SIZE * INPUT_SIZE;
  const data = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) data[c * plane + i] = (resized[i * 3 + c]! - MEAN_RGB[c]!) / 255;
  const k = INPUT_SIZE / side;
  return { tensor: new ort.Tensor('float32', data, [1, 3, INPUT_SIZE, INPUT_SIZE]), scaled: { width: width * k, height: height * k } };
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/** Intersection over union of two boxes. */
export function iou(a: Face, b: Face): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / (a.width * a.height + b.width * b.height - inter);
}

/** Cells → boxes relative to the picture (not the padded square), then non-maximum suppression. */
function decode(cells: Float32Array, grid: number, scaled: { width: number; height: number }, minScore: number): Face[] {
  const side = Math.max(scaled.width, scaled.height);
  const kx = side / scaled.width;
  const ky = side / scaled.height;
  const anchors = ANCHORS.length;
  const plane = grid * grid;
  const at = (channel: number, row: number, col: number) => cells[channel * plane + row * grid + col]!;
  const found: Face[] = [];
  for (let row = 0; row < grid; row++)
    for (let col = 0; col < grid; col++)
      for (let a = 0; a < anchors; a++) {
        const score = sigmoid(at(a * 5 + 4, row, col));
        if (score < minScore) continue;
        const cx = ((col + sigmoid(at(a * 5, row, col))) / grid) * kx;
        const cy = ((row + sigmoid(at(a * 5 + 1, row, col))) / grid) * ky;
        const w = ((Math.exp(at(a * 5 + 2, row, col)) * ANCHORS[a]![0]) / grid) * kx;
        const h = ((Math.exp(at(a * 5 + 3, row, col)) * ANCHORS[a]![1]) / grid) * ky;
        found.push({ x: cx - w / 2, y: cy - h / 2, width: w, height: h, score });
      }
  found.sort((p, q) => q.score - p.score);
  const kept: Face[] = [];
  for (const f of found) if (kept.every((k) => iou(k, f) <= IOU_THRESHOLD)) kept.push(f);
  return kept;
}

/** Faces in 8-bit RGB pixels, best first, clipped to the picture. */
export async function detectFacesRgb(rgb: Buffer, width: number, height: number, minScore = FACE_SCORE_MIN): Promise<Face[]> {
  const s = await detectorSession();
  const { tensor, scaled } = await networkInput(rgb, width, height);
  const out = (await s.run({ image: tensor })).cells!;
  const grid = out.dims[2]!;
  return decode(out.data as Float32Array, grid, scaled, minScore).map((f) => {
    const x = Math.max(0, f.x);
    const y = Math.max(0, f.y);
    return { x, y, width: Math.min(1, f.x + f.width) - x, height: Math.min(1, f.y + f.height) - y, score: f.score };
  });
}

/** Faces in an image file (any format sharp reads; EXIF orientation applied, alpha on white). */
export async function detectFaces(bytes: Buffer, minScore = FACE_SCORE_MIN): Promise<Face[]> {
  const { data, width, height } = await rgbThumbnail(bytes, INPUT_SIZE);
  return detectFacesRgb(data, width, height, minScore);
}
