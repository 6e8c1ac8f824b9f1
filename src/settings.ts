/**
 * The operator's settings for the commands and engines, read from the environment and checked at
 * start: every problem is a ConfigError naming the variable (values are not secrets, but are still
 * only echoed when they are wrong).
 */
import path from 'node:path';
import { ConfigError, readInt, readString, type Env } from './config.js';
import { LIMITS, MAX_INPUT_BYTES } from './engine/limits.js';
import type { BackendName } from './engine/types.js';
import type { OptionDefaults } from './jobs/job-record.js';
import { DEFAULT_LIMITS, type ServiceLimits } from './commands/service-limits.js';

const MB = 1024 * 1024;

/**
 * The engine's own caps on what the operator's limits may be (src/engine/limits.ts), so a value that
 * starts also runs: TILESTYLE_MAX_ITERATIONS=5000 stops the start instead of failing every job.
 */
export const SETTING_BOUNDS = {
  maxSize: { min: LIMITS.size.min, max: LIMITS.size.max },
  maxIterations: { min: LIMITS.iterations.min, max: LIMITS.iterations.max },
  maxImageMb: { min: 1, max: Math.floor(MAX_INPUT_BYTES / MB) },
} as const;

/** The default result size when every device is a GPU (the engine's default, 512, is the CPU's). */
export const GPU_DEFAULT_SIZE = 1024;

export interface Settings {
  /** Weights directory given by the operator; when absent they are downloaded to the cache. */
  modelDir?: string;
  modelBaseUrl?: string;
  dataDir: string;
  devices: string[];
  backend?: BackendName;
  threads?: number;
  limits: ServiceLimits;
  defaults: Partial<OptionDefaults>;
  /** Set when jobs go through Redis to workers on other machines (TILESTYLE_REDIS_URL). */
  redis?: RedisSettings;
  /** The operator's port for /healthz and /metrics (TILESTYLE_OPS_PORT); off when unset. */
  ops?: OpsSettings;
}

export interface OpsSettings {
  host: string;
  /** 0 picks a free port (logged at start). */
  port: number;
}

/** TILESTYLE_OPS_PORT (unset: off) and TILESTYLE_OPS_HOST (default 127.0.0.1: this machine only). */
function readOps(env: Env): OpsSettings | undefined {
  if (readString(env, 'TILESTYLE_OPS_PORT') === undefined) return undefined;
  const port = readInt(env, 'TILESTYLE_OPS_PORT', 0, 0, 65_535);
  const host = readString(env, 'TILESTYLE_OPS_HOST') ?? '127.0.0.1';
  if (!/^[\w.:-]{1,253}$/.test(host)) throw new ConfigError('TILESTYLE_OPS_HOST', 'must be an address or host name such as 127.0.0.1 or 0.0.0.0.');
  return { host, port };
}

export interface RedisSettings {
  /** redis:// or rediss:// URL; it may hold a password, so it is never logged as given. */
  url: string;
  /** This worker machine's name in status (default: host name and process id). */
  workerName?: string;
  /** How long a job stays locked to a worker that stopped renewing it (it died or hangs). */
  lockDurationMs: number;
  /** How often workers look for jobs whose worker died. */
  stalledIntervalMs: number;
  /** Times a job may be taken over from a dead worker before it fails. */
  maxStalledCount: number;
}

function readRedis(env: Env): RedisSettings | undefined {
  const url = readString(env, 'TILESTYLE_REDIS_URL');
  if (url === undefined) return undefined;
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') || !parsed.hostname) {
    // The value may hold a password: say what is wrong without echoing it.
    throw new ConfigError('TILESTYLE_REDIS_URL', 'must be a redis:// or rediss:// URL such as redis://localhost:6379.');
  }
  const redis: RedisSettings = {
    url,
    lockDurationMs: readInt(env, 'TILESTYLE_WORKER_LOCK_MS', 30_000, 1000, 3_600_000),
    stalledIntervalMs: readInt(env, 'TILESTYLE_WORKER_STALLED_CHECK_MS', 30_000, 500, 3_600_000),
    maxStalledCount: readInt(env, 'TILESTYLE_WORKER_MAX_TAKEOVERS', 2, 0, 100),
  };
  const name = readString(env, 'TILESTYLE_WORKER_NAME');
  if (name !== undefined) {
    if (!/^[\w.:@-]{1,64}$/.test(name)) throw new ConfigError('TILESTYLE_WORKER_NAME', 'must be 1–64 letters, digits or . : @ _ -');
    redis.workerName = name;
  }
  return redis;
}

const DEVICE = /^(cpu|webgpu|cuda:\d{1,2})$/;

function readDevices(env: Env): string[] {
  const raw = readString(env, 'TILESTYLE_DEVICES') ?? 'cpu';
  const devices = raw
    .split(',')
    .map((d) => d.trim().toLowerCase())
    .filter((d) => d.length > 0);
  if (devices.length === 0) throw new ConfigError('TILESTYLE_DEVICES', 'must list at least one device, e.g. "cpu" or "cpu,cuda:0".');
  for (const device of devices) {
    if (!DEVICE.test(device)) {
      throw new ConfigError('TILESTYLE_DEVICES', `lists "${device}", which is not a device; use cpu, webgpu or cuda:N, comma-separated.`);
    }
  }
  return devices;
}

function readBackend(env: Env): BackendName | undefined {
  const raw = readString(env, 'TILESTYLE_BACKEND')?.toLowerCase();
  if (raw === undefined) return undefined;
  if (raw !== 'onnx' && raw !== 'tfjs') throw new ConfigError('TILESTYLE_BACKEND', `must be onnx or tfjs (got "${raw}").`);
  return raw;
}

