/**
 * The two references every engine figure is stated against, measured in the same run:
 * - the naive step: one loss+gradient step at 256 px of `../shared/bench/naive-step.cjs`, a plain
 *   onnxruntime graph of direct convolutions that does not change when the engine does. Job times in
 *   naive steps compare across machines (AVX2 or AVX-512) and across runs (±20 % drift);
 * - the MatMul rate: a large fp32 MatMul through onnxruntime on the same threads, the rate the
 *   engine's executed arithmetic is held against.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '../src/engine/onnx/proto.js';

const run = promisify(execFile);

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

/** Milliseconds of one naive step at 256 px (median of `reps`), or null when the script is missing. */
export async function naiveStepMs(root: string, script: string, threads: number, reps = 5): Promise<number | null> {
  if (!existsSync(script)) return null;
  const { stdout } = await run(process.execPath, [script], {
    env: { ...process.env, SIZES: '256', BW_ONLY: '1', REPS: String(reps), T: String(threads), NODE_PATH: path.join(root, 'node_modules') },
    maxBuffer: 1 << 20,
  });
  const line = stdout.split('\n').find((l) => l.startsWith('{'));
  if (!line) throw new Error(`naive-step.cjs printed no result:\n${stdout}`);
  return median((JSON.parse(line) as { ms: number[] }).ms);
}

/** GFLOP/s of an n×n by n×n fp32 MatMul through onnxruntime on `threads` threads (median of `reps`). */
export async function matMulGflops(threads: number, n = 2048, reps = 5): Promise<number> {
  const g = new GraphBuilder();
  g.input('a', [n, n]);
  g.input('b', [n, n]);
  g.output(g.op('MatMul', ['a', 'b'], {}, 'c'), [n, n]);
  const session = await ort.InferenceSession.create(g.encode('matmul'), { intraOpNumThreads: threads, interOpNumThreads: 1, logSeverityLevel: 3 });
  const filled = () =>
    new ort.Tensor(
      'float32',
      Float32Array.from({ length: n * n }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5),
      [n, n],
    );
  const feeds = { a: filled(), b: filled() };
  await session.run(feeds);
  const ms: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await session.run(feeds);
    ms.push(performance.now() - t0);
  }
  await session.release();
  return (2 * n ** 3) / 1e6 / median(ms);
}
