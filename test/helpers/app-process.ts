/**
 * `npm start`'s program as a real child process (tsx src/main.ts) with the web front end on a free
 * port, for tests that stop it with a signal or kill it outright.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MODEL_DIR } from './commands.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
/** tsx as a loader inside one node process, so a signal or SIGKILL reaches the program itself. */
const TSX_LOADER = pathToFileURL(path.join(repo, 'node_modules/tsx/dist/loader.mjs')).href;

export class AppProcess {
  output = '';
  readonly exited: Promise<number | null>;

  private constructor(readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    const onData = (chunk: Buffer) => {
      this.output += chunk.toString();
      for (const wake of this.waiters) wake();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
  }

  private readonly waiters = new Set<() => void>();

  /**
   * Starts `src/<script>` in `cwd` with only the given environment (no .env is read there) plus the
   * test weights and one thread per engine.
   */
  static start(script: string, env: Record<string, string>, cwd: string): AppProcess {
    const child = spawn(process.execPath, ['--import', TSX_LOADER, path.join(repo, 'src', script)], {
      cwd,
      env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', TILESTYLE_MODEL_DIR: MODEL_DIR, TILESTYLE_THREADS: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new AppProcess(child);
  }

  /** Resolves with the first match of `pattern` in the output; rejects when the process exits first. */
  waitForOutput(pattern: RegExp, timeoutMs = 300_000): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(this.output);
        if (match) {
          done();
          resolve(match);
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out waiting for ${pattern}; output:\n${this.output}`));
      }, timeoutMs);
      const onExit = () => {
        done();
        reject(new Error(`exited before ${pattern}; output:\n${this.output}`));
      };
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
        this.child.off('exit', onExit);
      };
      this.waiters.add(check);
      this.child.on('exit', onExit);
      check();
    });
  }

  /** The web page's address, once the web front end listens. */
  async webUrl(): Promise<string> {
    const match = await this.waitForOutput(/open (http:\/\/127\.0\.0\.1:\d+\/)/);
    return match[1]!;
  }

  async kill(signal: NodeJS.Signals): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}
