/** VGG19 weights in the quantized format of models/vgg19: manifest.json + one raw uint8 file per tensor. */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ModelError } from './types.js';

export interface ManifestEntry {
  filename: string;
  size: number;
  shape: number[];
  checksum: string;
  quantization: { dtype: 'uint8'; scale: number; min_value: number };
}

export interface Manifest {
  name: string;
  weights: Record<string, ManifestEntry>;
}

export interface ConvLayer {
  /** e.g. 'conv1_1' */
  name: string;
  /** [3, 3, in, out] as stored. */
  kernel: Float32Array;
  bias: Float32Array;
  inChannels: number;
  outChannels: number;
}

/** conv layers in network order, grouped by block (a max-pool follows each block). */
export const VGG19_BLOCKS: string[][] = [
  ['conv1_1', 'conv1_2'],
  ['conv2_1', 'conv2_2'],
  ['conv3_1', 'conv3_2', 'conv3_3', 'conv3_4'],
  ['conv4_1', 'conv4_2', 'conv4_3', 'conv4_4'],
  ['conv5_1', 'conv5_2', 'conv5_3', 'conv5_4'],
];

/** Caffe means in BGR order. */
export const VGG_MEAN_BGR = [103.939, 116.779, 123.68] as const;

export function md5(data: Uint8Array): string {
  return createHash('md5').update(data).digest('hex');
}

export async function readManifest(dir: string): Promise<Manifest> {
  const file = path.join(dir, 'manifest.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new ModelError(`No VGG19 manifest at ${file}: set TILESTYLE_MODEL_DIR to a directory holding the weights.`);
  }
  try {
    return JSON.parse(text) as Manifest;
  } catch {
    throw new ModelError(`The VGG19 manifest at ${file} is not valid JSON.`);
  }
}

/** Checks a weight file against its manifest entry; returns a reason or null. */
export function checkWeightFile(entry: ManifestEntry, bytes: Uint8Array): string | null {
  if (bytes.length !== entry.size) return `has ${bytes.length} bytes, expected ${entry.size}`;
  const sum = md5(bytes);
  if (sum !== entry.checksum) return `md5 ${sum} does not match ${entry.checksum}`;
  return null;
}

function dequantize(entry: ManifestEntry, bytes: Uint8Array): Float32Array {
  const { scale, min_value: min } = entry.quantization;
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[i] * scale + min;
  return out;
}

/**
 * Loads conv layers up to and including `lastLayer` (default conv5_1: the deepest layer the losses use),
 * verifying every file's md5.
 */
export async function loadVgg19(dir: string, lastLayer = 'conv5_1'): Promise<ConvLayer[]> {
  const manifest = await readManifest(dir);
  const layers: ConvLayer[] = [];
  for (const name of VGG19_BLOCKS.flat()) {
    const tensors: Float32Array[] = [];
    let shape: number[] = [];
    for (const part of ['kernel', 'bias'] as const) {
      const entry = manifest.weights[`${name}/${part}`];
      if (!entry) throw new ModelError(`The VGG19 manifest in ${dir} has no entry for ${name}/${part}.`);
      const file = path.join(dir, entry.filename);
      let bytes: Uint8Array;
      try {
        bytes = await readFile(file);
      } catch {
        throw new ModelError(`VGG19 weight file ${file} is missing.`);
      }
      const problem = checkWeightFile(entry, bytes);
      if (problem) throw new ModelError(`VGG19 weight file ${file} is corrupt: it ${problem}.`);
      tensors.push(dequantize(entry, bytes));
      if (part === 'kernel') shape = entry.shape;
    }
    layers.push({ name, kernel: tensors[0], bias: tensors[1], inChannels: shape[2], outChannels: shape[3] });
    if (name === lastLayer) break;
  }
  return layers;
}
