/**
 * Palettes already computed, on disk in the data directory, keyed by the style image's bytes and every
 * option the palette depends on. Bounded: least recently used entries (by file mtime, refreshed on each
 * hit) go first when there are more than maxEntries or more than maxBytes.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, rm, stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import { writeAtomic } from './data-files.js';

export interface PaletteCacheLimits {
  maxEntries: number;
  maxBytes: number;
}

export class PaletteCache {
  constructor(
    readonly dir: string,
    private readonly limits: PaletteCacheLimits,
  ) {}

  /** Options are serialized with sorted keys, so the same settings always give the same key. */
  static key(styleHash: string, options: Record<string, unknown>): string {
    const sorted = Object.fromEntries(Object.entries(options).sort(([a], [b]) => a.localeCompare(b)));
    return createHash('sha256').update(styleHash).update(JSON.stringify(sorted)).digest('hex');
  }

  private file(key: string): string {
    return path.join(this.dir, `${key}.png`);
  }

  async get(key: string): Promise<Buffer | null> {
    const file = this.file(key);
    try {
      const png = await readFile(file);
      const now = new Date();
      await utimes(file, now, now).catch(() => undefined);
      return png;
    } catch {
      return null;
    }
  }

  async put(key: string, png: Buffer): Promise<void> {
    await writeAtomic(this.file(key), png);
    await this.prune();
  }

  /** Drops the least recently used entries until both bounds hold. */
  async prune(): Promise<void> {
    let names: string[];
    try {
      names = (await readdir(this.dir)).filter((name) => name.endsWith('.png'));
    } catch {
      return;
    }
    const entries = (
      await Promise.all(
        names.map(async (name) => {
          const file = path.join(this.dir, name);
          try {
            const info = await stat(file);
            return { file, size: info.size, mtime: info.mtimeMs };
          } catch {
            return null;
          }
        }),
      )
    )
      .filter((entry): entry is { file: string; size: number; mtime: number } => entry !== null)
      .sort((a, b) => b.mtime - a.mtime);
    let bytes = 0;
    for (const [index, entry] of entries.entries()) {
      bytes += entry.size;
      if (index >= this.limits.maxEntries || (bytes > this.limits.maxBytes && index > 0)) {
        await rm(entry.file, { force: true });
      }
    }
  }
}
