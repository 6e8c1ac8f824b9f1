/** The Redis mode's settings: off unless TILESTYLE_REDIS_URL is set; a wrong URL is named, never echoed. */
import { settingsFromEnv } from '../src/settings.js';
import { redactedUrl } from '../src/jobs/transport/redis-protocol.js';
import { ConfigError } from '../src/config.js';

it('is off by default (the embedded mode)', () => {
  expect(settingsFromEnv({}).redis).toBeUndefined();
});

it('reads the URL and the worker settings, with defaults', () => {
  expect(settingsFromEnv({ TILESTYLE_REDIS_URL: 'redis://queue:6379' }).redis).toEqual({
    url: 'redis://queue:6379',
    lockDurationMs: 30_000,
    stalledIntervalMs: 30_000,
    maxStalledCount: 2,
  });
  expect(
    settingsFromEnv({
      TILESTYLE_REDIS_URL: 'rediss://queue',
      TILESTYLE_WORKER_NAME: 'gpu-1',
      TILESTYLE_WORKER_LOCK_MS: '5000',
      TILESTYLE_WORKER_MAX_TAKEOVERS: '0',
    }).redis,
  ).toMatchObject({ workerName: 'gpu-1', lockDurationMs: 5000, maxStalledCount: 0 });
});

it('names a wrong URL without printing it (it may hold a password)', () => {
  const read = () => settingsFromEnv({ TILESTYLE_REDIS_URL: 'http://user:SECRET-42@queue' });
  expect(read).toThrow(ConfigError);
  expect(read).toThrow(/^TILESTYLE_REDIS_URL: /);
  expect(read).not.toThrow(/SECRET-42/);
});

it('hides the password when the URL is logged', () => {
  expect(redactedUrl('redis://user:SECRET-42@queue:6379/0')).toBe('redis://user:***@queue:6379/0');
  expect(redactedUrl('redis://queue:6379')).toBe('redis://queue:6379');
});
