/** Progress for a terminal: a bar when stdout is a TTY, otherwise a plain line every tenth of the run. */
import cliProgress from 'cli-progress';
import type { Progress } from '../engine/types.js';

export interface ProgressView {
  update(p: Progress): void;
  stop(): void;
}

function loss(v: number): string {
  return Number.isFinite(v) ? v.toExponential(3) : String(v);
}

export function createProgressView(label: string, stream: NodeJS.WriteStream = process.stdout): ProgressView {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label.padEnd(8)} [{bar}] {value}/{total} steps | loss {loss} | {elapsed}s`,
        hideCursor: true,
        clearOnComplete: false,
        stream,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(p) {
        const payload = { loss: loss(p.losses.total), elapsed: (p.elapsedMs / 1000).toFixed(1) };
        if (!started) {
          bar.start(p.total, p.step, payload);
          started = true;
        } else {
          bar.setTotal(p.total);
          bar.update(p.step, payload);
        }
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
  let lastTenth = -1;
  return {
    update(p) {
      const tenth = p.total > 0 ? Math.floor((10 * p.step) / p.total) : 10;
      if (tenth === lastTenth && p.step !== p.total) return;
      lastTenth = tenth;
      stream.write(`${label} step ${p.step}/${p.total} loss ${loss(p.losses.total)} (${(p.elapsedMs / 1000).toFixed(1)} s)\n`);
    },
    stop() {},
  };
}
