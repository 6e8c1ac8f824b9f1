/**
 * Whether a Redis connection answers now: its state first (a command would wait for a reconnect),
 * then a PING that must answer within `timeoutMs` (a Redis that hangs is down too).
 */
import type { Redis } from 'ioredis';
import { checked, type PartHealth } from '../../ops/health.js';

export async function redisHealth(redis: Redis, timeoutMs = 1500): Promise<PartHealth> {
  if (redis.status !== 'ready') return { part: 'redis', up: false, detail: `connection ${redis.status}` };
  const [part] = await checked(
    'redis',
    async () => {
      const answer = await redis.ping();
      return [answer === 'PONG' ? { part: 'redis', up: true } : { part: 'redis', up: false, detail: `PING answered ${answer}` }];
    },
    timeoutMs,
  );
  return part!;
}
