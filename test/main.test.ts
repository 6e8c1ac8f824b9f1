/**
 * Starting the program: configuration problems stop it with one line naming the variable and exit
 * code 1; a good configuration starts the engines and the front ends, and SIGTERM stops it cleanly.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { settingsFromEnv } from '../src/settings.js';
import { ConfigError } from '../src/config.js';
import { MODEL_DIR } from './helpers/commands.js';

const repo = fileURLToPath(new URL('../', import.meta.url));
const tsx = path.join(repo, 'node_modules/.bin/tsx');
const mainFile = path.join(repo, 'src/main.ts');

describe('settingsFromEnv', () => {
  it('has defaults for everything', () => {
    const s = settingsFromEnv({}, '/srv');
    expect(s).toMatchObject({ dataDir: '/srv/data', devices: ['cpu'], defaults: {} });
    expect(s.limits).toMatchObject({
      maxSize: 1024,
      maxIterations: 1000,
      maxImageBytes: 10 * 2 ** 20,
      perUserWaiting: 2,
      globalWaiting: 20,
      progressIntervalMs: 3000,
    });
    expect(s.backend).toBeUndefined();
    expect(s.modelDir).toBeUndefined();
  });

  it('reads every variable', () => {
    const s = settingsFromEnv(
      {
        TILESTYLE_DATA_DIR: 'store',
        TILESTYLE_MODEL_DIR: '/models/vgg19',
        TILESTYLE_MODEL_URL: 'https://weights.example/vgg19/',
        TILESTYLE_DEVICES: 'cpu, CUDA:0',
        TILESTYLE_BACKEND: 'tfjs',
        TILESTYLE_THREADS: '2',
        TILESTYLE_MAX_SIZE: '256',
        TILESTYLE_MAX_ITERATIONS: '400',
        TILESTYLE_MAX_IMAGE_MB: '4',
        TILESTYLE_MAX_WAITING_PER_USER: '1',
        TILESTYLE_MAX_WAITING: '7',
        TILESTYLE_PROGRESS_INTERVAL_MS: '500',
        TILESTYLE_PALETTE_CACHE_ENTRIES: '30',
        TILESTYLE_PALETTE_CACHE_MB: '5',
        TILESTYLE_DEFAULT_SIZE: '128',
        TILESTYLE_DEFAULT_ITERATIONS: '90',
        TILESTYLE_DEFAULT_TILES: '4',
        TILESTYLE_DEFAULT_STRENGTH: '7',
      },
      '/srv',
    );
    expect(s).toEqual({
      dataDir: '/srv/store',
      modelDir: '/models/vgg19',
      modelBaseUrl: 'https://weights.example/vgg19/',
      devices: ['cpu', 'cuda:0'],
      backend: 'tfjs',
      threads: 2,
      defaults: { size: 128, iterations: 90, tiles: 4, strength: 7 },
      limits: {
        maxSize: 256,
        maxIterations: 400,
        maxImageBytes: 4 * 2 ** 20,
        perUserWaiting: 1,
        globalWaiting: 7,
        progressIntervalMs: 500,
        paletteCacheEntries: 30,
        paletteCacheBytes: 5 * 2 ** 20,
      },
    });
  });

  it.each([
    ['TILESTYLE_DEVICES', 'gpu0'],
    ['TILESTYLE_BACKEND', 'pytorch'],
    ['TILESTYLE_MAX_SIZE', 'huge'],
    ['TILESTYLE_MAX_WAITING', '-1'],
    ['TILESTYLE_DEFAULT_SIZE', '4096'],
    ['TILESTYLE_MODEL_URL', 'ftp://mirror'],
    ['TILESTYLE_DEFAULT_TILES', 'some'],
    ['TILESTYLE_DEFAULT_TILES', '17'],
    ['TILESTYLE_DEFAULT_STRENGTH', '11'],
  ])('names %s when it is wrong', (variable, value) => {
    expect(() => settingsFromEnv({ [variable]: value })).toThrow(ConfigError);
    expect(() => settingsFromEnv({ [variable]: value })).toThrow(new RegExp(`^${variable}: `));
  });

  it.each([
    ['TILESTYLE_MAX_ITERATIONS', '5000', 'TILESTYLE_MAX_ITERATIONS: is 5000, but the engine runs at most 2000 iterations; set it from 1 to 2000.'],
    ['TILESTYLE_MAX_SIZE', '4096', 'TILESTYLE_MAX_SIZE: is 4096, but the engine makes results of at most 2048 px; set it from 32 to 2048.'],
    ['TILESTYLE_MAX_IMAGE_MB', '100', 'TILESTYLE_MAX_IMAGE_MB: is 100, but the engine reads images of at most 40 MB; set it from 1 to 40.'],
  ])('refuses %s=%s, beyond what the engine runs, naming the variable and the limit', (variable, value, message) => {
    expect(() => settingsFromEnv({ [variable]: value })).toThrow(new ConfigError(variable, message.slice(variable.length + 2)));
    expect(() => settingsFromEnv({ [variable]: value })).toThrow(message);
  });

  it("accepts the engine's own limits, and tiles=auto and a strength as defaults", () => {
    const s = settingsFromEnv({
      TILESTYLE_MAX_ITERATIONS: '2000',
      TILESTYLE_MAX_SIZE: '2048',
      TILESTYLE_DEFAULT_TILES: 'Auto',
      TILESTYLE_DEFAULT_STRENGTH: '8',
    });
    expect(s.limits).toMatchObject({ maxIterations: 2000, maxSize: 2048 });
    expect(s.defaults).toEqual({ tiles: 'auto', strength: 8 });
  });
});

interface Run {
  code: number | null;
  output: string;
}

/** Runs `npm start`'s command in an empty directory (no .env) with exactly the given environment. */
function startMain(env: Record<string, string>, until?: { line: RegExp; act: (child: ReturnType<typeof spawn>) => void }): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(tsx, [mainFile], {
      cwd: env.CWD!,
      env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let triggered = false;
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (until && !triggered && until.line.test(output)) {
        triggered = true;
        until.act(child);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('npm start', () => {
  let cwd: string;
  beforeEach(async () => {
    cwd = await mkdtemp(path.join(tmpdir(), 'tilestyle-main-'));
  });
  afterEach(async () => {
    await rm(cwd, { recursive: true, force: true });
  });

  it('stops with one line naming the variable and exit code 1 on a configuration error', async () => {
    const run = await startMain({ CWD: cwd, TILESTYLE_DEVICES: 'cpu,tpu', TILESTYLE_MODEL_DIR: MODEL_DIR });
    expect(run.code).toBe(1);
    expect(run.output.trim()).toBe('Configuration error: TILESTYLE_DEVICES: lists "tpu", which is not a device; use cpu, webgpu or cuda:N, comma-separated.');
  });

  it('refuses at start a limit beyond what the engine runs, so no job is queued that would then fail', async () => {
    const run = await startMain({ CWD: cwd, TILESTYLE_MAX_ITERATIONS: '5000', TILESTYLE_MODEL_DIR: MODEL_DIR });
    expect(run.code).toBe(1);
    expect(run.output.trim()).toBe(
      'Configuration error: TILESTYLE_MAX_ITERATIONS: is 5000, but the engine runs at most 2000 iterations; set it from 1 to 2000.',
    );
  });

  it("names a front end's variable without printing its value", async () => {
    const run = await startMain({ CWD: cwd, TILESTYLE_MODEL_DIR: MODEL_DIR, SLACK_BOT_TOKEN: 'wrong-SECRET-12345' });
    expect(run.code).toBe(1);
    expect(run.output).toMatch(/^Configuration error: SLACK_BOT_TOKEN: /m);
    expect(run.output).not.toContain('SECRET-12345');
  });

  it('names a missing weights directory', async () => {
    const run = await startMain({ CWD: cwd, TILESTYLE_MODEL_DIR: path.join(cwd, 'nowhere'), WEB_PORT: '0', TILESTYLE_DATA_DIR: cwd, DATA_DIR: cwd });
    expect(run.code).toBe(1);
    expect(
      run.output
        .trim()
        .split('\n')
        .filter((l) => !l.includes('not part of this installation')),
    ).toHaveLength(1);
    expect(run.output).toContain('nowhere');
  });

  it('starts the web front end when no chat is configured, and stops on SIGTERM', async () => {
    const run = await startMain(
      { CWD: cwd, TILESTYLE_MODEL_DIR: MODEL_DIR, TILESTYLE_DATA_DIR: cwd, DATA_DIR: cwd, WEB_PORT: '0', TILESTYLE_THREADS: '1' },
      // The whole line (a JSON object when stdout is no terminal) has arrived.
      { line: /Front ends started: [^\n]*\n/, act: (child) => child.kill('SIGTERM') },
    );
    expect(run.output).toMatch(/Engines ready on cpu in [\d.]+ s/);
    expect(run.output).toContain('Front ends started: web.');
    expect(run.output).toContain('Stopped.');
    expect(run.code).toBe(0);
  });
});

/** A port nothing listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Every process below `pid` (children, grandchildren, …). */
function descendants(pid: number): number[] {
  let children: number[] = [];
  try {
    children = execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    // pgrep exits 1 when there are none
  }
  return children.flatMap((child) => [child, ...descendants(child)]);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 300_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; ) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting until ${what}`);
}

describe('npm start, as a user runs it', () => {
  let cwd: string;
  beforeEach(async () => {
    cwd = await mkdtemp(path.join(tmpdir(), 'tilestyle-npm-'));
  });
  afterEach(async () => {
    await rm(cwd, { recursive: true, force: true });
  });

  function npmStart(port: number) {
    const child = spawn('npm', ['start', '--silent'], {
      cwd: repo,
      env: {
        PATH: process.env.PATH!,
        HOME: process.env.HOME ?? '/tmp',
        TILESTYLE_MODEL_DIR: MODEL_DIR,
        TILESTYLE_DATA_DIR: cwd,
        TILESTYLE_THREADS: '1',
        WEB_HOST: '127.0.0.1',
        WEB_PORT: String(port),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    return { child, exited, output: () => output };
  }

  it('stops the app itself when the npm process gets SIGTERM, and frees the port', async () => {
    const port = await freePort();
    const run = npmStart(port);
    await until(() => /Front ends started/.test(run.output()), 'the app started', 300_000);
    const below = descendants(run.child.pid!);
    expect(below.length).toBeGreaterThan(0);
    run.child.kill('SIGTERM'); // the npm process only, as `kill -TERM <pid of npm>` does
    await run.exited;
    try {
      await until(() => below.every((pid) => !alive(pid)), 'every process under npm exited');
    } finally {
      for (const pid of below.filter(alive)) process.kill(pid, 'SIGKILL');
    }
    expect(await portAnswers(port)).toBe(false);
    expect(run.output()).toContain('Stopped.');
  });

  it('says in one line that the port is busy', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as { port: number }).port;
    try {
      const run = await startMain({
        CWD: cwd,
        TILESTYLE_MODEL_DIR: MODEL_DIR,
        TILESTYLE_DATA_DIR: cwd,
        WEB_HOST: '127.0.0.1',
        WEB_PORT: String(port),
        TILESTYLE_THREADS: '1',
      });
      expect(run.code).toBe(1);
      // The log's lines (JSON when not on a terminal) aside, the refusal is one plain line.
      const lines = run.output
        .trim()
        .split('\n')
        .filter((l) => !/^(\{|Engines ready|Downloading)/.test(l));
      expect(lines).toEqual([
        `Configuration error: WEB_PORT: port ${port} on 127.0.0.1 is already in use (is tilestyle already running?). Stop the other program, or set another port.`,
      ]);
    } finally {
      busy.close();
    }
  });
});
