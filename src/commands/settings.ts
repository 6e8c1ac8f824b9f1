/**
 * The operator's settings for the commands and engines, read from the environment and checked at
 * start: every problem is a ConfigError naming the variable (values are not secrets, but are still
 * only echoed when they are wrong).
 */
import path from 'node:path';
import { ConfigError, readInt, readString, type Env } from '../config.js';
import type { BackendName } from '../engine/types.js';
import { MAX_TILES, type OptionDefaults } from './options.js';
import type { ServiceLimits } from './limits.js';

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
  const devices = raw.split(',').map((d) => d.trim().toLowerCase()).filter((d) => d.length > 0);
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

export function settingsFromEnv(env: Env, cwd = process.cwd()): Settings {
  const maxSize = readInt(env, 'TILESTYLE_MAX_SIZE', 512, 32, 8192);
  const maxIterations = readInt(env, 'TILESTYLE_MAX_ITERATIONS', 1000, 1, 100_000);
  const settings: Settings = {
    dataDir: path.resolve(cwd, readString(env, 'TILESTYLE_DATA_DIR') ?? 'data'),
    devices: readDevices(env),
    limits: {
      maxSize,
      maxIterations,
      maxImageBytes: readInt(env, 'TILESTYLE_MAX_IMAGE_MB', 10, 1, 100) * 1024 * 1024,
      perUserWaiting: readInt(env, 'TILESTYLE_MAX_WAITING_PER_USER', 2, 0, 1000),
      globalWaiting: readInt(env, 'TILESTYLE_MAX_WAITING', 20, 0, 100_000),
      progressIntervalMs: readInt(env, 'TILESTYLE_PROGRESS_INTERVAL_MS', 3000, 0, 600_000),
      paletteCacheEntries: readInt(env, 'TILESTYLE_PALETTE_CACHE_ENTRIES', 200, 0, 1_000_000),
      paletteCacheBytes: readInt(env, 'TILESTYLE_PALETTE_CACHE_MB', 200, 0, 1_000_000) * 1024 * 1024,
    },
    defaults: {},
  };
  const modelDir = readString(env, 'TILESTYLE_MODEL_DIR');
  if (modelDir) settings.modelDir = path.resolve(cwd, modelDir);
  const baseUrl = readString(env, 'TILESTYLE_MODEL_URL');
  if (baseUrl) {
    if (!/^https?:\/\/\S+$/.test(baseUrl)) throw new ConfigError('TILESTYLE_MODEL_URL', 'must be an http(s) address.');
    settings.modelBaseUrl = baseUrl;
  }
  const redis = readRedis(env);
  if (redis) settings.redis = redis;
  const backend = readBackend(env);
  if (backend) settings.backend = backend;
  const threads = optionalInt(env, 'TILESTYLE_THREADS', 1, 1024);
  if (threads !== undefined) settings.threads = threads;
  const size = optionalInt(env, 'TILESTYLE_DEFAULT_SIZE', 32, maxSize);
  if (size !== undefined) settings.defaults.size = size;
  const iterations = optionalInt(env, 'TILESTYLE_DEFAULT_ITERATIONS', 1, maxIterations);
  if (iterations !== undefined) settings.defaults.iterations = iterations;
  const tiles = optionalInt(env, 'TILESTYLE_DEFAULT_TILES', 1, MAX_TILES);
  if (tiles !== undefined) settings.defaults.tiles = tiles;
  return settings;
}
