/**
 * The device bundle end to end: `bundle:device` packs it (fast xz level), and device-check.sh runs it
 * from a fresh folder with an empty environment (as `env -i` does) and no node_modules around, on the
 * CPU, at a small size and without the default job to stay short.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

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

const SMALL = ['--sizes', '64', '--reps', '1', '--parity-size', '64', '--no-job', '--threads', '2'];
let dir: string;
let script: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tilestyle-device-test-'));
  const built = await run(
    process.execPath,
    [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'bench/bundle-device.ts', '--out', path.join(dir, 'device'), '--level', '0', '--max-mib', '200', '--allow-missing-debs'],
    { cwd: ROOT, env: process.env },
  );
  if (built.code !== 0) throw new Error(`bundle:device failed:\n${built.stdout}\n${built.stderr}`);
  script = path.join(dir, 'device', 'device-check.sh');
}, 300_000);

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
}, 240_000);

test('a device that is not used never passes: it fails loudly instead of measuring the CPU', async () => {
  const r = await run('/bin/bash', [script, '--device', 'webgpu', ...SMALL], { cwd: dir, env: {} });
  if (r.code === 0) {
    // A machine with a working WebGPU adapter: then nothing may have fallen back.
    expect(r.stdout).toContain('DEVICE CHECK PASSED on webgpu');
    expect(r.stdout).not.toContain('FELL BACK');
  } else {
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 1, stdout: expect.stringContaining('DEVICE FELL BACK TO CPU') });
    expect(r.stdout).toContain('DEVICE CHECK FAILED on webgpu');
  }
}, 240_000);

test('a bad option is refused before anything is unpacked', async () => {
  const r = await run('/bin/bash', [script, '--device', 'tpu'], { cwd: dir, env: {} });
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('--device must be cpu, webgpu or cuda:N');
});
