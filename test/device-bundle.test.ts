/**
 * The device bundle end to end: `bundle:device` packs it (fast xz level), and device-check.sh runs it
 * from a fresh folder with an empty environment (as `env -i` does) and no node_modules around, on the
 * CPU, at a small size and without the default job to stay short. Also how differences are reported.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { compareArrays, describeDifference, relativeError } from '../bench/device/compare.js';
import { HAS_GPU_DEVICE } from './helpers/gpu.js';
import { TEST_THREADS } from './helpers/threads.js';

const ROOT = path.resolve(new URL('.', import.meta.url).pathname, '..');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const SMALL = ['--sizes', '64', '--reps', '1', '--parity-size', '64', '--no-job', '--threads', String(TEST_THREADS)];

/** The bundle carries this machine's native libraries for Linux x86-64 and is packed with tar and xz. */
const missing = [
  process.platform === 'linux' && process.arch === 'x64' ? null : `Linux x86-64 (this is ${process.platform} ${process.arch})`,
  ...['tar', 'xz'].map((tool) => (spawnSync(tool, ['--version']).status === 0 ? null : tool)),
].filter(Boolean);
if (missing.length > 0) console.warn(`Skipping the device bundle test: it needs ${missing.join(', ')}.`);
const describeBundle = missing.length === 0 ? describe : describe.skip;

describeBundle('the device bundle', () => {
  let dir: string;
  let script: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'tilestyle-device-test-'));
    const built = await run(
      process.execPath,
      [
        path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'),
        'bench/bundle-device.ts',
        '--out',
        path.join(dir, 'device'),
        '--level',
        '0',
        '--max-mib',
        '200',
        '--allow-missing-debs',
      ],
      { cwd: ROOT, env: process.env },
    );
    if (built.code !== 0) throw new Error(`bundle:device failed:\n${built.stdout}\n${built.stderr}`);
    script = path.join(dir, 'device', 'device-check.sh');
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('the bundle holds only the archive and the script that runs it', async () => {
    expect((await readdir(path.join(dir, 'device'))).sort()).toEqual(['device-check.sh', 'tilestyle-device.tar.xz']);
  });

  test('device-check.sh --device cpu passes from the bundle alone, with an empty environment', async () => {
    const r = await run('/bin/bash', [script, '--device', 'cpu', ...SMALL], { cwd: dir, env: {} });
    const report = `${r.stdout}\n${r.stderr}`;
    expect({ code: r.code, report }).toEqual({ code: 0, report: expect.stringContaining('DEVICE CHECK PASSED on cpu') });
    expect(r.stdout).toMatch(/\| parity 64 px: gradient \(L2\)\s+\| cpu vs cpu \| rel\. error [^|]+\|[^|]*\|[^|]*\| PASS/);
    expect(r.stdout).toMatch(/\| parity 64 px: total loss\s+\|.*\| PASS/);
    expect(r.stdout).toMatch(/\| step 64 px \(loss\+gradient\)\s+\| cpu\s+\|/);
    expect(r.stdout).not.toMatch(/FAIL/);
  });

  // Without a GPU there is no adapter: the check must fail loudly rather than measure the CPU.
  (HAS_GPU_DEVICE ? test.skip : test)('a device that is not used never passes: it fails loudly instead of measuring the CPU', async () => {
    const r = await run('/bin/bash', [script, '--device', 'webgpu', ...SMALL], { cwd: dir, env: {} });
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 1, stdout: expect.stringContaining('DEVICE FELL BACK TO CPU') });
    expect(r.stdout).toContain('DEVICE CHECK FAILED on webgpu');
  });

  test('a bad option is refused before anything is unpacked', async () => {
    const r = await run('/bin/bash', [script, '--device', 'tpu'], { cwd: dir, env: {} });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--device must be cpu, webgpu or cuda:N');
  });
});

describe('what the check says when a device differs', () => {
  const ref = Float32Array.from({ length: 12 }, (_, i) => Math.sin(i + 1));

  test('identical results have no error', () => {
    expect(compareArrays(ref, ref.slice())).toMatchObject({ relError: 0, maxAbsDiff: 0, nonFinite: 0, normRatio: 1 });
  });

  test('NaN, a scale error and a wrong value are each named', () => {
    const nan = ref.slice();
    nan[3] = NaN;
    expect(compareArrays(ref, nan).relError).toBe(Infinity);
    expect(describeDifference(compareArrays(ref, nan))).toContain('1 of 12 values are NaN or infinite');

    const scaled = ref.map((x) => x * 2);
    expect(compareArrays(ref, scaled).relError).toBeCloseTo(1, 6);
    expect(describeDifference(compareArrays(ref, scaled))).toContain('norm 2.0000× the CPU');

    const wrong = ref.slice();
    wrong[7] = -wrong[7];
    const d = compareArrays(ref, wrong);
    expect(d.maxAt).toBe(7);
    expect(describeDifference(d, (i) => `pixel ${i}`)).toContain('at pixel 7');
  });

  test('loss errors are relative, and a non-finite loss never passes', () => {
    expect(relativeError(200, 201)).toBeCloseTo(0.005, 9);
    expect(relativeError(1, NaN)).toBe(Infinity);
    expect(relativeError(0, 0)).toBe(0);
  });
});
