/**
 * Copies an installed npm package and its runtime dependencies into another node_modules, keeping the
 * nesting npm chose, so packages with native parts load in the bundle exactly as they do here.
 */
import { cp, readFile, stat } from 'node:fs/promises';
import path from 'node:path';

/** Dependencies a package declares but only its install script uses (onnxruntime-node downloads CUDA libraries with them). */
const INSTALL_ONLY: Record<string, string[]> = { 'onnxruntime-node': ['adm-zip', 'global-agent'] };

/** Files no running program reads: docs, type declarations, source maps, sources and build scripts of native parts. */
const NOT_AT_RUNTIME = /(\.map|\.d\.[cm]?ts|\.md|\.markdown)$/i;
const PACKAGE_DIRS_NOT_AT_RUNTIME: Record<string, string[]> = {
  'onnxruntime-node': ['lib', 'script'],
  'onnxruntime-common': ['lib'],
  sharp: ['src', 'install', 'lib'],
};

/** onnxruntime-node ships every platform's binaries; the bundle targets Linux x86-64 only. */
function foreignBinary(name: string, rel: string): boolean {
  if (name !== 'onnxruntime-node') return false;
  const m = /^bin\/napi-v\d+\/([^/]+)(?:\/([^/]+))?/.exec(rel);
  if (!m) return false;
  return m[1] !== 'linux' || (m[2] !== undefined && m[2] !== 'x64');
}

interface PackageJson {
  name: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

/** Where Node would find `name` when required from `fromDir` (walking up to `root`). */
async function findPackage(name: string, fromDir: string, root: string): Promise<string | null> {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (await exists(path.join(candidate, 'package.json'))) return candidate;
    if (dir === root || dir === path.dirname(dir)) return null;
  }
}

export interface CopiedPackage {
  name: string;
  /** Path relative to the destination folder, e.g. node_modules/sharp. */
  rel: string;
  bytes: number;
}

/**
 * Copies `names` (as required from `root`) and everything they need at run time into `dest`
 * (`dest/node_modules/…`). Missing optional dependencies are other platforms' and are skipped.
 */
export async function copyPackages(names: string[], root: string, dest: string): Promise<CopiedPackage[]> {
  const copied = new Map<string, CopiedPackage>();
  const visit = async (name: string, fromDir: string, optional: boolean): Promise<void> => {
    const dir = await findPackage(name, fromDir, root);
    if (!dir) {
      if (optional) return;
      throw new Error(`Package '${name}' is not installed (needed from ${path.relative(root, fromDir) || '.'}); run npm install.`);
    }
    const rel = path.relative(root, dir);
    if (copied.has(rel)) return;
    const pkg = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as PackageJson;
    const skippedDirs = (PACKAGE_DIRS_NOT_AT_RUNTIME[name] ?? []).map((d) => path.join(dir, d));
    let bytes = 0;
    await cp(dir, path.join(dest, rel), {
      recursive: true,
      verbatimSymlinks: true,
      filter: async (src) => {
        const inside = path.relative(dir, src);
        if (inside.startsWith('node_modules')) return false; // nested packages are visited as dependencies
        if (skippedDirs.some((d) => src === d) || foreignBinary(name, inside) || NOT_AT_RUNTIME.test(src)) return false;
        const s = await stat(src);
        if (s.isFile()) bytes += s.size;
        return true;
      },
    });
    copied.set(rel, { name, rel, bytes });
    const installOnly = new Set(INSTALL_ONLY[name] ?? []);
    for (const dep of Object.keys(pkg.dependencies ?? {})) if (!installOnly.has(dep)) await visit(dep, dir, false);
    for (const dep of Object.keys(pkg.optionalDependencies ?? {})) await visit(dep, dir, true);
  };
  for (const name of names) await visit(name, root, false);
  return [...copied.values()];
}