function optionalInt(env: Env, name: string, min: number, max: number): number | undefined {
  return readString(env, name) === undefined ? undefined : readInt(env, name, min, min, max);
}

/** A limit the engine also enforces: a value beyond the engine's names both the variable and the engine's limit. */
function readEngineBound(env: Env, name: string, fallback: number, bounds: { min: number; max: number }, engineLimit: string): number {
  const raw = readString(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (Number.isInteger(value) && value > bounds.max) {
    throw new ConfigError(name, `is ${value}, but ${engineLimit}; set it from ${bounds.min} to ${bounds.max}.`);
  }
  return readInt(env, name, fallback, bounds.min, bounds.max);
}

/** TILESTYLE_DEFAULT_TILES: auto, or a whole number of tiles. */
function readDefaultTiles(env: Env): OptionDefaults['tiles'] | undefined {
  const raw = readString(env, 'TILESTYLE_DEFAULT_TILES');
  if (raw === undefined) return undefined;
  if (raw.toLowerCase() === 'auto') return 'auto';
  const value = Number(raw);
  if (!Number.isInteger(value) || value < LIMITS.tiles.min || value > LIMITS.tiles.max) {
    throw new ConfigError('TILESTYLE_DEFAULT_TILES', `must be auto or a whole number from ${LIMITS.tiles.min} to ${LIMITS.tiles.max} (got "${raw}").`);
  }
  return value;
}

export function settingsFromEnv(env: Env, cwd = process.cwd()): Settings {
  const maxSize = readEngineBound(
    env,
    'TILESTYLE_MAX_SIZE',
    DEFAULT_LIMITS.maxSize,
    SETTING_BOUNDS.maxSize,
    `the engine makes results of at most ${LIMITS.size.max} px`,
  );
  const maxIterations = readEngineBound(
    env,
    'TILESTYLE_MAX_ITERATIONS',
    DEFAULT_LIMITS.maxIterations,
    SETTING_BOUNDS.maxIterations,
    `the engine runs at most ${LIMITS.iterations.max} iterations`,
  );
  const { maxImageMb } = SETTING_BOUNDS;
  const settings: Settings = {
    dataDir: path.resolve(cwd, readString(env, 'TILESTYLE_DATA_DIR') ?? 'data'),
    devices: readDevices(env),
    limits: {
      maxSize,
      maxIterations,
      maxImageBytes:
        readEngineBound(
          env,
          'TILESTYLE_MAX_IMAGE_MB',
          DEFAULT_LIMITS.maxImageBytes / MB,
          maxImageMb,
          `the engine reads images of at most ${maxImageMb.max} MB`,
        ) * MB,
      perUserWaiting: readInt(env, 'TILESTYLE_MAX_WAITING_PER_USER', DEFAULT_LIMITS.perUserWaiting, 0, 1000),
      globalWaiting: readInt(env, 'TILESTYLE_MAX_WAITING', DEFAULT_LIMITS.globalWaiting, 0, 100_000),
      progressIntervalMs: readInt(env, 'TILESTYLE_PROGRESS_INTERVAL_MS', DEFAULT_LIMITS.progressIntervalMs, 0, 600_000),
      paletteCacheEntries: readInt(env, 'TILESTYLE_PALETTE_CACHE_ENTRIES', DEFAULT_LIMITS.paletteCacheEntries, 0, 1_000_000),
      paletteCacheBytes: readInt(env, 'TILESTYLE_PALETTE_CACHE_MB', DEFAULT_LIMITS.paletteCacheBytes / MB, 0, 1_000_000) * MB,
    },
    defaults: {},
  };
  // Hourly quotas: 0 or unset, none.
  const perUser = optionalInt(env, 'TILESTYLE_JOBS_PER_USER_PER_HOUR', 0, 100_000);
  if (perUser !== undefined) settings.limits.jobsPerUserPerHour = perUser;
  const perServer = optionalInt(env, 'TILESTYLE_JOBS_PER_SERVER_PER_HOUR', 0, 1_000_000);
  if (perServer !== undefined) settings.limits.jobsPerServerPerHour = perServer;
  const modelDir = readString(env, 'TILESTYLE_MODEL_DIR');
  if (modelDir) settings.modelDir = path.resolve(cwd, modelDir);
  const baseUrl = readString(env, 'TILESTYLE_MODEL_URL');
  if (baseUrl) {
    if (!/^https?:\/\/\S+$/.test(baseUrl)) throw new ConfigError('TILESTYLE_MODEL_URL', 'must be an http(s) address.');
    settings.modelBaseUrl = baseUrl;
  }
  const redis = readRedis(env);
  if (redis) settings.redis = redis;
  const ops = readOps(env);
  if (ops) settings.ops = ops;
  const backend = readBackend(env);
  if (backend) settings.backend = backend;
  const threads = optionalInt(env, 'TILESTYLE_THREADS', 1, 1024);
  if (threads !== undefined) settings.threads = threads;
  const size = optionalInt(env, 'TILESTYLE_DEFAULT_SIZE', LIMITS.size.min, maxSize);
  if (size !== undefined) settings.defaults.size = size;
  else if (settings.devices.every((d) => d !== 'cpu')) settings.defaults.size = Math.min(maxSize, GPU_DEFAULT_SIZE);
  const iterations = optionalInt(env, 'TILESTYLE_DEFAULT_ITERATIONS', LIMITS.iterations.min, maxIterations);
  if (iterations !== undefined) settings.defaults.iterations = iterations;
  const tiles = readDefaultTiles(env);
  if (tiles !== undefined) settings.defaults.tiles = tiles;
  const strength = optionalInt(env, 'TILESTYLE_DEFAULT_STRENGTH', LIMITS.strength.min, LIMITS.strength.max);
  if (strength !== undefined) settings.defaults.strength = strength;
  return settings;
}
