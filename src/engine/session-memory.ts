/**
 * Memory of large jobs. Each onnxruntime session keeps a memory arena as large as the largest image it
 * has run, so a 1024-px job would hold its 512-px full-depth level's arena (about 1.5 GB) beside its
 * sharpening level's, and the next job would start beside both. A job that runs a level of more than
 * RELEASE_ABOVE_PIXELS therefore frees, before that level, the sessions of the layer sets only its
 * earlier levels used, and when it ends, the sessions it used from then on. The backend builds them
 * again when next needed: the next job after a large one pays for that (measured on 2 cores: 2.9 s for
 * the full-depth loss session, 0.1 s for the sharpening one). The default 512-px job (a 512×384
 * sharpening level) stays under the threshold and keeps every session warm.
 */
import type { LossBackend } from './backend.js';
import type { LayerName } from './types.js';

export const RELEASE_ABOVE_PIXELS = 512 * 512;

export interface LayerSet {
  content: LayerName[];
  style: LayerName[];
}

const same = (a: LayerSet, b: LayerSet) => a.content.join() === b.content.join() && a.style.join() === b.style.join();

/** The layer sets one job has used since its last release, and whether it has run a large level. */
export class SessionMemory {
  private used: LayerSet[] = [];
  private large = false;

  constructor(
    private readonly backend: LossBackend,
    private readonly releaseAbovePixels = RELEASE_ABOVE_PIXELS,
  ) {}

  /** A level of `pixels` is about to use `sets`: before a large one, frees the other sets used so far. */
  async enterLevel(sets: LayerSet[], pixels: number): Promise<void> {
    if (this.backend.release && pixels > this.releaseAbovePixels) {
      this.large = true;
      const others = this.used.filter((u) => !sets.some((s) => same(s, u)));
      this.used = this.used.filter((u) => !others.includes(u));
      for (const set of others) await this.backend.release(set);
    }
    for (const s of sets) if (!this.used.some((u) => same(u, s))) this.used.push(s);
  }

  /** The job is over (done, failed or cancelled): after a large level, frees what it used since. */
  async endJob(): Promise<void> {
    if (!this.large || !this.backend.release) return;
    const sets = this.used;
    this.used = [];
    this.large = false;
    for (const set of sets) await this.backend.release(set);
  }
}
