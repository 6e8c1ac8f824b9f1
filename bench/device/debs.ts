/**
 * Debian packages the GPU machine may lack, fetched once with apt-get and kept in a cache folder:
 * the Vulkan loader (libvulkan1) that WebGPU's Dawn opens, and libglvnd0, whose libGLdispatch the
 * NVIDIA driver's Vulkan library (libGLX_nvidia) links against.
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const GPU_DEBS = ['libvulkan1', 'libglvnd0'];

async function cached(dir: string, name: string): Promise<string | null> {
  const files = await readdir(dir).catch(() => [] as string[]);
  const hit = files
    .filter((f) => f.startsWith(`${name}_`) && f.endsWith('_amd64.deb'))
    .sort()
    .at(-1);
  return hit ? path.join(dir, hit) : null;
}

/** Paths of the amd64 .deb files for `names`, downloading those not in `cacheDir` yet. */
export async function ensureDebs(names: string[], cacheDir: string, log: (m: string) => void): Promise<string[]> {
  await mkdir(cacheDir, { recursive: true });
  const missing: string[] = [];
  for (const n of names) if (!(await cached(cacheDir, n))) missing.push(n);
  if (missing.length > 0) {
    log(`downloading ${missing.join(', ')} (amd64) with apt-get into ${cacheDir}`);
    const targets = missing.map((n) => `${n}:amd64`);
    try {
      await run('apt-get', ['download', ...targets], { cwd: cacheDir });
    } catch {
      // No package lists yet (or not for amd64): fetch them into a private folder, leaving the system's alone.
      const lists = path.join(cacheDir, 'apt-lists');
      await mkdir(path.join(lists, 'partial'), { recursive: true });
      const o = ['-oAPT::Architecture=amd64', '-oAPT::Architectures=amd64', `-oDir::State::Lists=${lists}`];
      try {
        await run('apt-get', [...o, 'update'], { cwd: cacheDir });
        await run('apt-get', [...o, 'download', ...targets], { cwd: cacheDir });
      } catch (err) {
        throw new Error(
          `Could not download ${missing.join(', ')} with apt-get (${(err as Error).message.split('\n')[0]}). ` +
            `Put their amd64 .deb files (from any Debian or Ubuntu mirror) into ${cacheDir} and run again.`,
        );
      }
    }
  }
  const paths: string[] = [];
  for (const n of names) {
    const p = await cached(cacheDir, n);
    if (!p) throw new Error(`apt-get did not leave a ${n}_*_amd64.deb in ${cacheDir}.`);
    paths.push(p);
  }
  return paths;
}
